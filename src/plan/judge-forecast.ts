/**
 * How long the canary judge will take on a stage, told before the rollout runs: `rollout plan` prints it and
 * `rollout validate` refuses a judged stage that cannot pass an equal version within its window.
 *
 * Method: Monte Carlo of the real judge (analysis/sequential-judge.ts, `observeDecision`) on simulated batches.
 * - Versions: 5xx and 4xx rates (defaults 0.1% and 0.2%) and lognormal latencies (a median and p99/median = 3, so
 *   σ = ln 3 / z₀.₉₉). An equal version is the current one; the reference bad versions are +5 points of 5xx, 5xx ×3
 *   from a 0.5% base (max(base, 0.5%)), every latency +20% (the median too), and p99 +50% with the same median (a
 *   wider σ; listed only when the plan judges a quantile above the median, where it shows).
 * - Batches, as the judge activity (activities/canary.ts) receives them: `live`, one per metric minute, the
 *   new version taking Poisson(rps·60·w) requests and the current one Poisson(rps·60·(1−w)) (w the stage's weight);
 *   `probes`, one per 2-second round of 2·probe_rps·2 requests, each to a version at random (share 0.5); `paired`,
 *   one per round of probe_rps·2 inputs sent to both (an error counts where the other version answered, taken as
 *   independent). Probe and paired rounds alternate when both decide (4 s a pair); live minutes arrive every 60 s.
 * - Each batch costs O(number of quantiles), never O(requests): 5xx ~ Binomial(n, p5), 4xx ~ Binomial(n − 5xx,
 *   p4/(1 − p5)) (Poisson or normal approximations for large n); the quantiles are taken over the n − errors 2xx
 *   answers (`latencyCount`), and the nearest-rank k-th smallest of m lognormal latencies is F⁻¹(U₍ₖ₎) with
 *   U₍ₖ₎ ~ Beta(k, m − k + 1), the order statistics of uniforms; the judged quantiles of one batch are drawn jointly
 *   (U₍ₖ₂₎ = U₍ₖ₁₎ + (1 − U₍ₖ₁₎)·Beta(k₂ − k₁, m − k₂ + 1)), as one sample's quantiles are correlated.
 * - Outputs: P(an equal version passes within the window) and its median and p90 time to pass (runs that have not
 *   passed count as never; simulated past the window up to a horizon, so a too-short window can say how long it
 *   would need); the median time to fail of each reference bad version; the smallest detectable effect within the
 *   window, an absolute increase of the 5xx rate (0.25 to 20 points) or a uniform slowdown (+10% to +200%), failed
 *   in at least 80% of runs (bisection over the grid, assuming detection grows with the effect).
 * - Deterministic: seeded streams per case, so the same plan gets the same forecast (and validate the same answer).
 *   Looks are capped per run (MAX_LOOKS) to keep the CLI fast; past the cap a forecast says "more than".
 *
 * Pure: no I/O, no clocks.
 */
import {
  nearestRankIndex,
  quantileKey,
  type Batch,
  type EvidenceSource,
  type VersionAggregate,
} from '../analysis/batch';
import { normInv } from '../analysis/distributions';
import { SequentialJudge, type SequentialJudgeConfig } from '../analysis/sequential-judge';
import { Random } from '../emulator/random';
import { judgeConfigOf, roundMs } from './canary';
import type { Plan } from './schema';

/** The current version, as the forecast assumes it. */
export interface BaselineAssumptions {
  /** 5xx rate (0.001 = 0.1%). */
  errors5xx: number;
  /** 4xx rate (429 apart, not simulated). */
  errors4xx: number;
  /** Median latency in ms (the judge compares ratios, so its scale does not matter). */
  medianMs: number;
  /** p99 / median of the lognormal latency. */
  p99OverMedian: number;
}

