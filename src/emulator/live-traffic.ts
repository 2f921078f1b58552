/**
 * Simulated live user traffic: one metric minute of an endpoint's users, without HTTP. Each minute draws a Poisson
 * number of requests at the minute's rate, routes each to a served entity at random by the traffic_config weights
 * (as Databricks routes real users), and answers each by that version's behaviour exactly as the invocation path
 * decides it (`decideAnswer`: latency, injected error and its status; then the prediction, which may refuse an input
 * with a 400). Latency is not slept. Deterministic from (seed, key, minute index): a minute is the same whenever and
 * however often it is simulated.
 *
 * Pure (no clocks, no I/O): the emulator calls it for the minutes that pass, power tests and the bench call it
 * directly over thousands of minutes.
 */
import { nearestRank, quantileKey, type VersionAggregate } from '../analysis/batch';
import { logGamma } from '../analysis/distributions';
import { LATENCY_QUANTILES } from '../databricks/metric-names';
import { ApiError } from './api-error';
import type { VersionAdjustment } from './faults';
import { decideAnswer, predict } from './invocations';
import { Random } from './random';
import type { Behavior, LiveTrafficSpec } from './world';

// Math's members as locals: the simulation calls them millions of times, and a global lookup of Math is slow in
// some hosts (jest's vm context makes it ~50x slower).
const { PI, abs, cos, exp, floor, log, max, sqrt } = Math;

/** A served entity as live traffic sees it: its route weight and how its version behaves. */
export interface LiveEntity {
  name: string;
  /** traffic_percentage of its route (0-100); weights need not add up to 100. */
  percent: number;
  behavior: Behavior;
  /** A degrade_version fault in effect, if any. */
  adjustment?: VersionAdjustment;
}

/** The inputs users send: records picked uniformly, or with weights. */
export interface LiveInputs {
  records: readonly Record<string, unknown>[];
  weights?: readonly number[];
}

/** One entity's minute: a VersionAggregate, plus the sorted latencies behind its quantiles. */
export interface MinuteOutcome extends VersionAggregate {
  /** Ascending latencies (ms) of the minute's 2xx answers: the set the quantiles are nearest ranks of. */
  latenciesMs: Float64Array;
  /** Sum of every answer's latency (ms): the time the entity was busy, for the CPU gauge. */
  busyMs: number;
}

export interface SimulateOptions {
  /** What users send; without it every request is scoreable (the prediction is not evaluated). */
  inputs?: LiveInputs;
  /** Quantiles put in `quantilesMs` (default: the exported ones, p50/p90/p95/p99). */
  quantiles?: readonly number[];
  /** Names the random stream together with the seed, e.g. "<region>:<endpoint>" (default ""). */
  key?: string;
  /**
   * AI Gateway fallbacks on (src/emulator/ai-gateway.ts): an answer of 429 or 5xx is tried on the next entity, round
   * robin in the order of `entities` (pass them in the served entity list's order), until one succeeds. Only the last
   * answer is counted, under the entity that gave it; the failed attempts add to their entities' busy time only.
   */
  fallback?: boolean;
}

const DEFAULT_QUANTILES = LATENCY_QUANTILES.map((g) => g.q);
const DEFAULT_KEYS = DEFAULT_QUANTILES.map(quantileKey);

/**
 * Simulates metric minute `minuteIndex` of an endpoint whose users send `rps` requests per second on average.
 * Returns an outcome for every entity given (zero requests included), keyed by entity name. Routes name an entity
 * once; were one listed twice, only its first listing's tally is returned.
 */
