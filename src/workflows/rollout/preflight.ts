/**
 * Pre-flight: before any region is touched, order this rollout against other rollouts of the model (the plan's
 * `on_concurrent_rollout`: queue, supersede or refuse), check the version is READY in the primary and allowed in
 * every region's jurisdiction, and that every endpoint exists. Touches no endpoint. Changes `status.phase` while it
 * waits for another rollout.
 */
import * as wf from '@temporalio/workflow';
import type { RolloutOutcome } from '../../shared/types';
import { describeFailure } from '../failures';
import type { RolloutContext } from './context';

/** Why the rollout stops at pre-flight: its outcome and the error it reports. */
export interface PreflightStop {
  outcome: Extract<RolloutOutcome, 'refused' | 'failed'>;
  error: string;
}

export async function preflight(ctx: RolloutContext): Promise<PreflightStop | undefined> {
  const stop = await orderAgainstOtherRollouts(ctx);
  if (stop) return stop;
  const problems = await readinessProblems(ctx);
  if (problems.length)
    return { outcome: 'failed', error: `pre-flight failed, nothing was touched: ${problems.join('; ')}` };
  return undefined;
}

async function orderAgainstOtherRollouts(ctx: RolloutContext): Promise<PreflightStop | undefined> {
  const { plan, rolloutId, status, activities } = ctx;
  const others = await activities.control.findConcurrentRollouts({ model: plan.model, self: rolloutId });
  if (!others.length) return undefined;
  if (plan.on_concurrent_rollout === 'refuse')
    return {
      outcome: 'refused',
      error: `refused: another rollout of ${plan.model} is running (${others.join(', ')}); the plan says on_concurrent_rollout: refuse`,
    };
  status.phase = 'waiting-for-other-rollout';
  await ctx.details.setStatusAttribute('waiting-for-other-rollout');
  if (plan.on_concurrent_rollout === 'supersede')
    await activities.control.supersedeRollouts({ workflowIds: others, by: rolloutId });
  await activities.waiting.waitForRolloutsToClose.executeWithOptions(
    { summary: `wait for ${others.join(', ')} to finish` },
    [{ workflowIds: others }],
  );
  status.phase = 'pre-flight';
  return undefined;
}

/** The version is READY in the primary (and allowed where it goes), and every region's endpoint exists. */
async function readinessProblems({ plan, version, activities }: RolloutContext): Promise<string[]> {
  const primary = plan.regions.find((r) => r.name === plan.primary)!;
  const checks = await Promise.allSettled([
    activities
      .region(plan.primary)
      .resolveModelVersion.executeWithOptions(
        { summary: `pre-flight: ${plan.model} v${version} is READY in ${plan.primary}` },
        [
          {
            region: plan.primary,
            workspace: primary.workspace,
            model: plan.model,
            version,
            // Rollouts started before data residency existed replay without it.
            ...(wf.patched('data-residency-preflight')
              ? { residency: plan.regions.map((r) => ({ region: r.name, jurisdiction: r.jurisdiction })) }
              : {}),
          },
        ],
      ),
    ...plan.regions.map((r) =>
      activities
        .region(r.name)
        .checkEndpoint.executeWithOptions({ summary: `pre-flight: ${r.name}/${r.endpoint} exists` }, [
          { region: r.name, workspace: r.workspace, endpoint: r.endpoint },
        ]),
    ),
  ]);
  return checks.flatMap((c) => (c.status === 'rejected' ? [describeFailure(c.reason)] : []));
}
