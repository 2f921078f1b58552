/**
 * Per-region Databricks clients, resolved by the worker. A plan names each region's workspace by profile or host;
 * the credentials come from the worker's ~/.databrickscfg or DATABRICKS_* environment and never enter a workflow.
 */
import { DatabricksClient, type DatabricksClientOptions } from '../databricks';
import type { Workspace } from '../shared/types';
import { recordDatabricksRequest } from './databricks-metrics';

export interface WorkspaceClientsOptions {
  /** Environment used for DATABRICKS_* and DATABRICKS_CONFIG_FILE (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Extra client options (timeouts, the emulator's client region, a custom fetch, `onRequestEnd`: by default the
   * worker's Databricks request metrics). */
  clientOptions?: Omit<DatabricksClientOptions, 'profile' | 'host' | 'env'>;
}

export class WorkspaceClients {
  private readonly cache = new Map<string, DatabricksClient>();

  constructor(private readonly options: WorkspaceClientsOptions = {}) {}

  get(workspace: Workspace): DatabricksClient {
    const key = workspace.profile ? `profile:${workspace.profile}` : `host:${workspace.host}`;
    let client = this.cache.get(key);
    if (!client) {
      const env = this.options.env ?? process.env;
      const options = { onRequestEnd: recordDatabricksRequest, ...this.options.clientOptions, env };
      client = workspace.profile
        ? DatabricksClient.forProfile(workspace.profile, options)
        : new DatabricksClient({ ...options, host: workspace.host });
      this.cache.set(key, client);
    }
    return client;
  }
}
