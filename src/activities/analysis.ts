/**
 * Activities that measure: a load test judged against absolute SLOs, and the statistical canary judge, which
 * compares the new version with the current one from two sources (our own probes to each version, and the
 * endpoint's exported metrics), looking repeatedly so a clearly bad canary fails early.
 */
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import { decideAb, type AbWinner } from '../analysis/ab';
import { DEFAULT_JUDGE, judge, type Verdict, type VariantSample } from '../analysis/judge';
import { twoProportions } from '../analysis/tests';
import type { DatabricksClient } from '../databricks';
import { sleep } from '../databricks/serving';
import { invocationSender } from '../load/databricks-target';
import { runLoad, toMicroseconds, type LoadCheckpoint, type LoadResult, type VariantStats } from '../load/generator';
import type { Plan } from '../plan/schema';
import type { CheckResult } from '../shared/types';
import type { WorkspaceClients } from './clients';
import type { EndpointTarget } from './databricks';
import { classified } from './errors';

type LoadSettings = NonNullable<Plan['tests']['load']>;
type CanarySettings = NonNullable<Plan['tests']['canary']>;

/** Probe bodies: each input record as a one-row scoring request. */
const requestBodies = (records: Record<string, unknown>[]) =>
  records.map((record) => ({ dataframe_records: [record] }));

const errorsOf = (stats: Pick<VariantStats, 'statusClasses'>) =>
  stats.statusClasses['5xx'] + stats.statusClasses.timeout + stats.statusClasses.network;

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

type EntityCounts = { requests: number; errors: number };

/**
 * The endpoint's own per-minute readings seen during a window (its metrics export publishes per-minute gauges, not
 * counters): by the minute's timestamp, then served entity; `errors` are 5xx answers. `after` is the newest minute
 * already complete when the window began: only later minutes count, each once however often it is read.
 */
interface MetricWindow {
  after: number;
  minutes: Record<string, Record<string, EntityCounts>>;
}

/** Starts a window: the export's newest minute marks where it begins (clock-free: the emulator's may run faster). */
async function openMetricWindow(client: DatabricksClient, endpoint: string): Promise<MetricWindow> {
  const minutes = await client.serving.getMetricMinutes(endpoint);
  return { after: Math.max(0, ...minutes.map((m) => m.timestamp)), minutes: {} };
}

/**
 * Reads the export and keeps the minutes of the window not seen yet. A `bestEffort` read (between looks) that fails
 * costs at most the minutes it would have seen; the final read of a window is not best effort.
 */
async function readMetricWindow(
  client: DatabricksClient,
  endpoint: string,
  window: MetricWindow,
  { bestEffort = false } = {},
) {
  let minutes;
  try {
    minutes = await client.serving.getMetricMinutes(endpoint);
  } catch (err) {
    if (bestEffort) return;
    throw err;
  }
  for (const minute of minutes) {
    const key = String(minute.timestamp);
    if (minute.timestamp <= window.after || window.minutes[key]) continue;
    window.minutes[key] = Object.fromEntries(
      [...minute.entities].map(([name, reading]) => [
        name,
        { requests: reading.requests ?? 0, errors: reading.errors5xx ?? 0 },
      ]),
    );
  }
}

/** What the endpoint served per served entity over the window's minutes. */
function windowCounts(window: MetricWindow) {
  return (entity: string): EntityCounts => {
    const total = { requests: 0, errors: 0 };
    for (const minute of Object.values(window.minutes)) {
      total.requests += minute[entity]?.requests ?? 0;
      total.errors += minute[entity]?.errors ?? 0;
    }
    return total;
  };
}

const EMPTY_STATS: Pick<VariantStats, 'requests' | 'statusClasses' | 'samples'> = {
  requests: 0,
  statusClasses: { '2xx': 0, '4xx': 0, '5xx': 0, timeout: 0, network: 0 },
  samples: [],
};

