/**
 * Pre-flight: before any region is touched, order this rollout against other rollouts of the model (the plan's
 * `on_concurrent_rollout`: queue, supersede or refuse), check the version is READY in the primary and allowed in
 * every region's jurisdiction, and that every endpoint exists. Touches no endpoint. Changes `status.phase` while it
 * waits for another rollout.
 */
import * as wf from '@temporalio/workflow';
import { leaveQueueSignal, modelQueueWorkflowId } from '../../shared/messages';
import { liveJudgedStages, peakTestRate } from '../../plan/gateway-preflight';
import type { RolloutOutcome } from '../../shared/types';
import { describeFailure } from '../failures';
import type { RolloutContext } from './context';
import { releaseChecks } from './release';

/** Why the rollout stops at pre-flight: its outcome and the error it reports. */
export interface PreflightStop {
  outcome: Extract<RolloutOutcome, 'refused' | 'failed'>;
  error: string;
}

export async function preflight(ctx: RolloutContext): Promise<PreflightStop | undefined> {
  const stop = ctx.keys.keyed ? await takeTurnInModelQueue(ctx) : await orderAgainstOtherRollouts(ctx);
  if (stop) return stop;
  const problems = await readinessProblems(ctx);
  if (problems.length)
    return { outcome: 'failed', error: `pre-flight failed, nothing was touched: ${problems.join('; ')}` };
  return undefined;
}

/**
 * Arrives in the model's queue (model-queue.ts) and waits for its turn: to proceed, or to be refused. A supersede
 * (at once, or while waiting) stops the rollout through the message handler, which cancels the scope this runs in.
 */
async function takeTurnInModelQueue(ctx: RolloutContext): Promise<PreflightStop | undefined> {
  const { plan, version, rolloutId, status, inbox, keys, activities } = ctx;
  await activities.control.enqueueRollout({
    rolloutId,
    model: plan.model,
    version,
    policy: plan.on_concurrent_rollout,
    key: keys.key!,
  });
  for (;;) {
    await wf.condition(() => inbox.turn !== undefined);
    const turn = inbox.turn!;
    if (turn.turn === 'proceed') break;
    if (turn.turn === 'refused')
      return {
        outcome: 'refused',
        error: `refused: another rollout of ${plan.model} is running (${turn.by.join(', ')}); the plan says on_concurrent_rollout: refuse`,
      };
    if (turn.turn === 'wait' && status.phase !== 'waiting-for-other-rollout') {
      status.phase = 'waiting-for-other-rollout';
      await ctx.details.setStatusAttribute('waiting-for-other-rollout');
    }
    if (inbox.turn === turn) inbox.turn = undefined;
  }
  if (status.phase === 'waiting-for-other-rollout') {
    status.phase = 'pre-flight';
    await ctx.details.setStatusAttribute('pre-flight');
  }
  return undefined;
}

/** Tells the model queue this rollout is done with the model's endpoints: the next one may proceed. */
export async function leaveModelQueue({ plan, rolloutId, keys }: RolloutContext): Promise<void> {
  if (!keys.keyed || keys.key === undefined) return;
  // Not queued (refused, superseded on arrival) or the queue is gone: nothing to leave.
  await wf
    .getExternalWorkflowHandle(modelQueueWorkflowId(plan.model))
    .signal(leaveQueueSignal, { rolloutId, key: keys.key })
    .catch(() => undefined);
}

/** Rollouts from before the model queue: other rollouts found by a visibility query. */
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

/**
 * The version is READY in the primary (and allowed where it goes), and every region's endpoint exists (a release's
 * members too: `release.ts`), with no AI Gateway fallback hiding errors from a stage that judges live traffic (a warning instead, where the plan allows it).
 */
async function readinessProblems(ctx: RolloutContext): Promise<string[]> {
  const { plan, version, activities, status } = ctx;
  const primary = plan.regions.find((r) => r.name === plan.primary)!;
  const gatewayChecked = wf.patched('gateway-fallback-preflight');
  const liveStages = gatewayChecked ? liveJudgedStages(plan) : [];
  const peak = gatewayChecked ? peakTestRate(plan) : undefined;
  const gateway = {
    ...(liveStages.length
      ? { liveJudged: { stages: liveStages, onGatewayFallback: plan.on_gateway_fallback ?? 'refuse' } }
      : {}),
    ...(peak ? { peakTestRate: peak } : {}),
  };
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
          { region: r.name, workspace: r.workspace, endpoint: r.endpoint, ...gateway },
        ]),
    ),
    ...releaseChecks(ctx),
  ]);
  const warnings = checks.flatMap((c) =>
    c.status === 'fulfilled' && c.value && 'warnings' in c.value ? (c.value.warnings ?? []) : [],
  );
  if (warnings.length) status.warnings = warnings;
  return checks.flatMap((c) => (c.status === 'rejected' ? [describeFailure(c.reason)] : []));
}
