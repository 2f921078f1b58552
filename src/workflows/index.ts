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
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { rolloutWorkflow } from './rollout/workflow';
import { regionRolloutWorkflow } from './region/workflow';
import { endpointLeaseWorkflow } from './endpoint-lease';
import { rolloutQueueWorkflow } from './model-queue';
import { rolloutWatcherWorkflow } from './watcher/workflow';

/**
 * The behaviour, declared only on a versioned worker: declared on every worker, an unversioned worker's rollouts
 * stalled (test/workflows/endpoint-lease.test.ts timed out). Evaluated once per run, before the workflow starts; the
 * version is the one recorded for the task, so the answer is the same on replay.
 */
const onVersionedWorker = (versioningBehavior: VersioningBehavior) => () =>
  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {};

setWorkflowOptions(onVersionedWorker('PINNED'), rolloutWorkflow);
setWorkflowOptions(onVersionedWorker('PINNED'), regionRolloutWorkflow);
setWorkflowOptions(onVersionedWorker('PINNED'), endpointLeaseWorkflow);
setWorkflowOptions(onVersionedWorker('AUTO_UPGRADE'), rolloutQueueWorkflow);
setWorkflowOptions(onVersionedWorker('AUTO_UPGRADE'), rolloutWatcherWorkflow);

export { rolloutWorkflow, regionRolloutWorkflow, endpointLeaseWorkflow, rolloutQueueWorkflow, rolloutWatcherWorkflow };