/**
 * Probes both versions directly (the per-served-model route) at `rps` each for `durationMs`, on one schedule that
 * alternates between them, so that both see the same moments (a pause or a busy spell hits both alike) instead of
 * two loops that could drift apart.
 */
async function probeBoth(
  client: DatabricksClient,
  input: { endpoint: string; champion: string; challenger: string; payloads: Record<string, unknown>[] },
  rps: number,
  durationMs: number,
  signal?: AbortSignal,
) {
  const senders = [
    invocationSender(client, input.endpoint, input.champion),
    invocationSender(client, input.endpoint, input.challenger),
  ];
  let turn = 0;
  const round = await runLoad({
    rps: rps * 2,
    durationMs,
    concurrency: 128,
    timeoutMs: 10_000,
    payloads: requestBodies(input.payloads),
    // Counterbalanced: pairs alternate which version goes first, so that whatever favours the first of two requests
    // sent together (an idle pooled connection, an earlier timer) favours neither version.
    send: (payload, sendSignal) => {
      const index = turn++;
      return senders[(index + Math.floor(index / 2)) % 2](payload, sendSignal);
    },
    signal,
  });
  return {
    champion: round.byVariant[input.champion] ?? EMPTY_STATS,
    challenger: round.byVariant[input.challenger] ?? EMPTY_STATS,
  };
}

/**
 * A heartbeat of judge or A/B progress with latencies rounded to microseconds (what the histograms keep too): the
 * sample arrays are most of the payload, and full doubles would take an A/B's 2 × 20,000 samples past Temporal's
 * 512 KB payload warning. Only the heartbeat is rounded; the running activity keeps its values.
 */
function inMicroseconds<P extends { champion: VariantSample; challenger: VariantSample }>(progress: P): P {
  const rounded = (sample: VariantSample) => ({ ...sample, latenciesMs: sample.latenciesMs.map(toMicroseconds) });
  return { ...progress, champion: rounded(progress.champion), challenger: rounded(progress.challenger) };
}

export interface JudgeProgress {
  startedAt: number;
  champion: VariantSample;
  challenger: VariantSample;
  previousFraction: number;
  looks: number;
  /** The endpoint's per-minute readings over the window (absent in a heartbeat of an older attempt). */
  metrics?: MetricWindow;
}

const emptySample = (): VariantSample => ({ requests: 0, errors: 0, latenciesMs: [] });

function addTo(
  sample: VariantSample,
  stats: Pick<VariantStats, 'requests' | 'statusClasses' | 'samples'>,
  cap: number,
) {
  sample.requests += stats.requests;
  sample.errors += errorsOf(stats);
  for (const latency of stats.samples) if (sample.latenciesMs.length < cap) sample.latenciesMs.push(latency);
}

