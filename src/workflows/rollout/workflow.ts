/**
 * The rollout of one model version across a plan's regions, as a story: pre-flight (other rollouts of the model,
 * the version, the endpoints), then the waves of region workflows, then the failure policy across regions, the
 * report, and the outcome recorded in the primary's Unity Catalog; a rollout that did not succeed fails its workflow
 * with the report in the failure. Operators talk to this workflow (`messages.ts`
 * says which message may change what); it relays to regions.
 *
 * Each step lives in a module of its own and receives the rollout's context explicitly (`context.ts`).
 */
import * as wf from '@temporalio/workflow';
import type { RolloutInput, RolloutReport } from '../../shared/types';
import { createRolloutContext, issueMessageKey } from './context';
import { upsertRolloutAttributes } from './details';
import { mustRestorePromotedRegions, restorePromotedRegions } from './failure-policy';
import { registerRolloutMessages } from './messages';
import { leaveModelQueue, preflight, type PreflightStop } from './preflight';
import { recordOutcomeInRegistry } from './registry';
import { endRollout, finishRollout } from './report';
import { runWaves } from './waves';

export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutReport> {
  const rollout = createRolloutContext(input);
  const { plan, version } = input;
  upsertRolloutAttributes(
    plan.model,
    version,
    plan.regions.map((r) => r.name),
  );
  await rollout.details.setStatusAttribute('pre-flight');
  registerRolloutMessages(rollout);
  await issueMessageKey(rollout); // rollouts with message keys and the model queue only

  // Abort, supersede and a failure under rollback-all cancel this scope: pre-flight and the waves stop there.
  let preflightStop: PreflightStop | undefined;
  try {
    await rollout.scope.run(async () => {
      preflightStop = await preflight(rollout);
      if (!preflightStop) await runWaves(rollout);
    });
  } catch (err) {
    if (!wf.isCancellation(err)) throw err;
  }

  if (mustRestorePromotedRegions(rollout)) await restorePromotedRegions(rollout);
  await leaveModelQueue(rollout);
  const report = await finishRollout(rollout, preflightStop);
  // The outcome's notification, and every delivery in flight (bounded; a failed one never fails the rollout).
  return endRollout(await rollout.notifications.finish(await recordOutcomeInRegistry(rollout, report, preflightStop)));
}
