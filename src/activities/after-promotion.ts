/**
 * Watching after promotion (the plan's `after_promotion`), in two activities on the region's queue:
 * - `recordBaselineWith`: before the rollout changes anything, the endpoint's metrics export is read every metric
 *   minute and each minute's per-entity aggregates are kept, until there are as many as the plan's `baseline` has
 *   minutes (the export shows only the last minute, so nobody else keeps them). Minutes the export already shows at the start count: they are
 *   from before the rollout too.
 * - `judgeAfterPromotionWith`: once the new version serves 100%, each new metric minute of it is a batch for the
 *   canary's sequential judge (analysis/sequential-judge.ts), against a recorded minute of the version it replaced
 *   (live-minutes.ts, `beforeAfterBatches`). It returns at the first clear regression (a fail verdict), or when the
 *   watch ends. A pass (non-inferiority) does not end the watch: later minutes may still show harm.
 * Both heartbeat their state, so an attempt after a worker restart resumes with what was read. Time is the metric
 * minutes' own (their timestamps), as in the canary judge; the wall clock only bounds the activity.
 */
import type { VersionAggregate } from '../analysis/batch';
import { SequentialJudge, type SequentialJudgeState, type SequentialVerdict } from '../analysis/sequential-judge';
import type { DatabricksClient } from '../databricks';
import { METRIC_MINUTE_MS } from '../databricks/metric-names';
import { sleep } from '../databricks/serving';
import { canarySettings, judgeConfigOf } from '../plan/canary';
import type { CanarySettings } from '../plan/schema';
import type { CheckResult } from '../shared/types';
import type { EndpointTarget } from './databricks';
import {
  beforeAfterBatches,
  MinuteCursor,
  recordedMinute,
  type MinuteCursorState,
  type RecordedMinute,
} from './live-minutes';

/** How long past its span the baseline waits for a lagging export before it settles for what it has. */
export const BASELINE_LAG_MS = 2 * 60_000;

export interface BaselineInput extends EndpointTarget {
  /** The plan's `after_promotion.baseline`: metric time to record. */
  durationMs: number;
}

export interface BaselineProgress {
  /** Wall-clock start (ms). */
  startedAt: number;
  cursor: MinuteCursorState;
  /** The minutes kept so far, oldest first (at most the baseline's span). */
  minutes: RecordedMinute[];
}

export interface RecordingOptions<P> {
  resumed?: P;
  onLook?: (progress: P) => void;
  signal?: AbortSignal;
  /** How long to wait between reads of the export (default: adaptive, about four reads per metric minute). */
  pollMs?: number;
}

/** How many metric minutes a baseline of `durationMs` keeps (at least one). */
export function baselineMinutes(durationMs: number): number {
  return Math.max(1, Math.round(durationMs / METRIC_MINUTE_MS));
}

export async function recordBaselineWith(
  client: DatabricksClient,
  input: BaselineInput,
  options: RecordingOptions<BaselineProgress> = {},
): Promise<RecordedMinute[]> {
  const progress: BaselineProgress = options.resumed ?? {
    startedAt: Date.now(),
    cursor: { arrivals: [] },
    minutes: [],
  };
  // No starting point: the first read takes every minute the export shows (all of them before the rollout).
  const cursor = MinuteCursor.from(progress.cursor);
  const wallDeadline = progress.startedAt + input.durationMs + BASELINE_LAG_MS;
  // Counted in minutes read, not in the span of their timestamps: a reader that missed minutes (an export showing one,
  // read late) keeps reading until it has as many as the baseline says.
  const wanted = baselineMinutes(input.durationMs);
  for (;;) {
    const read = await cursor.next(client, input.endpoint);
    progress.minutes = [...progress.minutes, ...read.map(recordedMinute)].slice(-wanted);
    progress.cursor = cursor.snapshot();
    options.onLook?.(progress);
    if (progress.minutes.length >= wanted || Date.now() >= wallDeadline) return progress.minutes;
    await sleep(options.pollMs ?? cursor.suggestedPollMs(Date.now()), options.signal);
  }
}

export interface AfterPromotionInput extends EndpointTarget {
  /** The replaced entity's minutes from the baseline, oldest first. */
  before: VersionAggregate[];
  /** The served entity the new version replaced (for the report). */
  beforeEntity: string;
  /** The new version's served entity. */
  afterEntity: string;
  /** The plan's `tests.canary`, for its margins (alpha, beta, floors, quantiles); absent: the canary's defaults. */
  canary?: CanarySettings;
  watchMs: number;
}

