/** Activities are built by factories that receive their clients (per-region Databricks clients, a Temporal client). */
import type { Client } from '@temporalio/client';
import type { WorkspaceClients } from './clients';
import { createAnalysisActivities } from './analysis';
import { createControlActivities } from './control';
import { createDatabricksActivities, type PollSettings } from './databricks';
import { createNotifyActivities, type NotifyOptions } from './notify';
import { createRegistryActivities } from './registry';
import { createWatcherPollActivities, createWatcherStartActivities } from './watcher';

export { WorkspaceClients } from './clients';
export { createAnalysisActivities, type AnalysisActivities } from './analysis';
export { createControlActivities, type ControlActivities } from './control';
export { createDatabricksActivities, type DatabricksActivities, DEFAULT_POLL, type PollSettings } from './databricks';
export { FailureType } from './errors';
export { createNotifyActivities, NotifyFailureType, type NotifyActivities, type NotifyOptions } from './notify';
export { createRegistryActivities, RegistryFailureType, type RecordRegistryInput } from './registry';
export { createWatcherPollActivities, createWatcherStartActivities, type WatcherActivities } from './watcher';

export function createActivities(deps: {
  clients: WorkspaceClients;
  temporal: Client;
  poll?: PollSettings;
  controlPollMs?: number;
  notify?: NotifyOptions;
}) {
  return {
    ...createDatabricksActivities(deps.clients, deps.poll),
    ...createRegistryActivities(deps.clients),
    ...createAnalysisActivities(deps.clients),
    ...createControlActivities(deps.temporal, deps.controlPollMs),
    ...createWatcherPollActivities(deps.clients),
    ...createWatcherStartActivities(deps.temporal),
    ...createNotifyActivities(deps.notify),
  };
}

export type Activities = ReturnType<typeof createActivities>;
