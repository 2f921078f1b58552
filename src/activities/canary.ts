/**
 * The canary judgement activity: feeds the sequential judge (analysis/sequential-judge.ts) with the sources the plan
 * names, and stops at the first clear answer.
 * - live: the endpoint's metrics export, one batch per new metric minute (the minute's timestamp, never the wall
 *   clock, says which minute it is; a minute is judged once);
 * - probes and paired replay: rounds of our own requests (judge-sources.ts).
 * The window is the stage's bake plus `max_extension`. With live traffic deciding it is measured on the metrics'
 * timestamps (so an emulator with a time scale, or a workspace whose export lags, is judged on the minutes it really
 * exported); the wall clock only bounds the activity. At the deadline without a decision the result is `undecided`:
 * the workflow fails the stage or hands it to the approval gate, as the plan says. Never a silent pass.
 */
import { sleep } from '../databricks/serving';
import type { DatabricksClient } from '../databricks';
import type { Batch } from '../analysis/batch';
import { SequentialJudge, type SequentialJudgeState, type SequentialVerdict } from '../analysis/sequential-judge';
import type { Plan } from '../plan/schema';
import { canarySettings, judgeConfigOf, roundMs } from '../plan/canary';
import type { CheckResult } from '../shared/types';
import type { EndpointTarget } from './databricks';
import { pairedRound, probeRound } from './judge-sources';
import { challengerShareOf, liveMinuteBatches, MinuteCursor, type MinuteCursorState } from './live-minutes';

type CanarySettings = NonNullable<Plan['tests']['canary']>;

export interface CanaryJudgementInput extends EndpointTarget {
  champion: string;
  challenger: string;
  /** The plan's settings; older rollouts in flight pass the previous shape, which `canarySettings` completes. */
  canary: CanarySettings;
  windowMs: number;
  payloads: Record<string, unknown>[];
  stage?: string;
}

export interface CanaryProgress {
  /** Wall-clock start (ms). */
  startedAt: number;
  judge: SequentialJudgeState;
  /** Live: the newest metric minute judged (or seen at the start: minutes up to it are before the canary). */
  cursor?: MinuteCursorState;
  rounds: number;
}

export interface CanaryOptions {
  resumed?: CanaryProgress;
  onLook?: (progress: CanaryProgress) => void;
  signal?: AbortSignal;
  /** How long to wait between metric reads when only live traffic decides (default: adaptive, see below). */
  pollMs?: number;
}

export async function judgeCanaryWith(
  client: DatabricksClient,
  input: CanaryJudgementInput,
  options: CanaryOptions = {},
): Promise<CheckResult> {
  const canary = canarySettings(input.canary);
  const config = judgeConfigOf(canary);
  const judge = new SequentialJudge(config, options.resumed?.judge);
  const live = config.sources.includes('live');
  const share = live ? await challengerShareOf(client, input.endpoint, input.champion, input.challenger) : 0.5;
  const progress: CanaryProgress = options.resumed ?? {
    startedAt: Date.now(),
    judge: judge.snapshot(),
    rounds: 0,
    ...(live ? { cursor: await MinuteCursor.start(client, input.endpoint) } : {}),
  };
  const windowMs = input.windowMs + canary.max_extension;
  const wallDeadline = progress.startedAt + windowMs;
  const cursor = progress.cursor && MinuteCursor.from(progress.cursor);
  const target = { ...input };
  let verdict: SequentialVerdict = judge.verdict();
  const observe = (batch: Batch) => {
    verdict = judge.observe(batch);
  };
  let pollMs = options.pollMs ?? 1_000;
  for (;;) {
    const before = Date.now();
    if (config.sources.includes('probes'))
      observe(await probeRound(client, target, roundOptions(canary, options.signal)));
    if (verdict.decision === 'continue' && config.sources.includes('paired'))
      observe(await pairedRound(client, target, roundOptions(canary, options.signal)));
    if (cursor && verdict.decision === 'continue') {
      const minutes = await cursor.next(client, input.endpoint);
      for (const batch of liveMinuteBatches(minutes, input.champion, input.challenger, share)) {
        observe(batch);
        if (verdict.decision !== 'continue') break;
      }
      // Adaptive polling: about four reads per metric minute, as the export's timestamps show them passing.
      if (options.pollMs === undefined) pollMs = cursor.suggestedPollMs(Date.now());
    }
    progress.rounds++;
    progress.judge = judge.snapshot();
    if (cursor) progress.cursor = cursor.snapshot();
    options.onLook?.(progress);
    if (verdict.decision !== 'continue') break;
    const metricTimeUp = cursor ? cursor.elapsedMs() >= windowMs : false;
    if (metricTimeUp || Date.now() >= wallDeadline) break;
    if (!config.sources.includes('probes') && !config.sources.includes('paired'))
      await sleep(Math.max(0, pollMs - (Date.now() - before)), options.signal);
  }
  return canaryResult(input, canary, verdict, progress, cursor?.elapsedMs());
}

function roundOptions(canary: ReturnType<typeof canarySettings>, signal?: AbortSignal) {
  return { rps: canary.probe_rps, durationMs: roundMs(canary.probe_rps), quantiles: canary.quantiles, signal };
}

function canaryResult(
  input: CanaryJudgementInput,
  canary: ReturnType<typeof canarySettings>,
  verdict: SequentialVerdict,
  progress: CanaryProgress,
  metricElapsedMs: number | undefined,
): CheckResult {
  const decided = verdict.decision;
  const undecided = decided === 'continue';
  const elapsedMs = Date.now() - progress.startedAt;
  const span =
    metricElapsedMs !== undefined
      ? `${Math.round(metricElapsedMs / 60_000)} metric minutes`
      : `${Math.round(elapsedMs / 1000)}s`;
  const counts = verdict.sources
    .map((s) => `${s.source}: ${s.challenger.requests} new / ${s.champion.requests} current requests`)
    .join('; ');
  const head = undecided
    ? `UNDECIDED at the deadline (${span}; ${counts}); ${canary.on_deadline === 'approval' ? 'handed to the approval gate' : 'failed, as the plan says (on_deadline: fail)'}`
    : `${decided.toUpperCase()} after ${span} (${counts})`;
  return {
    check: 'canary',
    stage: input.stage,
    passed: decided === 'pass',
    ...(undecided ? { undecided: true } : {}),
    summary: `${head}: ${verdict.reasons.join('; ')}`,
    failures: decided === 'pass' ? [] : verdict.reasons,
    at: new Date().toISOString(),
    evidence: {
      method:
        'sequential e-processes with shifted nulls (anytime-valid; Ville): fail when harm beyond a margin is certain, pass when non-inferiority is',
      sources: canary.sources,
      verdict,
      elapsedMs,
      ...(metricElapsedMs !== undefined ? { metricElapsedMs } : {}),
    },
  };
}
