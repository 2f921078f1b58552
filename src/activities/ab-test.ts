/**
 * An A/B stage's measurement on the judge's machinery (analysis/sequential-ab.ts): batches from the endpoint's
 * live metric minutes (`source: live`, the users' traffic under the stage's split) or from probe rounds
 * (`source: probes`), folded into two e-processes on one statistic. It stops as soon as one version wins; no winner
 * by the end of the window (the stage's bake; metric time for live traffic) is a tie.
 */
import type { Batch } from '../analysis/batch';
import { SequentialAb, type AbState, type AbVerdict, type AbWinner } from '../analysis/sequential-ab';
import type { DatabricksClient } from '../databricks';
import { sleep } from '../databricks/serving';
import { roundMs } from '../plan/canary';
import type { Plan } from '../plan/schema';
import type { CheckResult } from '../shared/types';
import type { EndpointTarget } from './databricks';
import { probeRound } from './judge-sources';
import { challengerShareOf, liveMinuteBatches, MinuteCursor, type MinuteCursorState } from './live-minutes';

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
  state: AbState;
  cursor?: MinuteCursorState;
}

export type AbTestResult = CheckResult & { winner: AbWinner };

const QUANTILES = [0.5, 0.99];

/** Where an A/B stage's evidence comes from: its `source`, or (plans from before) probes when it sends any. */
export function abSource(ab: AbSettings): 'live' | 'probes' {
  return ab.source ?? (ab.probe_rps > 0 ? 'probes' : 'live');
}

export async function abTestWith(
  client: DatabricksClient,
  input: AbTestInput,
  options: {
    resumed?: AbProgress;
    onRound?: (progress: AbProgress) => void;
    signal?: AbortSignal;
    pollMs?: number;
  } = {},
): Promise<AbTestResult> {
  const source = abSource(input.ab);
  const ab = new SequentialAb(input.ab.metric, input.ab.alpha, options.resumed?.state);
  const live = source === 'live';
  const share = live ? await challengerShareOf(client, input.endpoint, input.champion, input.challenger) : 0.5;
  const progress: AbProgress = options.resumed ?? {
    startedAt: Date.now(),
    state: ab.snapshot(),
    ...(live ? { cursor: await MinuteCursor.start(client, input.endpoint) } : {}),
  };
  const cursor = progress.cursor && MinuteCursor.from(progress.cursor);
  let verdict: AbVerdict = ab.verdict();
  const observe = (batch: Batch) => {
    verdict = ab.observe(batch);
  };
  for (;;) {
    const before = Date.now();
    if (cursor) {
      for (const batch of liveMinuteBatches(
        await cursor.next(client, input.endpoint),
        input.champion,
        input.challenger,
        share,
      )) {
        observe(batch);
        if (verdict.winner !== 'undecided') break;
      }
    } else {
      const rps = Math.max(1, input.ab.probe_rps);
      observe(
        await probeRound(client, input, {
          rps,
          durationMs: roundMs(rps),
          quantiles: QUANTILES,
          signal: options.signal,
        }),
      );
    }
    progress.state = ab.snapshot();
    if (cursor) progress.cursor = cursor.snapshot();
    options.onRound?.(progress);
    if (verdict.winner !== 'undecided') break;
    const timeUp = cursor ? cursor.elapsedMs() >= input.windowMs : Date.now() - progress.startedAt >= input.windowMs;
    if (timeUp || Date.now() - progress.startedAt >= input.windowMs) break;
    if (cursor)
      await sleep(
        Math.max(0, (options.pollMs ?? cursor.suggestedPollMs(Date.now())) - (Date.now() - before)),
        options.signal,
      );
  }
  const winner: AbWinner = verdict.winner === 'undecided' ? 'tie' : verdict.winner;
  const label = live
    ? 'live traffic (metrics export, per served entity and minute)'
    : 'probes (each version queried directly)';
  return {
    check: 'ab',
    stage: input.stage,
    winner,
    passed: winner !== 'champion',
    summary: `A/B on ${input.ab.metric}, decided on ${label.split(' (')[0]} after ${verdict.batches} ${live ? 'minutes' : 'rounds'}: ${winner === 'tie' ? 'a tie' : `${winner === 'challenger' ? 'the new' : 'the current'} version wins`}; ${verdict.summary}`,
    failures: winner === 'champion' ? [verdict.summary] : [],
    at: new Date().toISOString(),
    evidence: { decision: { ...verdict, winner, source: label }, elapsedMs: Date.now() - progress.startedAt },
  };
}