export function createAnalysisActivities(clients: WorkspaceClients) {
  return {
    /** A load test of the endpoint as users reach it (routed by traffic weights), judged against the plan's SLOs. */
    async runLoadTest(
      input: EndpointTarget & { load: LoadSettings; payloads: Record<string, unknown>[]; stage?: string },
    ): Promise<CheckResult> {
      return classified(`${input.region}/${input.endpoint}: load test`, async () => {
        const client = clients.get(input.workspace);
        const resumed = activityInfo().heartbeatDetails as LoadCheckpoint | undefined;
        const result: LoadResult = await runLoad({
          rps: input.load.rps,
          durationMs: input.load.duration,
          concurrency: input.load.concurrency,
          timeoutMs: input.load.timeout,
          payloads: requestBodies(input.payloads),
          send: invocationSender(client, input.endpoint),
          signal: cancellationSignal(),
          // A retried attempt (after a worker restart) continues the test with what was measured before.
          resume: resumed,
          onCheckpoint: (checkpoint) => heartbeat(checkpoint),
        });
        // Cut short (the workflow cancelled it, or the worker is shutting down): never judge a partial test. The
        // last checkpoint is heartbeated, so a retried attempt continues from it.
        if (result.aborted) throw cancellationSignal().reason ?? new Error('load test cancelled');
        const errorRate = result.overall.requests ? errorsOf(result.overall) / result.overall.requests : 0;
        const failures: string[] = [];
        const slo = input.load.slo;
        if (slo.p99 !== undefined && result.overall.latencyMs.p99 > slo.p99)
          failures.push(`p99 ${round(result.overall.latencyMs.p99)}ms is over the SLO of ${slo.p99}ms`);
        if (slo.error_rate !== undefined && errorRate > slo.error_rate)
          failures.push(
            `error rate ${round(errorRate * 100, 2)}% is over the SLO of ${round(slo.error_rate * 100, 2)}%`,
          );
        if (result.dropped > 0) failures.push(`${result.dropped} requests could not be sent (concurrency cap reached)`);
        const variants = Object.entries(result.byVariant)
          .map(([name, v]) => `${name}: ${v.requests} req, p99 ${round(v.latencyMs.p99)}ms, ${errorsOf(v)} errors`)
          .join('; ');
        return {
          check: 'load',
          stage: input.stage,
          passed: failures.length === 0,
          summary: `${result.completed} requests at ${round(result.achievedRps)} rps (target ${input.load.rps}): p50 ${round(result.overall.latencyMs.p50)}ms, p99 ${round(result.overall.latencyMs.p99)}ms, errors ${round(errorRate * 100, 2)}% [${variants}]`,
          failures,
          at: new Date().toISOString(),
          evidence: {
            source: 'probes (open-model load through the endpoint)',
            // Set when an earlier attempt (e.g. on a worker that stopped) measured part of the test.
            resumedAt: resumed ? { attempt: activityInfo().attempt, request: resumed.nextIndex } : undefined,
            targetRps: result.targetRps,
            achievedRps: result.achievedRps,
            dropped: result.dropped,
            overall: { ...result.overall, samples: undefined },
            byVariant: Object.fromEntries(
              Object.entries(result.byVariant).map(([k, v]) => [k, { ...v, samples: undefined }]),
            ),
          },
        };
      });
    },

    /** The canary judge (see judgeCanaryWith); progress is heartbeated, so a retried attempt resumes with it. */
    async judgeCanary(input: CanaryJudgementInput): Promise<CheckResult> {
      return classified(`${input.region}/${input.endpoint}: canary judgement`, () =>
        judgeCanaryWith(clients.get(input.workspace), input, {
          resumed: activityInfo().heartbeatDetails as JudgeProgress | undefined,
          onLook: (progress) => heartbeat(inMicroseconds(progress)),
          signal: cancellationSignal(),
        }),
      );
    },

    /** An A/B stage's measurement and decision (see abTestWith); progress is heartbeated, so a retry resumes. */
    async runAbTest(input: AbTestInput): Promise<AbTestResult> {
      return classified(`${input.region}/${input.endpoint}: A/B test`, () =>
        abTestWith(clients.get(input.workspace), input, {
          resumed: activityInfo().heartbeatDetails as AbProgress | undefined,
          onRound: (progress) => heartbeat(inMicroseconds(progress)),
          signal: cancellationSignal(),
        }),
      );
    },
  };
}

export interface CanaryJudgementInput extends EndpointTarget {
  champion: string;
  challenger: string;
  canary: CanarySettings;
  windowMs: number;
  payloads: Record<string, unknown>[];
  stage?: string;
}

/**
 * The canary judge's measuring loop, for the activity and for power tests. Probes each version directly at
 * `probe_rps` in short rounds; after each round, a look: fail as soon as a test is significant at the look's share of
 * alpha and its effect is above the floor; pass only at the final look (max_requests challenger requests). Still
 * inconclusive when the window ends: the window is extended (more probes) up to max_extension, then the canary fails
 * as inconclusive, never passes. `resumed` continues from a heartbeat of an earlier attempt.
 */
