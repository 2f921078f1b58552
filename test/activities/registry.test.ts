/** The registry activity's writes and error classification, against a recording Unity Catalog client. */
import { ApplicationFailure } from '@temporalio/common';
import { createRegistryActivities, type WorkspaceClients } from '../../src/activities';
import { DatabricksApiError } from '../../src/databricks';

const denied = (path: string) =>
  new DatabricksApiError({
    status: 403,
    errorCode: 'PERMISSION_DENIED',
    apiMessage: 'User rollout-bot does not have permission',
    method: 'POST',
    path,
  });
const unavailable = () =>
  new DatabricksApiError({
    status: 503,
    errorCode: 'TEMPORARILY_UNAVAILABLE',
    apiMessage: 'busy',
    method: 'POST',
    path: '/x',
  });

/** A client whose tag and alias calls are recorded, and fail as `fail` says. */
function recordingClients(fail: { tag?: () => Error; alias?: () => Error } = {}) {
  const calls: string[] = [];
  const unityCatalog = {
    setModelVersionTag: async (model: string, version: number, key: string, value: string) => {
      if (fail.tag) throw fail.tag();
      calls.push(`tag ${model} v${version} ${key}=${value}`);
    },
    setAlias: async (model: string, alias: string, version: number) => {
      if (fail.alias) throw fail.alias();
      calls.push(`alias ${model} ${alias}->v${version}`);
    },
  };
  return { calls, clients: { get: () => ({ unityCatalog }) } as unknown as WorkspaceClients };
}

const input = {
  region: 'us-east-1',
  workspace: { profile: 'prod-us' },
  model: 'main.ml.fraud',
  version: 7,
  tags: [
    ['model_rollout_outcome', 'succeeded'],
    ['stage', 'prod'],
  ] as [string, string][],
  alias: 'live',
};

it('writes the tags in order, then the alias, and answers what it wrote', async () => {
  const { calls, clients } = recordingClients();
  expect(await createRegistryActivities(clients).recordRegistryOutcome(input)).toEqual({
    tags: { model_rollout_outcome: 'succeeded', stage: 'prod' },
    alias: 'live',
  });
  expect(calls).toEqual([
    'tag main.ml.fraud v7 model_rollout_outcome=succeeded',
    'tag main.ml.fraud v7 stage=prod',
    'alias main.ml.fraud live->v7',
  ]);
});

it('a permission denied on the alias is non-retryable, names the workspace and the fix, and what was recorded', async () => {
  const { clients } = recordingClients({
    alias: () => denied('/api/2.1/unity-catalog/models/main.ml.fraud/aliases/live'),
  });
  const failure = await createRegistryActivities(clients)
    .recordRegistryOutcome(input)
    .catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'RegistryPermissionDenied', nonRetryable: true });
  expect((failure as Error).message).toBe(
    "the worker's identity in us-east-1 (profile prod-us) may not move alias live on main.ml.fraud v7: make it the " +
      "owner of main.ml.fraud (only the owner or a metastore admin sets aliases) in that workspace's Unity Catalog, or " +
      'set registry.tag_outcomes: false and remove registry.on_success from the plan (User rollout-bot does not have ' +
      'permission); already recorded: model_rollout_outcome, stage',
  );
});

it('a server error stays retryable (the writes are idempotent: a retry writes the same again)', async () => {
  const { clients } = recordingClients({ tag: unavailable });
  const failure = await createRegistryActivities(clients)
    .recordRegistryOutcome(input)
    .catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ nonRetryable: false });
  expect((failure as Error).message).toMatch(/^us-east-1: record the outcome of main.ml.fraud v7 in Unity Catalog: /);
});
