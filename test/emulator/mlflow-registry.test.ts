/**
 * MLflow's Unity Catalog registry routes (/api/2.0/mlflow/unity-catalog/...) and the Files API for version files, over
 * real HTTP in MLflow's own request order: create (PENDING_REGISTRATION), upload, finalize (READY). The same version
 * must be in Unity Catalog's REST API, replicate to the replica, and serve with its behavior. The Python clients
 * themselves drive these routes in test/conformance/mlflow-python.test.ts.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { call, eventually, MODEL, QUERY_TOKEN, SHARED_MODEL, testWorld } from '../support/emulator';

const UC = '/api/2.0/mlflow/unity-catalog';
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator(testWorld());
});
afterAll(() => emu.close());

const primary = (method: string, path: string, body?: unknown, token?: string) =>
  call(emu, 'us-east-1', method, path, { body, token });
const get = (path: string, query: Record<string, string>) =>
  primary('GET', `${path}?${new URLSearchParams(query).toString()}`);
const put = (path: string, bytes: string, overwrite = true) =>
  call(emu, 'us-east-1', 'PUT', `/api/2.0/fs/files${path}?overwrite=${overwrite}`, {
    raw: bytes,
    headers: { 'Content-Type': 'application/octet-stream' },
  });

async function createVersion(tags: { key: string; value: string }[] = []) {
  const created = await primary('POST', `${UC}/model-versions/create`, { name: MODEL, source: '/tmp/model', tags });
  expect(created.status).toBe(200);
  return created.body.model_version as { version: string; status: string; storage_location: string };
}

describe("MLflow's Unity Catalog registry", () => {
  it('registers a version as MLflow does: pending, files uploaded, READY on finalize, in UC, replicated, served', async () => {
    const created = await createVersion([{ key: 'emulator_behavior', value: 'challenger' }]);
    expect(created).toMatchObject({ version: '2', status: 'PENDING_REGISTRATION', source: '/tmp/model' });
    expect(created.storage_location).toMatch(/^s3:\/\/.*\/versions\/2$/);
    const pending = await primary('GET', `/api/2.1/unity-catalog/models/${MODEL}/versions/2`);
    expect(pending.body.status).toBe('PENDING_REGISTRATION');

    expect((await put('/Models/main/ml/churn/2/MLmodel', 'flavors: {}\n')).status).toBe(204);
    expect((await put('/Models/main/ml/churn/2/data/weights.bin', 'abc')).status).toBe(204);
    const twice = await put('/Models/main/ml/churn/2/MLmodel', 'again', false);
    expect([twice.status, twice.body.error_code]).toEqual([409, 'RESOURCE_ALREADY_EXISTS']);

    const finalized = await primary('POST', `${UC}/model-versions/finalize`, { name: MODEL, version: '2' });
    expect(finalized.body.model_version.status).toBe('READY');
    const ready = await primary('GET', `/api/2.1/unity-catalog/models/${MODEL}/versions/2`);
    expect(ready.body.status).toBe('READY');

    // Files: listed, read back byte for byte, and frozen once READY.
    const listing = await primary('GET', '/api/2.0/fs/directories/Models/main/ml/churn/2');
    expect(listing.body.contents.map((e: any) => [e.name, e.is_directory])).toEqual([
      ['MLmodel', false],
      ['data', true],
    ]);
    expect((await primary('GET', '/api/2.0/fs/files/Models/main/ml/churn/2/data/weights.bin')).text).toBe('abc');
    const late = await put('/Models/main/ml/churn/2/MLmodel', 'changed');
    expect([late.status, late.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    expect(late.body.message).toMatch(/only while it is PENDING_REGISTRATION/);

    // The replica sees it through its shared catalog once replicated (300 ms in the test world), files included.
    await eventually(
      async () => {
        const r = await call(emu, 'eu-west-1', 'GET', `${UC}/model-versions/get?name=${SHARED_MODEL}&version=2`);
        return r.status === 200 ? r : undefined;
      },
      5000,
      'v2 in eu-west-1',
    );
    const replicaFile = await call(emu, 'eu-west-1', 'GET', '/api/2.0/fs/files/Models/shared_ml/ml/churn/2/MLmodel');
    expect(replicaFile.text).toBe('flavors: {}\n');

    // Served with the behavior its tag names: challenger predicts 0.5 * tenure + 2.
    const config = {
      served_entities: [
        { entity_name: MODEL, entity_version: '2', workload_size: 'Small', scale_to_zero_enabled: false },
      ],
    };
    expect((await primary('PUT', '/api/2.0/serving-endpoints/churn/config', config)).status).toBe(200);
    await eventually(async () => {
      const e = await primary('GET', '/api/2.0/serving-endpoints/churn');
      return e.body.state.config_update === 'NOT_UPDATING' ? true : undefined;
    });
    const answer = await primary(
      'POST',
      '/serving-endpoints/churn/invocations',
      { dataframe_records: [{ tenure: 10 }] },
      QUERY_TOKEN,
    );
    expect(answer.body).toEqual({ predictions: [7] });
  });

  it('moves aliases and tags, and answers them in the MLflow shapes', async () => {
    const set = await primary('POST', `${UC}/registered-models/alias`, {
      name: MODEL,
      alias: 'candidate',
      version: '1',
    });
    expect(set.status).toBe(200);
    await primary('POST', `${UC}/registered-models/alias`, { name: MODEL, alias: 'candidate', version: '2' });
    const byAlias = await get(`${UC}/registered-models/alias`, { name: MODEL, alias: 'candidate' });
    expect(byAlias.body.model_version).toMatchObject({ version: '2', aliases: [{ alias: 'candidate', version: '2' }] });
    expect(
      (await primary('POST', `${UC}/registered-models/set-tag`, { name: MODEL, key: 'team', value: 'churn' })).status,
    ).toBe(200);
    const model = await get(`${UC}/registered-models/get`, { name: MODEL });
    expect(model.body.registered_model).toMatchObject({
      name: MODEL,
      aliases: expect.arrayContaining([
        { alias: 'champion', version: '1' },
        { alias: 'candidate', version: '2' },
      ]),
      tags: [{ key: 'team', value: 'churn' }],
    });
    expect((await primary('DELETE', `${UC}/registered-models/alias`, { name: MODEL, alias: 'candidate' })).status).toBe(
      200,
    );
    const gone = await get(`${UC}/registered-models/alias`, { name: MODEL, alias: 'candidate' });
    expect([gone.status, gone.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect((await primary('DELETE', `${UC}/registered-models/delete-tag`, { name: MODEL, key: 'team' })).status).toBe(
      200,
    );
    const noTag = await primary('DELETE', `${UC}/registered-models/delete-tag`, { name: MODEL, key: 'team' });
    expect(noTag.status).toBe(404);

    const search = await get(`${UC}/model-versions/search`, { filter: `name = '${MODEL}'` });
    expect(search.body.model_versions.map((v: any) => v.version)).toEqual(
      [...emu.emulator.catalog.models.get(MODEL)!.versions.keys()].sort((a, b) => b - a).map(String),
    );
    const models = await get(`${UC}/registered-models/search`, {});
    expect(models.body.registered_models.map((m: any) => m.name)).toEqual([MODEL]);
  });

  it('refuses bad input naming the field, and writes in a replica', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', 'model-versions/create', { source: '/tmp/m' }, /'name' is required/],
      ['POST', 'model-versions/create', { name: MODEL }, /'source' is required/],
      [
        'POST',
        'model-versions/create',
        { name: MODEL, source: 's', tags: [{ key: 'emulator_behavior', value: 'nope' }] },
        /'tags': emulator_behavior names behavior 'nope'.*champion, challenger/,
      ],
      ['POST', 'model-versions/finalize', { name: MODEL, version: 'two' }, /'version' must be a positive integer/],
      ['POST', 'registered-models/alias', { name: MODEL, alias: 'v3', version: '1' }, /'alias': 'v3' is reserved/],
      ['POST', 'registered-models/create', { name: 'main.ml' }, /expected <catalog>.<schema>.<model>/],
      ['GET', 'model-versions/search?filter=tags.x%3D%271%27', undefined, /'filter': unsupported clause/],
      // Unity Catalog refuses . , - = / : in tag keys (as real workspaces refused MLflow's own mlflow.source.type).
      [
        'POST',
        'model-versions/set-tag',
        { name: MODEL, version: '1', key: 'model_rollout.rolled_back', value: 'x' },
        /Tag name model_rollout.rolled_back contains one or more of the reserved characters/,
      ],
      [
        'POST',
        'model-versions/create',
        { name: MODEL, source: 's', tags: [{ key: 'mlflow.source.type', value: 'NOTEBOOK' }] },
        /Tag name mlflow.source.type contains one or more of the reserved characters/,
      ],
      ['POST', 'registered-models/set-tag', { name: MODEL, key: 'eu-west-1', value: 'x' }, /reserved characters/],
      [
        'POST',
        'model-versions/set-tag',
        { name: MODEL, version: '1', key: 'reason', value: 'x'.repeat(1001) },
        /tag values are at most 1000 characters/,
      ],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await primary(method, `${UC}/${path}`, body);
      expect([answer.status, answer.body.error_code, answer.body.message]).toEqual([
        400,
        'INVALID_PARAMETER_VALUE',
        expect.stringMatching(message),
      ]);
    }
    const missing = await get(`${UC}/model-versions/get`, { name: MODEL, version: '99' });
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const exists = await primary('POST', `${UC}/registered-models/create`, { name: MODEL });
    expect([exists.status, exists.body.error_code]).toEqual([409, 'RESOURCE_ALREADY_EXISTS']);
    const replica = await call(emu, 'eu-west-1', 'POST', `${UC}/registered-models/alias`, {
      body: { name: SHARED_MODEL, alias: 'x', version: '1' },
    });
    expect([replica.status, replica.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    const volumes = await call(emu, 'us-east-1', 'PUT', '/api/2.0/fs/files/Volumes/main/ml/v/f', { raw: 'x' });
    expect([volumes.status, volumes.body.message]).toEqual([404, expect.stringMatching(/model version files only/)]);
    const reader = await call(emu, 'us-east-1', 'POST', `${UC}/model-versions/create`, {
      body: { name: MODEL, source: 's' },
      token: QUERY_TOKEN,
    });
    expect(reader.status).toBe(403);
  });

  it('serves an untagged version like the newest version before it; a new model needs a tag or a default behavior', async () => {
    const untagged = await createVersion();
    const newest = emu.emulator.catalog.models.get(MODEL)!;
    const record = newest.versions.get(Number(untagged.version))!;
    expect(record.behavior).toBe(newest.versions.get(Number(untagged.version) - 1)!.behavior);

    expect(
      (await primary('POST', `${UC}/registered-models/create`, { name: 'main.ml.fresh', description: 'd' })).status,
    ).toBe(200);
    const refused = await primary('POST', `${UC}/model-versions/create`, { name: 'main.ml.fresh', source: 's' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(
      /no version to take a behavior from .* tag the version with emulator_behavior/,
    );
    const tagged = await primary('POST', `${UC}/model-versions/create`, {
      name: 'main.ml.fresh',
      source: 's',
      tags: [{ key: 'emulator_behavior', value: 'champion' }],
    });
    expect(tagged.body.model_version.version).toBe('1');

    const credentials = await primary('POST', `${UC}/model-versions/generate-temporary-credentials`, {
      name: 'main.ml.fresh',
      version: '1',
      operation: 'MODEL_VERSION_OPERATION_READ_WRITE',
    });
    expect(credentials.body.credentials.storage_mode).toBe('DEFAULT_STORAGE');
    const enabled = await primary(
      'GET',
      `${UC}/registered-models:is-databricks-sdk-models-artifact-repository-enabled`,
    );
    expect(enabled.body).toEqual({ is_databricks_sdk_models_artifact_repository_enabled: true });
  });
});