export async function judgeCanaryWith(
  client: DatabricksClient,
  input: CanaryJudgementInput,
  options: { resumed?: JudgeProgress; onLook?: (progress: JudgeProgress) => void; signal?: AbortSignal } = {},
): Promise<CheckResult> {
  const config = {
    ...DEFAULT_JUDGE,
    alpha: input.canary.alpha,
    minRequests: input.canary.min_requests,
    maxRequests: input.canary.max_requests,
    errorRateFloor: input.canary.error_rate_floor,
    latencyEffectFloor: input.canary.latency_floor,
  };
  const resumed = options.resumed;
  const progress: JudgeProgress = resumed ?? {
    startedAt: Date.now(),
    champion: emptySample(),
    challenger: emptySample(),
    previousFraction: 0,
    looks: 0,
    metrics: await openMetricWindow(client, input.endpoint),
  };
  const metrics = (progress.metrics ??= await openMetricWindow(client, input.endpoint));
  const windowEnd = progress.startedAt + input.windowMs;
  const deadline = windowEnd + input.canary.max_extension;
  // About ten looks up to max_requests.
  const roundRequests = Math.max(50, Math.ceil(input.canary.max_requests / 10));
  let verdict: Verdict | undefined;
  for (;;) {
    const remaining = Math.max(0, input.canary.max_requests - progress.challenger.requests);
    const durationMs = Math.max(
      200,
      (Math.min(roundRequests, remaining || roundRequests) / input.canary.probe_rps) * 1000,
    );
    const round = await probeBoth(client, input, input.canary.probe_rps, durationMs, options.signal);
    addTo(progress.champion, round.champion, config.maxRequests * 4);
    addTo(progress.challenger, round.challenger, config.maxRequests);
    verdict = judge(progress.champion, progress.challenger, config, progress.previousFraction);
    progress.previousFraction = verdict.informationFraction;
    progress.looks++;
    await readMetricWindow(client, input.endpoint, metrics, { bestEffort: true });
    options.onLook?.(progress);
    if (verdict.decision !== 'inconclusive') break;
    const now = Date.now();
    if (now >= deadline) break;
    if (verdict.informationFraction >= 1 && now >= windowEnd) break;
  }
  // The second source: what the endpoint itself counted per served entity over the same window's minutes.
  await readMetricWindow(client, input.endpoint, metrics);
  const delta = windowCounts(metrics);
  const metricsChampion = delta(input.champion);
  const metricsChallenger = delta(input.challenger);
  const metricsTest = twoProportions(
    metricsChampion.errors,
    Math.max(1, metricsChampion.requests),
    metricsChallenger.errors,
    Math.max(1, metricsChallenger.requests),
    'greater',
  );
  const decided = verdict.decision;
  const passed = decided === 'pass';
  const why =
    decided === 'inconclusive'
      ? `inconclusive after ${Math.round((Date.now() - progress.startedAt) / 1000)}s and ${progress.challenger.requests} challenger requests: ${verdict.reasons.join('; ')}`
      : verdict.reasons.join('; ');
  return {
    check: 'canary',
    stage: input.stage,
    passed,
    summary: `${decided.toUpperCase()} at look ${progress.looks} (${progress.challenger.requests} challenger / ${progress.champion.requests} champion probe requests): ${why}`,
    failures: passed ? [] : verdict.tests.filter((t) => t.worse || !passed).map((t) => t.summary),
    at: new Date().toISOString(),
    evidence: {
      verdict: { ...verdict, source: 'probes (each version queried directly)' },
      endpointMetrics: {
        source: 'endpoint metrics (GET .../metrics, per served entity, over the window)',
        minutes: Object.keys(metrics.minutes).length,
        champion: metricsChampion,
        challenger: metricsChallenger,
        errorRateTest: metricsTest,
      },
      looks: progress.looks,
      elapsedMs: Date.now() - progress.startedAt,
    },
  };
}

export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;

type AbSettings = NonNullable<Plan['stages'][number]['ab']>;

export interface AbTestInput extends EndpointTarget {
  champion: string;
  challenger: string;
  ab: AbSettings;
  /** The fixed split's duration: the stage's bake. */
  windowMs: number;
  payloads: Record<string, unknown>[];
  stage?: string;
}

