/**
 * The watcher's activities (src/workflows/watcher/). `observeModel` reads the primary's Unity Catalog on the primary
 * region's queue: read-only, so idempotent; it heartbeats between pages and classifies errors (a missing model or
 * alias, a refused permission: non-retryable). `startWatchedRollout` starts a rollout on the control queue through
 * the same path as `rollout start`, deduplicated by the rollout's workflow id: a rollout of that version that exists
 * in any state (running or closed) is never started again.
 */
import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { DatabricksApiError } from '../databricks';
import { rolloutStartOptions } from '../shared/rollout-start';
import type { RolloutInput, Workspace } from '../shared/types';
import type { Observation, ObservedVersion } from '../shared/watch';
import type { WorkspaceClients } from './clients';
import { classified } from './errors';

/** Versions newer than the watcher's mark whose tags one poll reads at most (newest first). */
export const MAX_VERSIONS_PER_POLL = 20;

export interface ObserveInput {
  region: string;
  workspace: Workspace;
  model: string;
  on: 'version-ready' | 'alias';
  alias?: string;
  /** Versions up to this one are not reported (already started, or there before the watcher). */
  after: number;
  /**
   * on: alias — whether the model's versions are listed too: only the first poll needs them (its baseline, the
   * newest version). Absent (watchers started before it): listed at every poll, as they always were.
   */
  listVersions?: boolean;
}

export function createWatcherPollActivities(clients: WorkspaceClients) {
  return {
    async observeModel(input: ObserveInput): Promise<Observation> {
      return classified(`${input.region}: watching ${input.model}`, async () => {
        const uc = clients.get(input.workspace).unityCatalog;
        const all: ObservedVersion[] = [];
        // Following an alias needs one read per poll once the baseline is taken, not a listing of every version.
        const list = input.on !== 'alias' || input.listVersions !== false;
        if (list)
          for await (const v of uc.listModelVersions(input.model, { pageSize: 100 })) {
            all.push({ version: v.version, status: v.status });
            if (all.length % 100 === 0) heartbeat({ listed: all.length });
          }
        const newest = list ? Math.max(0, ...all.map((v) => v.version)) : input.after;
        const withTags = async (v: ObservedVersion): Promise<ObservedVersion> =>
          v.status === 'READY' ? { ...v, tags: await uc.getModelVersionTags(input.model, v.version) } : v;
        if (input.on === 'alias') {
          const target = await uc
            .getModelVersionByAlias(input.model, input.alias ?? 'champion')
            .catch((err: unknown) => {
              if (err instanceof DatabricksApiError && err.kind === 'not-found') return null;
              throw err;
            });
          const alias = target && (await withTags({ version: target.version, status: target.status }));
          return { versions: [], newest, alias };
        }
        const fresh = all
          .filter((v) => v.version > input.after)
          .sort((a, b) => b.version - a.version)
          .slice(0, MAX_VERSIONS_PER_POLL);
        const versions: ObservedVersion[] = [];
        for (const v of fresh) {
          versions.push(await withTags(v));
          heartbeat({ tagged: versions.length });
        }
        return { versions, newest };
      });
    },
  };
}

export interface StartWatchedInput extends RolloutInput {
  /** The watcher's workflow id, for the rollout's triggeredBy. */
  watcherId: string;
}

export function createWatcherStartActivities(temporal: Client) {
  return {
    async startWatchedRollout(
      input: StartWatchedInput,
    ): Promise<{ rolloutId: string; started: boolean; status: string }> {
      const { watcherId, ...rollout } = input;
      const options = rolloutStartOptions({ ...rollout, triggeredBy: `${input.triggeredBy} (${watcherId})` });
      const rolloutId = options.workflowId;
      const existing = await temporal.workflow
        .getHandle(rolloutId)
        .describe()
        .catch((err: unknown) => {
          if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
          throw err;
        });
      if (existing) return { rolloutId, started: false, status: existing.status.name };
      // Another trigger starting it between the describe and here: USE_EXISTING attaches instead of starting twice.
      await temporal.workflow.start('rolloutWorkflow', options);
      return { rolloutId, started: true, status: 'RUNNING' };
    },
  };
}

export type WatcherActivities = ReturnType<typeof createWatcherPollActivities> &
  ReturnType<typeof createWatcherStartActivities>;
