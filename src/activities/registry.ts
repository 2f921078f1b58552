/**
 * Recording a rollout's outcome in the primary workspace's Unity Catalog: tags on the version (MLflow UC
 * `model-versions/set-tag`) and an alias (`PUT .../aliases/{alias}`). Both writes are idempotent (the same tag value,
 * the alias at the same version), so a retried attempt simply writes again. The primary only: replicas read the model
 * through read-only Delta Sharing catalogs.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DatabricksApiError } from '../databricks';
import type { Workspace } from '../shared/types';
import type { WorkspaceClients } from './clients';
import { classified } from './errors';

export const RegistryFailureType = {
  /** The worker's identity may not tag the version or move the alias: non-retryable, names the grant needed. */
  PermissionDenied: 'RegistryPermissionDenied',
} as const;

export interface RecordRegistryInput {
  /** The primary region. */
  region: string;
  workspace: Workspace;
  model: string;
  version: number;
  /** In the order to write them. */
  tags: [key: string, value: string][];
  alias?: string;
}

/** How a workspace is named in messages: its profile, or its host. */
function workspaceName(workspace: Workspace): string {
  return workspace.profile ? `profile ${workspace.profile}` : (workspace.host ?? 'its workspace');
}

export function createRegistryActivities(clients: WorkspaceClients) {
  return {
    /** Writes the tags, then moves the alias; answers what it wrote. */
    async recordRegistryOutcome(input: RecordRegistryInput): Promise<{ tags: Record<string, string>; alias?: string }> {
      const { region, workspace, model, version } = input;
      return classified(`${region}: record the outcome of ${model} v${version} in Unity Catalog`, async () => {
        const api = clients.get(workspace).unityCatalog;
        const written: Record<string, string> = {};
        const denied = (err: unknown, what: string, fix: string) => {
          if (!(err instanceof DatabricksApiError && err.kind === 'permission-denied')) return err;
          const done = Object.keys(written);
          return ApplicationFailure.create({
            message:
              `the worker's identity in ${region} (${workspaceName(workspace)}) may not ${what} on ${model} v${version}: ` +
              `${fix} in that workspace's Unity Catalog, or set registry.tag_outcomes: false and remove ` +
              `registry.on_success from the plan (${err.apiMessage})` +
              (done.length ? `; already recorded: ${done.join(', ')}` : '; nothing was recorded'),
            type: RegistryFailureType.PermissionDenied,
            nonRetryable: true,
          });
        };
        for (const [key, value] of input.tags) {
          try {
            await api.setModelVersionTag(model, version, key, value);
          } catch (err) {
            throw denied(
              err,
              `set tag ${key}`,
              `grant it APPLY TAG on ${model} (with USE CATALOG and USE SCHEMA on its parents)`,
            );
          }
          written[key] = value;
        }
        if (input.alias === undefined) return { tags: written };
        try {
          await api.setAlias(model, input.alias, version);
        } catch (err) {
          throw denied(
            err,
            `move alias ${input.alias}`,
            `make it the owner of ${model} (only the owner or a metastore admin sets aliases)`,
          );
        }
        return { tags: written, alias: input.alias };
      });
    },
  };
}
