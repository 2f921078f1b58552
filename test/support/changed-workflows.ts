// A deliberately incompatible variant of the region workflow, for the replay test's negative case.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../src/activities';
import type { RegionReport, RegionRolloutInput } from '../../src/shared/types';
import { regionRolloutWorkflow as original } from '../../src/workflows/region/workflow';

export { rolloutWorkflow } from '../../src/workflows/rollout/workflow';

export async function regionRolloutWorkflow(input: RegionRolloutInput): Promise<RegionReport> {
  await wf.sleep('1s');
  const { checkEndpoint } = wf.proxyActivities<Activities>({ startToCloseTimeout: '1m' });
  await checkEndpoint({
    region: input.region.name,
    workspace: input.region.workspace,
    endpoint: input.region.endpoint,
  });
  return original(input);
}
