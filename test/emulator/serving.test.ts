import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { call, eventually, MODEL, SHARED_MODEL, splitConfig, testWorld } from '../support/emulator';

let emu: RunningEmulator;

beforeEach(async () => {
  emu = await startEmulator(
    testWorld({
      models: [
        {
          name: MODEL,
          versions: [
            { version: 1, behavior: 'champion', aliases: ['champion'] },
            { version: 2, behavior: 'challenger' },
            { version: 3, behavior: 'broken' },
            { version: 4, behavior: 'challenger', status: 'PENDING_REGISTRATION' },
          ],
        },
      ],
    }),
  );
});
afterEach(() => emu.close());

const endpoint = (region = 'us-east-1') => call(emu, region, 'GET', '/api/2.0/serving-endpoints/churn');
const putConfig = (config: unknown, region = 'us-east-1') =>
  call(emu, region, 'PUT', '/api/2.0/serving-endpoints/churn/config', { body: config });

describe('config updates', () => {
  it('goes IN_PROGRESS with a pending_config, then serves it as config_version + 1', async () => {
    const before = await endpoint();
    expect(before.body.state).toEqual({ ready: 'READY', config_update: 'NOT_UPDATING' });
    expect(before.body.config.config_version).toBe(1);

    const put = await putConfig(splitConfig(MODEL, '1', '2', 10));
    expect(put.status).toBe(200);
    expect(put.body.state.config_update).toBe('IN_PROGRESS');
    expect(put.body.config.config_version).toBe(1); // the old config keeps serving while the update runs
    expect(put.body.pending_config.config_version).toBe(2);
    expect(put.body.pending_config.start_time).toEqual(expect.any(Number));
    expect(put.body.pending_config.served_entities.map((e: any) => e.state.deployment)).toEqual([
      'DEPLOYMENT_CREATING',
      'DEPLOYMENT_CREATING',
    ]);

    const after = await eventually(async () => {
      const e = await endpoint();
      return e.body.state.config_update === 'NOT_UPDATING' ? e : undefined;
    });
    expect(after.body.pending_config).toBeUndefined();
    expect(after.body.state.ready).toBe('READY');
    expect(after.body.config.config_version).toBe(2);
    expect(after.body.config.served_entities.map((e: any) => [e.name, e.entity_version, e.state.deployment])).toEqual([
      ['champion', '1', 'DEPLOYMENT_READY'],
      ['challenger', '2', 'DEPLOYMENT_READY'],
    ]);
    expect(after.body.config.traffic_config.routes).toEqual([
      { served_model_name: 'champion', served_entity_name: 'champion', traffic_percentage: 90 },
      { served_model_name: 'challenger', served_entity_name: 'challenger', traffic_percentage: 10 },
    ]);
  });

  it('refuses a second update while one is in progress (409 RESOURCE_CONFLICT)', async () => {
    expect((await putConfig(splitConfig(MODEL, '1', '2', 10))).status).toBe(200);
    const second = await putConfig(splitConfig(MODEL, '1', '2', 50));
    expect(second.status).toBe(409);
    expect(second.body.error_code).toBe('RESOURCE_CONFLICT');
  });

  it('ends UPDATE_FAILED when the container build fails, still serving the previous config', async () => {
    const put = await putConfig(splitConfig(MODEL, '1', '3', 10));
    expect(put.status).toBe(200);
    const failed = await eventually(async () => {
      const e = await endpoint();
      return e.body.state.config_update === 'UPDATE_FAILED' ? e : undefined;
    });
    expect(failed.body.state.ready).toBe('READY');
    expect(failed.body.config.config_version).toBe(1);
    expect(failed.body.config.served_entities.map((e: any) => e.entity_version)).toEqual(['1']);
    expect(failed.body.pending_config).toBeUndefined();
    const logs = await call(
      emu,
      'us-east-1',
      'GET',
      '/api/2.0/serving-endpoints/churn/served-models/churn-1/build-logs',
    );
    expect(logs.body.logs).toMatch(/UPDATE_FAILED: Served entity 'challenger' failed to build/);
    // Still answering with the old champion.
    const query = await call(emu, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
      body: { dataframe_records: [{ tenure: 2 }] },
    });
    expect(query.headers.get('served-model-name')).toBe('churn-1');
    // A later good update clears UPDATE_FAILED.
    expect((await putConfig(splitConfig(MODEL, '1', '2', 10))).body.state.config_update).toBe('IN_PROGRESS');
  });

  it('fails the next N updates when told to (fail_config_updates fault)', async () => {
    const fault = await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
      body: { kind: 'fail_config_updates', count: 1, message: 'quota exceeded in zone b' },
    });
    expect(fault.status).toBe(200);
    await putConfig(splitConfig(MODEL, '1', '2', 10));
    const failed = await eventually(async () => {
      const e = await endpoint();
      return e.body.state.config_update === 'UPDATE_FAILED' ? e : undefined;
    });
    expect(failed.body.config.config_version).toBe(1);
    await putConfig(splitConfig(MODEL, '1', '2', 10));
    const ok = await eventually(async () => {
      const e = await endpoint();
      return e.body.state.config_update === 'NOT_UPDATING' ? e : undefined;
    });
    expect(ok.body.config.config_version).toBe(2);
  });

  it('can silently revert: reports success with a new config_version but keeps the old entities', async () => {
    await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: { kind: 'silent_revert' } });
    await putConfig(splitConfig(MODEL, '1', '2', 10));
    const done = await eventually(async () => {
      const e = await endpoint();
      return e.body.state.config_update === 'NOT_UPDATING' ? e : undefined;
    });
    expect(done.body.config.config_version).toBe(2);
    expect(done.body.config.served_entities.map((e: any) => e.entity_version)).toEqual(['1']);
  });

  it('validates served entities against this workspace', async () => {
    const missing = await putConfig({ served_entities: [{ entity_name: MODEL, entity_version: '99' }] });
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const pending = await putConfig({ served_entities: [{ entity_name: MODEL, entity_version: '4' }] });
    expect([pending.status, pending.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(pending.body.message).toMatch(/PENDING_REGISTRATION; only READY versions can be served/);
    const noModel = await putConfig({ served_entities: [{ entity_name: 'main.ml.nope', entity_version: '1' }] });
    expect(noModel.status).toBe(404);
    const numeric = await putConfig({ served_entities: [{ entity_name: MODEL, entity_version: 1 }] });
    expect(numeric.status).toBe(400);
    expect(numeric.body.message).toMatch(/entity_version/);
    // Version 2 exists in the primary but has not replicated to the replica's shared catalog (it existed at start,
    // so it has): a version that never existed is refused there too.
    const replica = await putConfig(
      { served_entities: [{ entity_name: SHARED_MODEL, entity_version: '9' }] },
      'eu-west-1',
    );
    expect(replica.status).toBe(404);
    expect((await endpoint()).body.config.config_version).toBe(1); // nothing was applied
  });

  it('validates traffic_config', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...splitConfig(MODEL, '1', '2', 10), traffic_config: undefined }, /traffic_config' is required/],
      [
        {
          ...splitConfig(MODEL, '1', '2', 10),
          traffic_config: { routes: [{ served_entity_name: 'champion', traffic_percentage: 90 }] },
        },
        /add up to 100; they add up to 90/,
      ],
      [
        {
          ...splitConfig(MODEL, '1', '2', 10),
          traffic_config: {
            routes: [
              { served_entity_name: 'champion', traffic_percentage: 50 },
              { served_entity_name: 'ghost', traffic_percentage: 50 },
            ],
          },
        },
        /routes to 'ghost', which is not a served entity/,
      ],
      [
        {
          ...splitConfig(MODEL, '1', '2', 10),
          traffic_config: {
            routes: [
              { served_entity_name: 'champion', traffic_percentage: 110 },
              { served_entity_name: 'challenger', traffic_percentage: -10 },
            ],
          },
        },
        /between 0 and 100/,
      ],
      [
        {
          served_entities: [
            { entity_name: MODEL, entity_version: '1' },
            { entity_name: MODEL, entity_version: '1' },
          ],
        },
        /used twice/,
      ],
      [{ served_entities: [] }, /non-empty array/],
      [{ served_entities: [{ entity_name: MODEL, entity_version: '1', workload_size: 'Huge' }] }, /workload_size/],
      [{ served_models: [{ model_name: MODEL, model_version: '1' }] }, /scaleToZeroEnabled is undefined/],
    ];
    for (const [config, message] of cases) {
      const answer = await putConfig(config);
      expect([answer.status, answer.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      expect(answer.body.message).toMatch(message);
    }
    const malformed = await call(emu, 'us-east-1', 'PUT', '/api/2.0/serving-endpoints/churn/config', {
      raw: '{"served_entities": [',
      headers: { 'Content-Type': 'application/json' },
    });
    expect([malformed.status, malformed.body.error_code]).toEqual([400, 'MALFORMED_REQUEST']);
    expect((await endpoint()).body.state.config_update).toBe('NOT_UPDATING');
  });

  it('echoes the legacy served_models form when it was used', async () => {
    await putConfig({ served_models: [{ model_name: MODEL, model_version: '2', scale_to_zero_enabled: true }] });
    const done = await eventually(async () => {
      const e = await endpoint();
      return e.body.state.config_update === 'NOT_UPDATING' ? e : undefined;
    });
    expect(done.body.config.served_models[0]).toMatchObject({ name: 'churn-2', model_name: MODEL, model_version: '2' });
    expect(done.body.config.served_entities).toBeUndefined();
  });
});

