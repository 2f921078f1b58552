/**
 * Step 2: take the endpoint's lease, then record the endpoint's config as the rollback point, before any change.
 * Changes `endpoint.lease`, `endpoint.rollbackPoint` and `endpoint.lastApplied`.
 */
import * as wf from '@temporalio/workflow';
import { acquireEndpointLease } from '../endpoint-lease';
import type { RegionContext } from './context';

export async function recordRollbackPoint({
  input,
  target,
  endpoint,
  activities,
  progress,
  guarded,
}: Pick<RegionContext, 'input' | 'target' | 'endpoint' | 'activities' | 'progress' | 'guarded'>): Promise<void> {
  const { region, timeouts } = input;
  // Held until this workflow ends: the rollback point and every change after it belong to this rollout alone.
  if (guarded)
    endpoint.lease = await acquireEndpointLease(
      region.name,
      region.endpoint,
      () => progress.setPhase('waiting-for-endpoint'),
      input.messageKey,
    );
  await progress.setPhase('recording-rollback-point');
  endpoint.rollbackPoint = await activities.quick.captureEndpoint.executeWithOptions(
    { summary: `${region.name}: record rollback point` },
    [{ ...target, timeoutMs: timeouts.config_update }],
  );
  endpoint.lastApplied = endpoint.rollbackPoint;
}

/**
 * Gives the endpoint back at the region's end, and waits until its lease has ended: the lease then shows as
 * Completed in the UI. Regions of rollouts from before message keys leave it to end with them (terminated, as the
 * child of a closed workflow); they replay unchanged.
 */
export async function releaseEndpoint({ endpoint, keyed }: Pick<RegionContext, 'endpoint' | 'keyed'>): Promise<void> {
  const lease = endpoint.lease;
  if (!keyed || !lease) return;
  endpoint.lease = undefined;
  // Also when the region was cancelled: the release is what lets the next rollout in.
  await wf.CancellationScope.nonCancellable(() => lease.release(true));
}
