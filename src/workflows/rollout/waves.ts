/**
 * The waves: the plan's waves in order, each running up to its `parallelism` region workflows at a time. A region
 * that fails stops the rollout from starting more regions. Changes `reports`, the regions' entries in `status`,
 * `status.phase`/`wave` and `anyRegionFailed`; under `rollback-all` a failure cancels `scope`.
 */
import * as wf from '@temporalio/workflow';
import { modelNameInRegion, resolveWaves } from '../../plan/resolve';
import { regionWorkflowId } from '../../shared/messages';
import { CONTROL_TASK_QUEUE } from '../../shared/task-queues';
import type { RegionReport, RegionStatus } from '../../shared/types';
import { describeFailure } from '../failures';
import { regionRolloutWorkflow } from '../region/workflow';
import { regionStatusOf, setRegionStatus, type RolloutContext } from './context';
import { releaseInRegion } from './release';

export async function runWaves(ctx: RolloutContext): Promise<void> {
  const { plan, status, inbox } = ctx;
  status.phase = 'rolling-out';
  for (const wave of resolveWaves(plan)) {
    if (ctx.anyRegionFailed) break;
    status.wave = wave.name;
    await ctx.details.setStatusAttribute('rolling-out');
    const queue = [...wave.regions];
    const lanes = Array.from({ length: wave.parallelism }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        // A failure anywhere stops the rollout from reaching more regions.
        if (inbox.stopRequest || ctx.anyRegionFailed) break;
        await runRegion(ctx, next);
      }
    });
    await Promise.all(lanes);
  }
}

/** Runs one region's workflow to its end (after a pause, if one is on), and records its report. */
async function runRegion(ctx: RolloutContext, name: string): Promise<void> {
  const { plan, version, rolloutId, status, reports } = ctx;
  const region = plan.regions.find((r) => r.name === name)!;
  await wf.condition(() => !status.paused);
  try {
    const report = await wf.executeChild(regionRolloutWorkflow, {
      workflowId: regionWorkflowId(rolloutId, name),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [
        {
          rolloutId,
          parentWorkflowId: rolloutId,
          region,
          model: modelNameInRegion(plan, name),
          version,
          stages: plan.stages,
          tests: plan.tests,
          edgeCases: ctx.input.edgeCases,
          timeouts: plan.timeouts,
          approvers: plan.approvals?.allowed,
          ...(plan.after_promotion ? { afterPromotion: plan.after_promotion } : {}),
          ...(ctx.keys.key !== undefined ? { messageKey: ctx.keys.key } : {}),
          ...(plan.release ? { release: releaseInRegion(ctx, name) } : {}),
        },
      ],
      staticSummary: `${name}: ${plan.model} v${version} on ${region.endpoint}`,
      // Never terminate a region mid-rollback because this workflow closed.
      parentClosePolicy: 'REQUEST_CANCEL',
    });
    reports.set(name, report);
    setRegionStatus(ctx, report);
  } catch (err) {
    const last = regionStatusOf(ctx, name);
    // Stopped before it started: reported as skipped at the end.
    if (wf.isCancellation(err) && last.phase === 'pending') return;
    ctx.anyRegionFailed = true;
    const report = failedRegionReport(err, last);
    reports.set(name, report);
    setRegionStatus(ctx, report);
    if (plan.failure_policy === 'rollback-all' && !wf.isCancellation(err)) ctx.scope.cancel();
  }
  await ctx.details.setStatusAttribute(status.phase);
}

/** A failed region's report: the one its failure carries, or else its last known status. */
function failedRegionReport(err: unknown, last: RegionStatus): RegionReport {
  const cause = err instanceof wf.ChildWorkflowFailure ? err.cause : undefined;
  const details = cause instanceof wf.ApplicationFailure ? (cause.details?.[0] as RegionReport | undefined) : undefined;
  return (
    details ?? {
      ...last,
      outcome:
        last.phase === 'rolled-back'
          ? 'rolled-back'
          : last.phase === 'failed' || last.phase === 'pending'
            ? 'untouched'
            : 'rolled-back',
      error: last.error ?? describeFailure(err),
    }
  );
}
