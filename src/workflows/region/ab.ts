/**
 * An A/B stage: the split stays fixed for the stage's bake while both versions are measured, then the plan's rule
 * picks the winner, or a person does. Changes `status.checks`; the current version winning throws
 * `AbCurrentVersionKept` (the region rolls back).
 */
import * as wf from '@temporalio/workflow';
import type { AbWinner } from '../../analysis/sequential-ab';
import type { PlanStage } from '../../plan/schema';
import { challengerName } from '../../shared/endpoint-config';
import { probePayloads, type CheckContext } from './checks';
import { currentVersionName } from './endpoint-changes';
import { whileUnpaused } from './pause';

export type AbSettings = NonNullable<PlanStage['ab']>;

/**
 * What the plan makes of the A/B result: `person` (the approval gate decides: approve keeps the new version),
 * `new-version`, or `current-version` (the region rolls back).
 */
export function abVerdict(ab: AbSettings, winner: AbWinner): 'person' | 'new-version' | 'current-version' {
  if (ab.decide_by === 'approval' || (winner === 'tie' && ab.on_tie === 'approval')) return 'person';
  if (winner === 'challenger' || (winner === 'tie' && ab.on_tie === 'keep-new')) return 'new-version';
  return 'current-version';
}

/** Returns whether a person must choose the winner. */
export async function runAbStage(ctx: CheckContext, stage: PlanStage & { ab: AbSettings }): Promise<boolean> {
  const { input, target, status, activities, progress } = ctx;
  const { ab, name, bake: windowMs } = stage;
  await progress.setPhase('ab-testing', name);
  const result = await activities.longRunning(windowMs).runAbTest.executeWithOptions(
    {
      summary: `${target.region}: A/B of v${input.version} against ${currentVersionName(ctx)} on ${ab.metric} for ${Math.round(windowMs / 1000)}s (stage ${name})`,
    },
    [
      {
        ...target,
        champion: currentVersionName(ctx),
        challenger: challengerName(input.model, input.version),
        ab,
        windowMs,
        payloads: probePayloads(ctx),
        stage: name,
      },
    ],
  );
  status.checks.push(result);
  await progress.publish();
  const verdict = abVerdict(ab, result.winner);
  if (verdict === 'current-version')
    throw wf.ApplicationFailure.nonRetryable(
      `A/B in stage ${name} keeps the current version (${result.winner === 'champion' ? 'it won' : 'a tie, and on_tie is keep-current'}): ${result.summary}`,
      'AbCurrentVersionKept',
    );
  await whileUnpaused(ctx);
  return verdict === 'person';
}
