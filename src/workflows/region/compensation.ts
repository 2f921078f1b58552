/**
 * How a region ends when something fails. Before the endpoint was touched: nothing to undo (`failed`). After: restore
 * the rollback point exactly, in a scope that cancellation cannot interrupt, retrying; a restore that still fails, or
 * that would overwrite someone else's change, waits in `rollback-failed` until an operator sends `retryRollback`. It
 * is never dropped. Changes `status.error`, `status.finishedAt`, `status.challengerWeight`, `endpoint.lastApplied`,
 * and clears `inbox.retryRollback` before it waits for one.
 */
import * as wf from '@temporalio/workflow';
import { describeConfig } from '../../shared/endpoint-config';
import { describeFailure, failureType } from '../failures';
import { recordRollback, recordRollbackFailure } from '../metrics';
import { ROLLBACK_ATTEMPTS, ROLLBACK_BACKOFF_MS, withAttempts } from '../retry';
import { nowIso } from '../time';
import type { RegionContext } from './context';
import { describeMember } from '../../shared/release';
import { touchedCompanions } from './release';
import { regionFailure, regionReport } from './report';

/** Nothing was touched: no rollback, whatever happened. Returns what the workflow fails with. */
export async function endUntouched(ctx: RegionContext, err: unknown): Promise<unknown> {
  const { status, progress } = ctx;
  status.error = describeFailure(err);
  status.finishedAt = nowIso();
  await progress.setPhase('failed');
  if (wf.isCancellation(err)) return err;
  return regionFailure(`${ctx.target.region}: ${status.error}`, 'RegionUntouched', regionReport(ctx, 'untouched'));
}

/** Restores the rollback point after `err`. Returns what the workflow fails with once it is restored. */
export async function rollBack(ctx: RegionContext, err: unknown): Promise<unknown> {
  const { status, progress } = ctx;
  status.error = wf.isCancellation(err) ? 'cancelled' : describeFailure(err);
  await wf.CancellationScope.nonCancellable(() => restoreRollbackPoint(ctx));
  status.finishedAt = nowIso();
  await progress.publish();
  if (wf.isCancellation(err)) return err;
  return regionFailure(
    `${ctx.target.region} rolled back: ${status.error}`,
    'RegionRolledBack',
    regionReport(ctx, 'rolled-back'),
  );
}

/** Restores the region's endpoint, then each release member this rollout changed, one after the other. */
async function restoreRollbackPoint(ctx: RegionContext): Promise<void> {
  const { status, progress } = ctx;
  /** Why the region rolls back: shown again once a restore an operator retried went through. */
  const cause = status.error;
  await progress.setPhase('rolling-back');
  for (const member of [ctx, ...touchedCompanions(ctx)]) await restoreEndpoint(member, cause);
  status.challengerWeight = 0;
  await progress.setPhase('rolled-back');
  recordRollback(ctx.target.region);
}

/** Restores one endpoint's rollback point, retrying; a restore that cannot be done waits for an operator. */
async function restoreEndpoint(ctx: RegionContext, cause: string | undefined): Promise<void> {
  const { input, target, status, endpoint, inbox, activities, progress, guarded, member } = ctx;
  const rollbackPoint = endpoint.rollbackPoint!;
  /** An operator's retryRollback after an external change: restore the rollback point over that change. */
  let overwriteExternalChange = false;
  for (;;) {
    try {
      await withAttempts(
        ROLLBACK_ATTEMPTS,
        ROLLBACK_BACKOFF_MS,
        () =>
          activities.rollbacks.applyEndpointConfig.executeWithOptions(
            { summary: `${target.region}: restore ${describeConfig(rollbackPoint)}` },
            [
              {
                ...target,
                desired: rollbackPoint,
                timeoutMs: input.timeouts.config_update,
                purpose: 'roll back to the recorded config',
                ...(guarded && !overwriteExternalChange
                  ? { expected: [endpoint.lastApplied!, endpoint.attempted!].filter(Boolean) }
                  : {}),
              },
            ],
          ),
        (err) => failureType(err) !== 'EndpointChangedExternally',
      );
      endpoint.lastApplied = rollbackPoint;
      if (member) Object.assign(member, { state: 'rolled-back', challengerWeight: 0 });
      return;
    } catch (err) {
      const external = failureType(err) === 'EndpointChangedExternally';
      const what = member ? `release member ${describeMember(member)}: ` : '';
      status.error = external
        ? `${what}rollback held: ${describeFailure(err)}; waiting for an operator (retryRollback restores the rollback point over it)`
        : `${what}rollback failed: ${describeFailure(err)}; waiting for an operator (retryRollback)`;
      if (member) member.state = 'rollback-failed';
      inbox.retryRollback = false;
      await progress.setPhase('rollback-failed');
      recordRollbackFailure(target.region);
      wf.log.error('rollback failed; waiting for an operator', {
        region: target.region,
        endpoint: target.endpoint,
        error: describeFailure(err),
      });
      await wf.condition(() => inbox.retryRollback);
      if (external) overwriteExternalChange = true;
      status.error = cause;
      await progress.setPhase('rolling-back');
    }
  }
}