describe('endpoint lifecycle', () => {
  it('creates, lists, gets and deletes endpoints', async () => {
    const bare = await call(emu, 'us-east-1', 'POST', '/api/2.0/serving-endpoints', { body: { name: 'scratch' } });
    expect(bare.status).toBe(200);
    expect(bare.body).toMatchObject({
      name: 'scratch',
      permission_level: 'CAN_MANAGE',
      route_optimized: false,
      state: { config_update: 'NOT_UPDATING', ready: 'NOT_READY' },
    });
    const dup = await call(emu, 'us-east-1', 'POST', '/api/2.0/serving-endpoints', { body: { name: 'scratch' } });
    expect([dup.status, dup.body.error_code]).toEqual([409, 'RESOURCE_ALREADY_EXISTS']);
    const badName = await call(emu, 'us-east-1', 'POST', '/api/2.0/serving-endpoints', { body: { name: 'a b' } });
    expect(badName.status).toBe(400);

    const created = await call(emu, 'us-east-1', 'POST', '/api/2.0/serving-endpoints', {
      body: { name: 'with-config', config: { served_entities: [{ entity_name: MODEL, entity_version: '2' }] } },
    });
    expect(created.body.state).toEqual({ ready: 'NOT_READY', config_update: 'IN_PROGRESS' });
    expect(created.body.pending_config.config_version).toBe(1);
    const notYet = await call(emu, 'us-east-1', 'POST', '/serving-endpoints/with-config/invocations', {
      body: { inputs: [[1]] },
    });
    expect([notYet.status, notYet.headers.get('retry-after')]).toEqual([503, '1']);

    const list = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints');
    expect(list.body.endpoints.map((e: any) => e.name).sort()).toEqual(['churn', 'scratch', 'with-config']);
    const churn = list.body.endpoints.find((e: any) => e.name === 'churn');
    expect(churn.config).toEqual({ served_entities: [{ name: 'churn-1', entity_name: MODEL, entity_version: '1' }] });

    expect((await call(emu, 'us-east-1', 'DELETE', '/api/2.0/serving-endpoints/scratch')).status).toBe(200);
    const gone = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/scratch');
    expect([gone.status, gone.body.error_code, gone.body.message]).toEqual([
      404,
      'RESOURCE_DOES_NOT_EXIST',
      "Endpoint with name 'scratch' does not exist.",
    ]);
  });

  it('limits create/update operations per workspace (429 with Retry-After)', async () => {
    await emu.close();
    const world = testWorld();
    emu = await startEmulator({
      ...world,
      defaults: { ...world.defaults, config_update_duration: '0ms' },
      regions: world.regions.map((r) => ({ ...r, rate_limits: { config_updates_per_5_minutes: 2 } })),
    });
    expect((await putConfig({ served_entities: [{ entity_name: MODEL, entity_version: '1' }] })).status).toBe(200);
    expect((await putConfig({ served_entities: [{ entity_name: MODEL, entity_version: '1' }] })).status).toBe(200);
    const third = await putConfig({ served_entities: [{ entity_name: MODEL, entity_version: '1' }] });
    expect([third.status, third.body.error_code]).toEqual([429, 'REQUEST_LIMIT_EXCEEDED']);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(250);
  });
});
