/**
 * Step 2: take the endpoint's lease, then record the endpoint's config as the rollback point, before any change.
 * Changes `endpoint.rollbackPoint` and `endpoint.lastApplied`.
 */
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
  // Held until this workflow closes: the rollback point and every change after it belong to this rollout alone.
  if (guarded)
    await acquireEndpointLease(
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
