/** Step 1: wait until Delta Sharing has replicated the version to this region's shared catalog. Changes nothing. */
import type { RegionContext } from './context';

export async function waitForReplication({
  input,
  activities,
  progress,
}: Pick<RegionContext, 'input' | 'activities' | 'progress'>): Promise<void> {
  const { region, model, version, timeouts } = input;
  await progress.setPhase('waiting-for-replication');
  await activities.replication.waitForReplication.executeWithOptions(
    { summary: `${region.name}: wait for ${model} v${version} to replicate` },
    [{ region: region.name, workspace: region.workspace, model, version, timeoutMs: timeouts.replication }],
  );
}