export const DEFAULT_BASELINE: BaselineAssumptions = {
  errors5xx: 0.001,
  errors4xx: 0.002,
  medianMs: 50,
  p99OverMedian: 3,
};

/** A simulated version: error rates and a lognormal latency (median, log-sd), times a uniform slowdown. */
export interface SimulatedVersion {
  errors5xx: number;
  errors4xx: number;
  medianMs: number;
  sigma: number;
}

export interface ForecastInput {
  judge: SequentialJudgeConfig;
  /** The endpoint's user traffic, all versions (requests/s); needed when live decides. */
  rps?: number;
  /** The new version's weight in % (the stage's traffic). */
  weight: number;
  /** Probe (or paired input) requests per second to each version. */
  probeRps: number;
  /** The judge's window: the stage's bake plus max_extension. */
  windowMs: number;
  baseline?: Partial<BaselineAssumptions>;
  seed?: number;
  /** Runs for the equal version (default 100); the bad versions take 30%, each detection step 40. */
  runs?: number;
  /** Only the equal version (what validate needs): no bad versions, no detectable effects. */
  equalOnly?: boolean;
}

/** A run's outcome: what the judge decided, and when (ms from the start); `continue` at the horizon. */
export interface RunOutcome {
  decision: 'pass' | 'fail' | 'continue';
  atMs: number;
}

export interface CaseForecast {
  name: string;
  runs: number;
  /** Share of runs that passed / failed within the window. */
  passedInWindow: number;
  failedInWindow: number;
  /** Median (and p90) time of the expected decision, over all runs (undecided ones count as never); undefined: beyond the horizon. */
  medianMs?: number;
  p90Ms?: number;
}

export interface JudgeForecast {
  windowMs: number;
  /** How far runs were simulated (≥ the window unless capped by MAX_LOOKS). */
  horizonMs: number;
  /** Whether the horizon covers the whole window (else P(pass within the window) is a lower bound). */
  coversWindow: boolean;
  equal: CaseForecast;
  bad: CaseForecast[];
  /** Set when only the equal version was simulated (`bad` is then empty and no effect was searched). */
  equalOnly?: true;
  /** Smallest detectable increase of the 5xx rate (a rate: 0.01 = 1 point) within the window; undefined: none. */
  detectableErrors?: number;
  /** Smallest detectable uniform slowdown (0.2 = +20%) within the window; undefined: none. */
  detectableSlowdown?: number;
}

/** Most looks simulated per run (a look: a metric minute or a probe round). */
export const MAX_LOOKS = 3_000;
/** The equal and reference bad versions are simulated at least this long, so a too-short window shows what it needs. */
const MIN_HORIZON_MS = 48 * 3_600_000;
const MINUTE_MS = 60_000;
const DETECT_SHARE = 0.8;
export const ERROR_GRID = [0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2];
export const SLOWDOWN_GRID = [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2];
/** validate refuses a stage whose equal version passes within the window in fewer than this share of runs. */
export const PASS_THRESHOLD = 0.5;

const Z99 = 2.3263478740408408;

// ---- sampling ------------------------------------------------------------------------------------------------------

function gamma(random: Random, shape: number): number {
  if (shape < 1) return gamma(random, shape + 1) * Math.pow(1 - random.next(), 1 / shape);
  // Marsaglia & Tsang (2000).
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = random.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) by two gammas. */
export function beta(random: Random, a: number, b: number): number {
  const x = gamma(random, a);
  const y = gamma(random, b);
  return x / (x + y);
}

export function poisson(random: Random, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = 1 - random.next(); p > limit; p *= 1 - random.next()) k++;
  return k;
}

export function binomial(random: Random, n: number, p: number): number {
  if (!(n > 0) || !(p > 0)) return 0;
  if (p >= 1) return n;
  if (n <= 40) {
    let k = 0;
    for (let i = 0; i < n; i++) if (random.next() < p) k++;
    return k;
  }
  const mean = n * p;
  if (mean < 20) return Math.min(n, poisson(random, mean));
  if (n * (1 - p) < 20) return n - Math.min(n, poisson(random, n * (1 - p)));
  const k = Math.round(mean + Math.sqrt(mean * (1 - p)) * random.normal());
  return Math.min(n, Math.max(0, k));
}

