// The workflow bundle's entry point (Worker workflowsPath): every workflow type the worker runs.
export { rolloutWorkflow } from './rollout';
export { regionRolloutWorkflow } from './region';
export { endpointLeaseWorkflow } from './endpoint-lease';