export function simulateMinute(
  entities: readonly LiveEntity[],
  rps: number,
  minuteIndex: number,
  seed: number,
  options: SimulateOptions = {},
): Map<string, MinuteOutcome> {
  const rng = Random.stream(seed, `live:${options.key ?? ''}:${minuteIndex}`);
  const count = rps > 0 ? poisson(rps * 60, rng) : 0;
  const weights = entities.map((e) => max(0, e.percent));
  const tallies = entities.map(() => ({ requests: 0, errors4xx: 0, errors5xx: 0, throttled: 0, busyMs: 0 }));
  const latencies = entities.map((): number[] => []);
  const inputs = options.inputs;
  // Whether each input is scoreable by each entity's version is fixed: decide it once per minute, not per request.
  const inputStatus = inputs ? entities.map((e) => inputs.records.map((record) => predictionStatus(e, record))) : [];
  const adjustments = entities.map((e) => e.adjustment ?? {});
  const route = weightedPicker(weights, rng);
  const pickInput = inputs?.weights ? weightedPicker(inputs.weights, rng) : undefined;
  const attempt = (index: number, input: number) => {
    const entity = entities[index];
    const { latencyMs, failed } = decideAnswer(entity.behavior, adjustments[index], rng);
    const status = failed ? entity.behavior.error_status : input >= 0 ? inputStatus[index][input] : 200;
    return { latencyMs, status };
  };
  for (let i = 0; i < count; i++) {
    const index = route();
    if (index < 0) break; // every route at 0%: the endpoint routes nothing (the invocation path answers 503 unrecorded)
    const input = inputs ? (pickInput ? pickInput() : floor(rng.next() * inputs.records.length)) : -1;
    let answered = index;
    const first = entities[index];
    const decided = decideAnswer(first.behavior, adjustments[index], rng);
    let waitedMs = decided.latencyMs;
    let status = decided.failed ? first.behavior.error_status : input >= 0 ? inputStatus[index][input] : 200;
    tallies[index].busyMs += waitedMs;
    for (let k = 1; options.fallback && k < entities.length && (status === 429 || status >= 500); k++) {
      answered = (index + k) % entities.length;
      const next = attempt(answered, input);
      tallies[answered].busyMs += next.latencyMs;
      waitedMs += next.latencyMs; // the caller waits for every attempt
      status = next.status;
    }
    const tally = tallies[answered];
    tally.requests++;
    if (status === 429) tally.throttled++;
    else if (status >= 400 && status < 500) tally.errors4xx++;
    else if (status >= 500) tally.errors5xx++;
    else latencies[answered].push(waitedMs);
  }
  const quantiles = options.quantiles ?? DEFAULT_QUANTILES;
  const keys = quantiles === DEFAULT_QUANTILES ? DEFAULT_KEYS : quantiles.map(quantileKey);
  const result = new Map<string, MinuteOutcome>();
  entities.forEach((entity, index) => {
    if (result.has(entity.name)) return; // a name listed twice: the first listing's tally stands
    const sorted = new Float64Array(latencies[index]).sort();
    const quantilesMs: Record<string, number> = {};
    if (sorted.length > 0) quantiles.forEach((q, k) => (quantilesMs[keys[k]] = nearestRank(sorted, q)));
    result.set(entity.name, { ...tallies[index], quantilesMs, latenciesMs: sorted });
  });
  return result;
}

/**
 * `rng.weightedIndex(weights)` with the total worked out once: the same draw (one uniform) and the same answer, without
 * summing the weights on every request.
 */
function weightedPicker(weights: readonly number[], rng: Random): () => number {
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (total <= 0) return () => -1;
  const last = weights.findLastIndex((w) => w > 0);
  return () => {
    let target = rng.next() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i];
      if (target < 0 && weights[i] > 0) return i;
    }
    return last;
  };
}

/** What the invocation path answers for one record once the model scores it: 200, or the prediction's refusal. */
function predictionStatus(entity: LiveEntity, record: Record<string, unknown>): number {
  try {
    predict(entity.behavior, [record]);
    return 200;
  } catch (err) {
    return err instanceof ApiError ? err.status : 500;
  }
}

/** The rate (requests per second) of the minute starting `offsetMs` after live traffic began, by the spec's shape. */
export function rateAt(spec: Pick<LiveTrafficSpec, 'rps' | 'shape'>, offsetMs: number): number {
  const shape = spec.shape;
  if (shape === 'constant') return spec.rps;
  if ('diurnal' in shape) {
    const { peak, trough, period } = shape.diurnal;
    // The trough at the start, the peak half a period later.
    const phase = (1 - cos((2 * PI * offsetMs) / period)) / 2;
    return spec.rps * (trough + (peak - trough) * phase);
  }
  let rps = spec.rps;
  for (const step of shape.steps) if (step.at <= offsetMs) rps = step.rps;
  return rps;
}

/** The inputs of a live-traffic spec in the form simulateMinute takes. */
export function liveInputs(spec: Pick<LiveTrafficSpec, 'inputs'>): LiveInputs | undefined {
  const inputs = spec.inputs;
  if (!inputs) return undefined;
  if (Array.isArray(inputs)) return { records: inputs };
  return { records: inputs.mix.map((m) => m.record), weights: inputs.mix.map((m) => m.weight) };
}

/**
 * A Poisson(lambda) draw: Knuth's product method below 10, Hörmann's PTRS transformed rejection above (exact, and
 * a few uniforms per draw whatever lambda is).
 */
export function poisson(lambda: number, rng: Random): number {
  if (!(lambda > 0)) return 0;
  if (lambda < 10) {
    const limit = exp(-lambda);
    let k = 0;
    let product = rng.next();
    while (product > limit) {
      k++;
      product *= rng.next();
    }
    return k;
  }
  const slam = sqrt(lambda);
  const loglam = log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - abs(u);
    const k = floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(invalpha) - log(a / (us * us) + b) <= -lambda + k * loglam - logGamma(k + 1)) return k;
  }
}