const keys = new Map<number, string>();
const keyOf = (q: number) => keys.get(q) ?? keys.set(q, quantileKey(q)).get(q)!;
let lastQuantiles: readonly number[] = [];
let lastSorted: readonly number[] = [];
function sortedQuantiles(quantiles: readonly number[]): readonly number[] {
  if (quantiles !== lastQuantiles) {
    lastQuantiles = quantiles;
    lastSorted = [...quantiles].sort((a, b) => a - b);
  }
  return lastSorted;
}

/**
 * One version's aggregate over a batch of `requests`, as the judge receives it, in O(quantiles): error counts drawn
 * binomially, each nearest-rank quantile of the 2xx latencies drawn as an order statistic (see the module comment).
 * `counted` scales the error rates (paired replay counts an error only where the other version answered).
 */
export function sampleAggregate(
  random: Random,
  requests: number,
  version: SimulatedVersion,
  quantiles: readonly number[],
  counted = 1,
): VersionAggregate {
  const errors5xx = binomial(random, requests, version.errors5xx * counted);
  const rest = version.errors5xx < 1 ? version.errors4xx / (1 - version.errors5xx) : 0;
  const errors4xx = binomial(random, requests - errors5xx, rest * counted);
  // Latencies of the answers that were neither error (an uncounted paired error has no 2xx latency either).
  const failed =
    counted < 1 ? binomial(random, requests, version.errors5xx + version.errors4xx) : errors5xx + errors4xx;
  const m = Math.max(0, requests - failed);
  const quantilesMs: Record<string, number> = {};
  if (m > 0) {
    let rank = 0;
    let u = 0;
    for (const q of sortedQuantiles(quantiles)) {
      const k = nearestRankIndex(m, q);
      // U₍ₖ₎ given U₍rank₎ = u: u + (1 − u)·Beta(k − rank, m − k + 1).
      if (k > rank) u = u + (1 - u) * beta(random, k - rank, m - k + 1);
      rank = k;
      quantilesMs[keyOf(q)] = version.medianMs * Math.exp(version.sigma * normInv(u));
    }
  }
  return { requests, errors4xx, errors5xx, throttled: 0, quantilesMs, latencyCount: m };
}

// ---- simulation ----------------------------------------------------------------------------------------------------

/** What one simulation runs on: the judge's config, user traffic (live), the new version's share, probe rate. */
export interface Scenario {
  judge: SequentialJudgeConfig;
  rps: number;
  /** The new version's share of the two versions' traffic (live). */
  share: number;
  probeRps: number;
}

