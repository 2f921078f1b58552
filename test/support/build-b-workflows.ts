/**
 * "Build B" of the workflow bundle for the Worker Versioning test: every workflow type of src/workflows, with a region
 * workflow that waits a moment before doing what build A's does. Its first command is a timer where A's is an
 * activity, so a history written by A's region workflow fails to replay against it (the test checks that too): a
 * rollout of A that finishes cleanly while B serves the queue was never replayed on B.
 */
import * as wf from '@temporalio/workflow';
import type { RegionReport, RegionRolloutInput } from '../../src/shared/types';
import { regionRolloutWorkflow as buildA } from '../../src/workflows/region/workflow';

export {
  rolloutWorkflow,
  endpointLeaseWorkflow,
  rolloutQueueWorkflow,
  rolloutWatcherWorkflow,
} from '../../src/workflows';

export async function regionRolloutWorkflow(input: RegionRolloutInput): Promise<RegionReport> {
  await wf.sleep('100ms');
  return buildA(input);
}