export interface AbProgress {
  startedAt: number;
  champion: VariantSample;
  challenger: VariantSample;
  /** The endpoint's per-minute readings over the window (absent in a heartbeat of an older attempt). */
  metrics?: MetricWindow;
}

export type AbTestResult = CheckResult & { winner: AbWinner };

/** Probes run in rounds of this length, with a heartbeat after each (a retried attempt resumes from it). */
const AB_ROUND_MS = 10_000;
const AB_SAMPLE_CAP = 20_000;

/**
 * An A/B stage's measurement: the split stays as it is for `windowMs`; both versions are probed directly at
 * `probe_rps` each (latency samples), and the endpoint's own per-version counts cover everything it served (users
 * and probes). The error-rate metric is decided on the endpoint's counts (falling back to the probes when it counted
 * nothing), the latency metrics on the probes. `resumed` continues from a heartbeat of an earlier attempt.
 */
export async function abTestWith(
  client: DatabricksClient,
  input: AbTestInput,
  options: { resumed?: AbProgress; onRound?: (progress: AbProgress) => void; signal?: AbortSignal } = {},
): Promise<AbTestResult> {
  const progress: AbProgress = options.resumed ?? {
    startedAt: Date.now(),
    champion: emptySample(),
    challenger: emptySample(),
    metrics: await openMetricWindow(client, input.endpoint),
  };
  const metrics = (progress.metrics ??= await openMetricWindow(client, input.endpoint));
  const windowEnd = progress.startedAt + input.windowMs;
  for (let now = Date.now(); now < windowEnd; now = Date.now()) {
    const durationMs = Math.min(AB_ROUND_MS, windowEnd - now);
    if (input.ab.probe_rps > 0) {
      const round = await probeBoth(client, input, input.ab.probe_rps, durationMs, options.signal);
      if (options.signal?.aborted) throw options.signal.reason as Error;
      addTo(progress.champion, round.champion, AB_SAMPLE_CAP);
      addTo(progress.challenger, round.challenger, AB_SAMPLE_CAP);
    } else {
      await sleep(durationMs, options.signal);
    }
    await readMetricWindow(client, input.endpoint, metrics, { bestEffort: true });
    options.onRound?.(progress);
  }
  await readMetricWindow(client, input.endpoint, metrics);
  const served = windowCounts(metrics);
  const endpointCounts = { champion: served(input.champion), challenger: served(input.challenger) };
  const useEndpointCounts =
    input.ab.metric === 'error_rate' && endpointCounts.champion.requests > 0 && endpointCounts.challenger.requests > 0;
  const probes = decideAb(progress.champion, progress.challenger, input.ab.metric, input.ab.alpha);
  const decision = useEndpointCounts
    ? decideAb(
        { ...endpointCounts.champion, latenciesMs: progress.champion.latenciesMs },
        { ...endpointCounts.challenger, latenciesMs: progress.challenger.latenciesMs },
        input.ab.metric,
        input.ab.alpha,
      )
    : probes;
  const source = useEndpointCounts
    ? 'endpoint metrics (GET .../metrics, per served entity: users and probes)'
    : 'probes (each version queried directly)';
  return {
    check: 'ab',
    stage: input.stage,
    winner: decision.winner,
    passed: decision.winner !== 'champion',
    summary: `A/B over ${Math.round(input.windowMs / 1000)}s, decided on ${source.split(' (')[0]}: ${decision.summary}`,
    failures: decision.winner === 'champion' ? [decision.summary] : [],
    at: new Date().toISOString(),
    evidence: {
      decision: { ...decision, source },
      variants: {
        probes: {
          source: 'probes (each version queried directly)',
          champion: probes.champion,
          challenger: probes.challenger,
        },
        endpointMetrics: {
          source: 'endpoint metrics (GET .../metrics, per served entity, over the window)',
          minutes: Object.keys(metrics.minutes).length,
          ...endpointCounts,
        },
      },
      elapsedMs: Date.now() - progress.startedAt,
    },
  };
}