/** Runs the real judge on simulated batches until it decides or `horizonMs` (or MAX_LOOKS) is reached. */
export function simulateRun(
  random: Random,
  scenario: Scenario,
  champion: SimulatedVersion,
  challenger: SimulatedVersion,
  horizonMs: number,
): RunOutcome {
  const { judge: config } = scenario;
  const judge = new SequentialJudge(config);
  const sources = new Set<EvidenceSource>(config.sources);
  const live = sources.has('live');
  const rounds = (sources.has('probes') ? 1 : 0) + (sources.has('paired') ? 1 : 0);
  const roundLength = roundMs(scenario.probeRps);
  const step = rounds > 0 ? roundLength * rounds : MINUTE_MS;
  const quantiles = config.quantiles;
  let nextMinute = MINUTE_MS;
  let looks = 0;
  let t = step;
  for (; t <= horizonMs && looks < MAX_LOOKS; t += step) {
    const batches: Batch[] = [];
    if (sources.has('probes')) {
      const total = Math.round(scenario.probeRps * 2 * (roundLength / 1000));
      const toChallenger = binomial(random, total, 0.5);
      batches.push({
        source: 'probes',
        endsAt: t,
        challengerShare: 0.5,
        champion: sampleAggregate(random, total - toChallenger, champion, quantiles),
        challenger: sampleAggregate(random, toChallenger, challenger, quantiles),
      });
    }
    if (sources.has('paired')) {
      const inputs = Math.round(scenario.probeRps * (roundLength / 1000));
      const answered = (v: SimulatedVersion) => 1 - v.errors5xx - v.errors4xx;
      batches.push({
        source: 'paired',
        endsAt: t,
        challengerShare: 0.5,
        champion: sampleAggregate(random, inputs, champion, quantiles, answered(challenger)),
        challenger: sampleAggregate(random, inputs, challenger, quantiles, answered(champion)),
      });
    }
    if (live)
      for (; nextMinute <= t; nextMinute += MINUTE_MS) {
        const perMinute = scenario.rps * 60;
        batches.push({
          source: 'live',
          endsAt: nextMinute,
          challengerShare: scenario.share,
          champion: sampleAggregate(random, poisson(random, perMinute * (1 - scenario.share)), champion, quantiles),
          challenger: sampleAggregate(random, poisson(random, perMinute * scenario.share), challenger, quantiles),
        });
      }
    for (const batch of batches) {
      looks++;
      const decision = judge.observeDecision(batch);
      if (decision !== 'continue') return { decision, atMs: t };
    }
  }
  return { decision: 'continue', atMs: Math.min(t, horizonMs) };
}

/** The p-quantile of decision times, counting runs without the decision as never (undefined when it falls there). */
function timeQuantile(outcomes: readonly RunOutcome[], decision: 'pass' | 'fail', p: number): number | undefined {
  const times = outcomes
    .filter((o) => o.decision === decision)
    .map((o) => o.atMs)
    .sort((a, b) => a - b);
  const rank = Math.ceil(p * outcomes.length);
  return rank <= times.length ? times[rank - 1] : undefined;
}

function versionOf(baseline: BaselineAssumptions): SimulatedVersion {
  return {
    errors5xx: baseline.errors5xx,
    errors4xx: baseline.errors4xx,
    medianMs: baseline.medianMs,
    sigma: Math.log(baseline.p99OverMedian) / Z99,
  };
}

/** The horizon simulated: at least the window; the looks cap bounds it. */
function lookMs(config: SequentialJudgeConfig, probeRps: number): number {
  const rounds = (config.sources.includes('probes') ? 1 : 0) + (config.sources.includes('paired') ? 1 : 0);
  // Live minutes add looks to probe rounds: one in 60 s beside 30 (or 15) rounds.
  if (rounds === 0) return MINUTE_MS;
  const perMinute = MINUTE_MS / (roundMs(probeRps) * rounds) + (config.sources.includes('live') ? 1 : 0);
  return MINUTE_MS / perMinute;
}

function validateInput(input: ForecastInput) {
  const { judge, rps, weight } = input;
  if (judge.sources.includes('live') && !(rps !== undefined && rps > 0))
    throw new RangeError('forecast: live traffic decides: give rps (the endpoint traffic, requests per second)');
  if (judge.sources.includes('live') && !(weight > 0 && weight < 100))
    throw new RangeError('forecast: live traffic compares the versions only at a weight between 0 and 100%');
}

