/**
 * A canary stage: the judge compares the new version with the current one during the stage's bake (and may extend it
 * while undecided). Changes `status.checks`; a failed judgement throws `CheckFailed`. Undecided at the deadline, the
 * plan's `on_deadline` says what happens: `fail` (the same `CheckFailed`), or `approval` (a person decides, with the
 * evidence in the check).
 */
import * as wf from '@temporalio/workflow';
import type { Plan, PlanStage } from '../../plan/schema';
import type { ServedEntity } from '../../shared/types';
import { probePayloads, type CheckContext } from './checks';
import { currentVersionName } from './endpoint-changes';
import { whileUnpaused } from './pause';

/** The stage is judged by the canary judge: it lists `canary` in its gate and the plan configures the judge. */
export function judgedStage(stage: PlanStage, tests: Plan['tests']): boolean {
  return stage.gate.includes('canary') && tests.canary !== undefined;
}

/** Returns whether a person must decide (undecided at the deadline, and the plan hands that to the approval gate). */
export async function runCanaryStage(ctx: CheckContext, stage: PlanStage, newVersion: ServedEntity): Promise<boolean> {
  const { input, target, status, activities, progress } = ctx;
  const canary = input.tests.canary!;
  await progress.setPhase('judging', stage.name);
  const result = await activities.longRunning(stage.bake + canary.max_extension).judgeCanary.executeWithOptions(
    {
      summary: `${target.region}: canary judge, v${input.version} against ${currentVersionName(ctx)} (stage ${stage.name})`,
    },
    [
      {
        ...target,
        champion: currentVersionName(ctx),
        challenger: newVersion.name,
        canary,
        windowMs: stage.bake,
        payloads: probePayloads(ctx),
        stage: stage.name,
      },
    ],
  );
  status.checks.push(result);
  await progress.publish();
  if (!result.passed) {
    // Histories from before `on_deadline` never reach the marker: their plans have no such key.
    if (result.undecided && canary.on_deadline === 'approval' && wf.patched('canary-undecided-to-approval'))
      return true;
    throw wf.ApplicationFailure.nonRetryable(
      `canary judge failed in stage ${stage.name}: ${result.summary}`,
      'CheckFailed',
    );
  }
  await whileUnpaused(ctx);
  return false;
}
