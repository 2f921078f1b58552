// The workflow bundle's entry point (Worker workflowsPath): every workflow type the worker runs.
export { rolloutWorkflow } from './rollout/workflow';
export { regionRolloutWorkflow } from './region/workflow';
export { endpointLeaseWorkflow } from './endpoint-lease';
export { rolloutQueueWorkflow } from './model-queue';
export { rolloutWatcherWorkflow } from './watcher/workflow';