/** Forecasts the judge on one stage (see the module comment). Deterministic for a given input and seed. */
export function forecastJudge(input: ForecastInput): JudgeForecast {
  validateInput(input);
  const baseline = { ...DEFAULT_BASELINE, ...input.baseline };
  const current = versionOf(baseline);
  const scenario: Scenario = {
    judge: input.judge,
    rps: input.rps ?? 0,
    share: input.weight / 100,
    probeRps: input.probeRps,
  };
  const seed = input.seed ?? 1;
  const runs = input.runs ?? 100;
  const capMs = Math.floor(MAX_LOOKS * lookMs(input.judge, input.probeRps));
  const horizonMs = Math.min(Math.max(input.windowMs, MIN_HORIZON_MS), capMs);
  const windowCovered = Math.min(input.windowMs, capMs);

  const simulate = (
    name: string,
    challenger: SimulatedVersion,
    count: number,
    until: number,
    stopWhen?: (o: RunOutcome[]) => boolean,
  ) => {
    const random = Random.stream(seed, name);
    const outcomes: RunOutcome[] = [];
    for (let i = 0; i < count; i++) {
      outcomes.push(simulateRun(random, scenario, current, challenger, until));
      if (stopWhen?.(outcomes)) break;
    }
    return outcomes;
  };
  const summarise = (name: string, outcomes: RunOutcome[], decision: 'pass' | 'fail'): CaseForecast => {
    const within = (d: string) =>
      outcomes.filter((o) => o.decision === d && o.atMs <= input.windowMs).length / outcomes.length;
    return {
      name,
      runs: outcomes.length,
      passedInWindow: within('pass'),
      failedInWindow: within('fail'),
      medianMs: timeQuantile(outcomes, decision, 0.5),
      p90Ms: timeQuantile(outcomes, decision, 0.9),
    };
  };

  const equal = summarise('equal', simulate('equal', current, runs, horizonMs), 'pass');
  const coversWindow = capMs >= input.windowMs;
  if (input.equalOnly) return { windowMs: input.windowMs, horizonMs, coversWindow, equal, bad: [], equalOnly: true };
  const badRuns = Math.max(10, Math.round(runs * 0.3));
  // The bad versions' times matter up to a few times the window (or a day): a version that fails in 15 h is "not
  // within the window" whatever the exact figure; the cap keeps the forecast fast.
  const badHorizonMs = Math.min(horizonMs, Math.max(input.windowMs, 24 * 3_600_000));
  const errorBase = Math.max(baseline.errors5xx, 0.005);
  const cases: { name: string; champion?: SimulatedVersion; challenger: SimulatedVersion }[] = [
    { name: '5xx +5 points', challenger: { ...current, errors5xx: current.errors5xx + 0.05 } },
    {
      name: `5xx ×3 (from ${(100 * errorBase).toFixed(1)}%)`,
      champion: { ...current, errors5xx: errorBase },
      challenger: { ...current, errors5xx: 3 * errorBase },
    },
  ];
  if (input.judge.quantiles.length > 0)
    cases.push({
      name: 'latency +20% (median and every quantile)',
      challenger: { ...current, medianMs: current.medianMs * 1.2 },
    });
  if (input.judge.quantiles.some((q) => q > 0.5))
    cases.push({
      name: 'p99 +50%, same median',
      challenger: { ...current, sigma: current.sigma + Math.log(1.5) / Z99 },
    });
  const bad = cases.map((c) => {
    const random = Random.stream(seed, c.name);
    const outcomes: RunOutcome[] = [];
    for (let i = 0; i < badRuns; i++)
      outcomes.push(simulateRun(random, scenario, c.champion ?? current, c.challenger, badHorizonMs));
    return summarise(c.name, outcomes, 'fail');
  });

  // Smallest detectable effects within the window: bisection over each grid.
  const detectRuns = 40;
  const misses = Math.floor((1 - DETECT_SHARE) * detectRuns);
  const detected = (name: string, challenger: SimulatedVersion) => {
    const outcomes = simulate(
      name,
      challenger,
      detectRuns,
      windowCovered,
      (o) => o.filter((x) => x.decision !== 'fail').length > misses,
    );
    return outcomes.filter((o) => o.decision === 'fail').length >= DETECT_SHARE * detectRuns;
  };
  const smallest = (grid: readonly number[], at: (effect: number) => boolean): number | undefined => {
    if (!at(grid[grid.length - 1])) return undefined;
    let lo = -1;
    let hi = grid.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (at(grid[mid])) hi = mid;
      else lo = mid;
    }
    return grid[hi];
  };
  const detectableErrors = smallest(ERROR_GRID, (d) =>
    detected(`errors+${d}`, { ...current, errors5xx: current.errors5xx + d }),
  );
  const detectableSlowdown =
    input.judge.quantiles.length > 0
      ? smallest(SLOWDOWN_GRID, (s) => detected(`slowdown+${s}`, { ...current, medianMs: current.medianMs * (1 + s) }))
      : undefined;
  return {
    windowMs: input.windowMs,
    horizonMs,
    coversWindow,
    equal,
    bad,
    detectableErrors,
    detectableSlowdown,
  };
}