export interface AfterPromotionProgress {
  /** Wall-clock start (ms). */
  startedAt: number;
  judge: SequentialJudgeState;
  /** The newest minute judged; the minutes up to the promotion are left out. */
  cursor: MinuteCursorState;
  /** Minutes after the promotion read so far: the next is paired with baseline minute `paired mod before.length`. */
  paired: number;
  /** When the judge failed the version: metric time from the promotion to the end of the deciding minute. */
  regressedAtMs?: number;
}

export interface AfterPromotionResult extends CheckResult {
  check: 'after-promotion';
  /** The judge failed the new version: a clear regression against the baseline. */
  regressed: boolean;
  /** Metric time from the promotion to the minute that decided it (regressed), or the time watched. */
  atMs: number;
}

/** The judge's settings for the watch: the canary's margins, on live traffic alone. */
export function afterPromotionJudge(canary: CanarySettings | undefined): SequentialJudge {
  return new SequentialJudge({ ...judgeConfigOf(canarySettings(canary)), sources: ['live'] });
}

export async function judgeAfterPromotionWith(
  client: DatabricksClient,
  input: AfterPromotionInput,
  options: RecordingOptions<AfterPromotionProgress> = {},
): Promise<AfterPromotionResult> {
  const fresh = afterPromotionJudge(input.canary);
  const progress: AfterPromotionProgress = options.resumed ?? {
    startedAt: Date.now(),
    judge: fresh.snapshot(),
    // The minutes exported up to the promotion are not the new version's alone: the watch starts after them.
    cursor: await MinuteCursor.start(client, input.endpoint),
    paired: 0,
  };
  const judge = new SequentialJudge(fresh.config, progress.judge);
  const cursor = MinuteCursor.from(progress.cursor);
  const wallDeadline = progress.startedAt + input.watchMs;
  let verdict = judge.verdict();
  while (verdict.decision !== 'fail' && progress.regressedAtMs === undefined) {
    const minutes = (await cursor.next(client, input.endpoint)).map(recordedMinute);
    const promotedAt = cursor.snapshot().startedAfter ?? 0;
    for (const batch of beforeAfterBatches(input.before, minutes, input.afterEntity, progress.paired)) {
      verdict = judge.observe(batch);
      if (verdict.decision === 'fail') {
        progress.regressedAtMs = batch.endsAt - promotedAt;
        break;
      }
    }
    progress.paired += minutes.length;
    progress.judge = judge.snapshot();
    progress.cursor = cursor.snapshot();
    options.onLook?.(progress);
    if (verdict.decision === 'fail') break;
    if (cursor.elapsedMs() >= input.watchMs || Date.now() >= wallDeadline) break;
    await sleep(options.pollMs ?? cursor.suggestedPollMs(Date.now()), options.signal);
  }
  return watchResult(input, verdict, progress, cursor.elapsedMs());
}

const minutesText = (ms: number) =>
  `${Math.round(ms / 60_000)} metric minute${Math.round(ms / 60_000) === 1 ? '' : 's'}`;

function watchResult(
  input: AfterPromotionInput,
  verdict: SequentialVerdict,
  progress: AfterPromotionProgress,
  watchedMs: number,
): AfterPromotionResult {
  const regressed = verdict.decision === 'fail';
  const atMs = regressed ? (progress.regressedAtMs ?? watchedMs) : watchedMs;
  const live = verdict.sources.find((s) => s.source === 'live');
  const counts = live
    ? `${live.challenger.requests} requests to ${input.afterEntity} after promotion, ${live.champion.requests} to ${input.beforeEntity} before the rollout`
    : 'no requests compared';
  const head = regressed
    ? `REGRESSED ${minutesText(atMs)} after promotion (${counts})`
    : input.before.every((minute) => minute.requests === 0)
      ? `NOT JUDGED over ${minutesText(watchedMs)}: the baseline has no minute of ${input.beforeEntity} with traffic`
      : `no regression in ${minutesText(watchedMs)} after promotion (${verdict.decision === 'pass' ? 'within the margins' : 'undecided, no harm shown'}; ${counts})`;
  return {
    check: 'after-promotion',
    passed: !regressed,
    regressed,
    atMs,
    summary: `${head}: ${verdict.reasons.join('; ')}`,
    failures: regressed ? verdict.reasons : [],
    at: new Date().toISOString(),
    evidence: {
      method:
        'the canary judge (sequential e-processes, anytime-valid) on each minute of the new version at 100% against a minute of the replaced version recorded before the rollout, the split taken as realised',
      baselineMinutes: input.before.length,
      watchedMs,
      verdict,
    },
  };
}
