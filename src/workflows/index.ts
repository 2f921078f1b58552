/**
 * The workflow bundle's entry point (Worker workflowsPath): every workflow type the worker runs, and how each moves
 * between builds under Worker Versioning (ignored by an unversioned worker):
 * - PINNED: a rollout, its regions and their endpoint leases finish on the build that started them. They last hours
 *   or days and their histories are long; replaying one against another build's code is what `patched()` guarded.
 * - AUTO_UPGRADE: the watcher (runs for months) and the model queue (lives while the model has rollouts) continue as
 *   new and must reach new builds; pinned, they would hold the old build's workers forever. Their next workflow task
 *   after a new build becomes current runs on it, against their history so far: changes to their code still need
 *   `patched()`.
 */
import { setWorkflowOptions } from '@temporalio/workflow';
import { rolloutWorkflow } from './rollout/workflow';
import { regionRolloutWorkflow } from './region/workflow';
import { endpointLeaseWorkflow } from './endpoint-lease';
import { rolloutQueueWorkflow } from './model-queue';
import { rolloutWatcherWorkflow } from './watcher/workflow';

const PINNED = { versioningBehavior: 'PINNED' } as const;
const AUTO_UPGRADE = { versioningBehavior: 'AUTO_UPGRADE' } as const;
setWorkflowOptions(PINNED, rolloutWorkflow);
setWorkflowOptions(PINNED, regionRolloutWorkflow);
setWorkflowOptions(PINNED, endpointLeaseWorkflow);
setWorkflowOptions(AUTO_UPGRADE, rolloutQueueWorkflow);
setWorkflowOptions(AUTO_UPGRADE, rolloutWatcherWorkflow);

export { rolloutWorkflow, regionRolloutWorkflow, endpointLeaseWorkflow, rolloutQueueWorkflow, rolloutWatcherWorkflow };