// ---- the plan's judged stages -------------------------------------------------------------------------------------

export interface StageForecast {
  /** Index in plan.stages. */
  index: number;
  name: string;
  sources: EvidenceSource[];
  weight: number;
  probeRps: number;
  /** tests.canary.traffic.rps, when the plan states it. */
  rps?: number;
  bakeMs: number;
  maxExtensionMs: number;
  windowMs: number;
  /** The forecast, or why there is none. */
  forecast?: JudgeForecast;
  unknown?: string;
}

export interface ForecastOptions {
  baseline?: Partial<BaselineAssumptions>;
  seed?: number;
  runs?: number;
  equalOnly?: boolean;
}

/** A forecast for every judged stage (`canary` in its gate, tests.canary set), in plan order. */
export function forecastStages(plan: Plan, options: ForecastOptions = {}): StageForecast[] {
  const canary = plan.tests.canary;
  if (!canary) return [];
  const judge = judgeConfigOf(canary);
  const live = judge.sources.includes('live');
  const rps = canary.traffic?.rps;
  const out: StageForecast[] = [];
  // Probes alone do not depend on the stage's weight: stages with the same window share one forecast.
  const memo = new Map<string, JudgeForecast>();
  const forecast = (input: ForecastInput) => {
    const key = JSON.stringify({ ...input, weight: live ? input.weight : 0 });
    return memo.get(key) ?? memo.set(key, forecastJudge(input)).get(key)!;
  };
  plan.stages.forEach((stage, index) => {
    if (!stage.gate.includes('canary')) return;
    const windowMs = stage.bake + canary.max_extension;
    const base: StageForecast = {
      index,
      name: stage.name,
      sources: judge.sources,
      weight: stage.traffic,
      probeRps: canary.probe_rps,
      ...(rps !== undefined ? { rps } : {}),
      bakeMs: stage.bake,
      maxExtensionMs: canary.max_extension,
      windowMs,
    };
    // A live-judged stage at 100% never gets here: the plan's own rules refuse it (stages[i].traffic).
    if (live && rps === undefined)
      out.push({
        ...base,
        unknown:
          'traffic unknown: set tests.canary.traffic.rps to forecast (rollout plan does not read the endpoint metrics)',
      });
    else
      out.push({
        ...base,
        forecast: forecast({
          judge,
          rps,
          weight: stage.traffic,
          probeRps: canary.probe_rps,
          windowMs,
          baseline: options.baseline,
          seed: options.seed,
          runs: options.runs,
          equalOnly: options.equalOnly,
        }),
      });
  });
  return out;
}

/** A duration people read: 45s, 12m, 6h33m, 2d4h. */
export function roughDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}

const pct = (x: number) => `${Math.round(100 * x)}%`;

function trafficWords(s: StageForecast): string {
  const parts: string[] = [];
  if (s.sources.includes('live'))
    parts.push(s.rps !== undefined ? `at ${s.rps} rps and ${s.weight}%` : `at an unknown traffic and ${s.weight}%`);
  if (s.sources.includes('probes') || s.sources.includes('paired'))
    parts.push(`with ${s.probeRps} probe rps per version`);
  return parts.join(' ');
}

