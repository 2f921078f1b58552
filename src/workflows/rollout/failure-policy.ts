/**
 * The failure policy across regions. Regions restore themselves when they fail or are cancelled; a region that
 * already promoted is restored here, from its report, when the rollout is aborted or superseded, or when a region
 * failed under `rollback-all`. A restore that fails waits in `rollback-failed` for an operator (`retryRollback`), and
 * is never dropped. Changes the restored regions' reports (and their `status.regions` entries), `status.phase`, and
 * clears a region from `inbox.restoreRetries` when it retries.
 */
import * as wf from '@temporalio/workflow';
import { describeConfig } from '../../shared/endpoint-config';
import type { EndpointConfig, EndpointSnapshot, RegionReport, ReleaseMemberStatus } from '../../shared/types';
import { acquireEndpointLease } from '../endpoint-lease';
import { describeFailure, failureType } from '../failures';
import { ROLLBACK_ATTEMPTS, ROLLBACK_BACKOFF_MS, withAttempts } from '../retry';
import { nowIso } from '../time';
import { setRegionStatus, type RolloutContext } from './context';

/** Abort and supersede restore every touched region; a failure does under `rollback-all`. */
export function mustRestorePromotedRegions({ plan, inbox, anyRegionFailed }: RolloutContext): boolean {
  return inbox.stopRequest !== undefined || (anyRegionFailed && plan.failure_policy === 'rollback-all');
}

export async function restorePromotedRegions(ctx: RolloutContext): Promise<void> {
  ctx.status.phase = 'compensating';
  await ctx.details.setStatusAttribute('compensating');
  await wf.CancellationScope.nonCancellable(() =>
    Promise.all(
      [...ctx.reports.values()]
        .filter((r) => r.outcome === 'promoted' && r.rollbackPoint)
        .map((report) => restorePromotedRegion(ctx, report)),
    ),
  );
}

async function restorePromotedRegion(ctx: RolloutContext, report: RegionReport): Promise<void> {
  const point = report.rollbackPoint!;
  report.phase = 'rolling-back';
  setRegionStatus(ctx, report);
  await restoreEndpoint(ctx, report, { point, applied: report.appliedConfig });
  // A release: every member the region promoted goes back too.
  for (const member of report.release ?? [])
    if (member.state === 'promoted' && member.rollbackPoint) {
      await restoreEndpoint(ctx, report, { point: member.rollbackPoint, applied: member.appliedConfig, member });
      Object.assign(member, { state: 'rolled-back', challengerWeight: 0 });
    }
  Object.assign(report, {
    outcome: 'rolled-back',
    phase: 'rolled-back',
    challengerWeight: 0,
    finishedAt: nowIso(),
  });
  setRegionStatus(ctx, report);
}

/** Restores one endpoint of a promoted region to its rollback point; a restore that fails waits for an operator. */
async function restoreEndpoint(
  ctx: RolloutContext,
  report: RegionReport,
  { point, applied, member }: { point: EndpointSnapshot; applied?: EndpointConfig; member?: ReleaseMemberStatus },
): Promise<void> {
  const { plan, inbox } = ctx;
  // Rollouts from before the endpoint lease replay without it. With it, the restore holds the endpoint and refuses
  // to overwrite a change someone else made after the promotion, until an operator says so.
  const guarded = wf.patched('endpoint-lease-and-change-check');
  const lease = guarded
    ? await acquireEndpointLease(report.region, point.endpoint, async () => {}, ctx.keys.key)
    : undefined;
  let overwriteExternalChange = false;
  for (;;) {
    try {
      const restorer = ctx.activities.region(report.region, plan.timeouts.config_update + 300_000);
      await withAttempts(
        ROLLBACK_ATTEMPTS,
        ROLLBACK_BACKOFF_MS,
        () =>
          restorer.applyEndpointConfig.executeWithOptions(
            { summary: `${report.region}: restore ${describeConfig(point)}` },
            [
              {
                region: report.region,
                workspace: plan.regions.find((r) => r.name === report.region)!.workspace,
                endpoint: point.endpoint,
                desired: point,
                timeoutMs: plan.timeouts.config_update,
                purpose: 'roll back a promoted region',
                ...(guarded && applied && !overwriteExternalChange ? { expected: [applied] } : {}),
              },
            ],
          ),
        (err) => failureType(err) !== 'EndpointChangedExternally',
      );
      await lease?.release(ctx.keys.keyed);
      return;
    } catch (err) {
      // Surface it and wait for an operator; never leave a half-restored rollout quietly.
      const external = failureType(err) === 'EndpointChangedExternally';
      const what = member ? `release member ${member.name} (${point.endpoint}): ` : '';
      Object.assign(report, {
        phase: 'rollback-failed',
        error: external
          ? `${what}rollback held: ${describeFailure(err)}; retryRollback restores the rollback point over it`
          : `${what}rollback failed: ${describeFailure(err)}`,
      });
      if (member) member.state = 'rollback-failed';
      setRegionStatus(ctx, report);
      await ctx.details.setStatusAttribute('rollback-failed');
      await wf.condition(() => inbox.restoreRetries.has(report.region));
      inbox.restoreRetries.delete(report.region);
      if (external) overwriteExternalChange = true;
    }
  }
}
