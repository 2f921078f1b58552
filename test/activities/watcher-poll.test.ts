/** The watcher's registry read: what one poll costs in Unity Catalog calls, by what the watcher follows. */
import { quietActivityEnvironment } from '../support/activity-environment';
import type { Observation } from '../../src/shared/watch';
import { createWatcherPollActivities, type WorkspaceClients, type WatcherActivities } from '../../src/activities';

/** A Unity Catalog client with versions 1-3 (v3 READY under alias champion) that records each call. */
function recordingClients() {
  const calls: string[] = [];
  const unityCatalog = {
    async *listModelVersions(model: string) {
      calls.push(`list ${model}`);
      for (const version of [1, 2, 3]) yield { version, status: 'READY' };
    },
    getModelVersionByAlias: async (model: string, alias: string) => {
      calls.push(`alias ${model} ${alias}`);
      return { version: 3, status: 'READY' };
    },
    getModelVersionTags: async (model: string, version: number) => {
      calls.push(`tags ${model} v${version}`);
      return {};
    },
  };
  return { calls, clients: { get: () => ({ unityCatalog }) } as unknown as WorkspaceClients };
}

/** Runs the activity with an activity context (it heartbeats). */
const poll = (clients: WorkspaceClients, args: Parameters<WatcherActivities['observeModel']>[0]) =>
  quietActivityEnvironment().run<[typeof args], Observation, (observed: typeof args) => Promise<Observation>>(
    (observed) => createWatcherPollActivities(clients).observeModel(observed),
    args,
  );

const input = { region: 'us-east-1', workspace: { profile: 'us-east-1' }, model: 'main.ml.fraud', after: 2 };

it('following an alias lists the versions only for the baseline; later polls read the alias alone', async () => {
  const { calls, clients } = recordingClients();
  const first = await poll(clients, { ...input, on: 'alias', alias: 'champion', listVersions: true });
  expect(first.newest).toBe(3);
  expect(calls.splice(0)).toEqual(['list main.ml.fraud', 'alias main.ml.fraud champion', 'tags main.ml.fraud v3']);
  const later = await poll(clients, { ...input, on: 'alias', alias: 'champion', listVersions: false });
  expect(later.alias).toEqual({ version: 3, status: 'READY', tags: {} });
  expect(calls.splice(0)).toEqual(['alias main.ml.fraud champion', 'tags main.ml.fraud v3']);
  // Watchers started before the option list at every poll, as they did.
  await poll(clients, { ...input, on: 'alias', alias: 'champion' });
  expect(calls[0]).toBe('list main.ml.fraud');
});

it('following new READY versions lists them at every poll and reads the tags of the new ones only', async () => {
  const { calls, clients } = recordingClients();
  const seen = await poll(clients, { ...input, on: 'version-ready', listVersions: false });
  expect(seen.versions.map((v) => v.version)).toEqual([3]);
  expect(calls).toEqual(['list main.ml.fraud', 'tags main.ml.fraud v3']);
});