function windowWords(s: StageForecast): string {
  return `${roughDuration(s.windowMs)} (bake ${roughDuration(s.bakeMs)} + max_extension ${roughDuration(s.maxExtensionMs)})`;
}

/** The lines `rollout plan` prints under a judged stage. */
export function describeStageForecast(s: StageForecast): string[] {
  const lines: string[] = [];
  const sources = s.sources.join(', ');
  const traffic = s.sources.includes('live')
    ? s.rps !== undefined
      ? `user traffic ${s.rps} rps (tests.canary.traffic.rps), ${s.weight}% to the new version`
      : `user traffic unknown, ${s.weight}% to the new version`
    : `${s.weight}% of user traffic to the new version (not judged)`;
  const probes =
    s.sources.includes('probes') || s.sources.includes('paired') ? `, ${s.probeRps} probe rps per version` : '';
  lines.push(`canary judge: ${sources}${probes}; ${traffic}; window ${windowWords(s)}`);
  if (s.unknown || !s.forecast) return [...lines, `forecast: ${s.unknown ?? 'none'}`];
  const f = s.forecast;
  const beyond = (ms: number | undefined) =>
    ms === undefined
      ? `more than ${roughDuration(f.horizonMs)}`
      : `${roughDuration(ms)}${ms > f.windowMs ? ' (after the window)' : ''}`;
  const lower = f.coversWindow ? '' : ' at least';
  lines.push(
    `forecast (${f.equal.runs} simulated runs of the judge): an equal version passes within the window in${lower} ` +
      `${pct(f.equal.passedInWindow)} of runs; median ${beyond(f.equal.medianMs)} to pass, p90 ${beyond(f.equal.p90Ms)}`,
  );
  if (f.equalOnly) return lines;
  lines.push(`  time to fail (median): ${f.bad.map((b) => `${b.name} ${beyond(b.medianMs)}`).join('; ')}`);
  const errors =
    f.detectableErrors === undefined ? 'none within the window' : `+${+(100 * f.detectableErrors).toFixed(2)} points`;
  const slowdown =
    f.detectableSlowdown === undefined ? 'none within the window' : `+${Math.round(100 * f.detectableSlowdown)}%`;
  lines.push(
    `  smallest effect failed in ${pct(DETECT_SHARE)} of runs within the window: 5xx ${errors}; latency ${slowdown}`,
  );
  return lines;
}

/**
 * `rollout validate`'s refusals: a judged stage that cannot pass an equal version within its window at the stated
 * traffic (P < PASS_THRESHOLD). Stages whose traffic is unknown are not judged here.
 */
export function judgeWindowProblems(forecasts: readonly StageForecast[]): string[] {
  const problems: string[] = [];
  for (const s of forecasts) {
    const f = s.forecast;
    if (!f || !f.coversWindow || f.equal.passedInWindow >= PASS_THRESHOLD) continue;
    const needs =
      f.equal.medianMs === undefined
        ? `more than ${roughDuration(f.horizonMs)}`
        : `about ${roughDuration(f.equal.medianMs)} (median)`;
    const fixes = s.sources.includes('live')
      ? "lengthen bake or tests.canary.max_extension, raise the stage's traffic, or add probes (tests.canary.sources)"
      : 'lengthen bake or tests.canary.max_extension, or raise tests.canary.probe_rps';
    problems.push(
      `stages[${s.index}].bake: ${trafficWords(s)} an equal version needs ${needs} to pass the canary judge; ` +
        `this window is ${windowWords(s)}, within which it passes in ${pct(f.equal.passedInWindow)} of ` +
        `${f.equal.runs} simulated runs (refused below ${pct(PASS_THRESHOLD)}): ${fixes}`,
    );
  }
  return problems;
}
