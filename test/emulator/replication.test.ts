import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { call, eventually, MODEL, QUERY_TOKEN, SHARED_MODEL, testWorld } from '../support/emulator';

let emu: RunningEmulator;
beforeEach(async () => {
  emu = await startEmulator(testWorld());
});
afterEach(() => emu.close());

const register = (body: Record<string, unknown> = { behavior: 'challenger' }) =>
  call(emu, 'us-east-1', 'POST', `/__emulator/models/${MODEL}/versions`, { body });
const replicaVersion = (version: number) =>
  call(emu, 'eu-west-1', 'GET', `/api/2.1/unity-catalog/models/${SHARED_MODEL}/versions/${version}`);
const primaryVersion = (version: number) =>
  call(emu, 'us-east-1', 'GET', `/api/2.1/unity-catalog/models/${MODEL}/versions/${version}`);

describe('registration in the primary', () => {
  it('goes PENDING_REGISTRATION -> READY', async () => {
    const registered = await register();
    expect(registered.body).toMatchObject({ version: 2, status: 'PENDING_REGISTRATION', catalog_name: 'main' });
    expect((await primaryVersion(2)).body.status).toBe('PENDING_REGISTRATION');
    await eventually(async () => ((await primaryVersion(2)).body.status === 'READY' ? true : undefined), 2000);
  });

  it('can fail registration, and a failed version never replicates', async () => {
    await register({ behavior: 'challenger', fail_registration: true, registration_duration: '50ms' });
    await eventually(async () => ((await primaryVersion(2)).body.status === 'FAILED_REGISTRATION' ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    expect((await replicaVersion(2)).status).toBe(404);
  });

  it('rejects unknown behaviors and bad formulas with the field named', async () => {
    const unknown = await register({ behavior: 'nope' });
    expect([unknown.status, unknown.body.message]).toEqual([400, expect.stringMatching(/Unknown behavior 'nope'/)]);
    const bad = await register({ behavior: { prediction: { formula: 'tenure +' } } });
    expect(bad.body.message).toMatch(/behavior.prediction: unexpected end of formula/);
    const typo = await register({ behaviour: 'challenger' });
    expect(typo.body.message).toMatch(/behavior: Invalid input/);
  });
});

describe('Delta Sharing replication', () => {
  it('shows a new version in the replica only after its replication delay', async () => {
    await register({ behavior: 'challenger', registration_duration: '50ms' });
    const readyAt = await eventually(async () =>
      (await primaryVersion(2)).body.status === 'READY' ? Date.now() : undefined,
    );
    const missing = await replicaVersion(2);
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const seenAt = await eventually(async () => ((await replicaVersion(2)).status === 200 ? Date.now() : undefined));
    // The world's replication delay is a constant 300ms after READY.
    expect(seenAt - readyAt).toBeGreaterThanOrEqual(200);
    const replica = (await replicaVersion(2)).body;
    expect(replica).toMatchObject({
      catalog_name: 'shared_ml',
      schema_name: 'ml',
      model_name: 'churn',
      status: 'READY',
    });
  });

  it('stalls replication for a region until the fault is removed', async () => {
    const stall = await call(emu, 'eu-west-1', 'POST', '/__emulator/faults', { body: { kind: 'stall_replication' } });
    expect(stall.body).toMatchObject({
      id: expect.any(String),
      spec: { kind: 'stall_replication', region: 'eu-west-1' },
    });
    await register({ behavior: 'challenger', registration_duration: '10ms' });
    await new Promise((r) => setTimeout(r, 700));
    expect((await primaryVersion(2)).body.status).toBe('READY');
    expect((await replicaVersion(2)).status).toBe(404);
    const state = await call(emu, 'eu-west-1', 'GET', '/__emulator/state');
    expect(state.body.regions['eu-west-1'].replication.stalled).toBe(true);
    await call(emu, 'eu-west-1', 'DELETE', `/__emulator/faults/${stall.body.id}`);
    expect((await replicaVersion(2)).status).toBe(200);
  });

  it('keeps the shared catalog read-only', async () => {
    const alias = await call(emu, 'eu-west-1', 'PUT', `/api/2.1/unity-catalog/models/${SHARED_MODEL}/aliases/prod`, {
      body: { version_num: 1 },
    });
    expect([alias.status, alias.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    expect(alias.body.message).toMatch(/Delta Sharing catalog and is read-only/);
    const patch = await call(emu, 'eu-west-1', 'PATCH', `/api/2.1/unity-catalog/models/${SHARED_MODEL}/versions/1`, {
      body: { comment: 'x' },
    });
    expect(patch.status).toBe(403);
    const create = await call(emu, 'eu-west-1', 'POST', '/api/2.1/unity-catalog/models', {
      body: { catalog_name: 'shared_ml', schema_name: 'ml', name: 'other' },
    });
    expect(create.status).toBe(403);
    const del = await call(emu, 'eu-west-1', 'DELETE', `/api/2.1/unity-catalog/models/${SHARED_MODEL}`);
    expect(del.status).toBe(403);
  });

  it('shares aliases only once their version is visible in the replica', async () => {
    await register({ behavior: 'challenger', registration_duration: '10ms' });
    await eventually(async () => ((await primaryVersion(2)).body.status === 'READY' ? true : undefined));
    await call(emu, 'us-east-1', 'PUT', `/api/2.1/unity-catalog/models/${MODEL}/aliases/candidate`, {
      body: { version_num: 2 },
    });
    const early = await call(
      emu,
      'eu-west-1',
      'GET',
      `/api/2.1/unity-catalog/models/${SHARED_MODEL}/aliases/candidate`,
    );
    expect(early.status).toBe(404);
    const late = await eventually(async () => {
      const a = await call(emu, 'eu-west-1', 'GET', `/api/2.1/unity-catalog/models/${SHARED_MODEL}/aliases/candidate`);
      return a.status === 200 ? a : undefined;
    });
    expect(late.body).toMatchObject({ version: 2, catalog_name: 'shared_ml' });
  });

  it('exposes the catalog, the share, the recipient and the provider', async () => {
    const catalog = await call(emu, 'eu-west-1', 'GET', '/api/2.1/unity-catalog/catalogs/shared_ml');
    expect(catalog.body).toMatchObject({
      catalog_type: 'DELTASHARING_CATALOG',
      share_name: 'ml',
      provider_name: 'us_east_1_provider',
    });
    const share = await call(emu, 'us-east-1', 'GET', '/api/2.1/unity-catalog/shares/ml?include_shared_data=true');
    expect(share.body.objects).toEqual([
      expect.objectContaining({ name: MODEL, data_object_type: 'MODEL', status: 'ACTIVE' }),
    ]);
    expect((await call(emu, 'us-east-1', 'GET', '/api/2.1/unity-catalog/shares/ml')).body.objects).toBeUndefined();
    const perms = await call(emu, 'us-east-1', 'GET', '/api/2.1/unity-catalog/shares/ml/permissions');
    expect(perms.body).toEqual({
      privilege_assignments: [{ principal: 'eu_west_1_workspace', privileges: ['SELECT'] }],
    });
    const provider = await call(emu, 'eu-west-1', 'GET', '/api/2.1/unity-catalog/providers/us_east_1_provider/shares');
    expect(provider.body).toEqual({ shares: [{ name: 'ml' }] });
    expect((await call(emu, 'us-east-1', 'GET', '/api/2.1/unity-catalog/providers/us_east_1_provider')).status).toBe(
      404,
    );
  });

  it('stops replicating when the model leaves the share, and starts again when it is added back', async () => {
    const remove = await call(emu, 'us-east-1', 'PATCH', '/api/2.1/unity-catalog/shares/ml', {
      body: { updates: [{ action: 'REMOVE', data_object: { name: MODEL, data_object_type: 'MODEL' } }] },
    });
    expect(remove.body.objects).toEqual([]);
    expect((await replicaVersion(1)).status).toBe(404);
    const badAdd = await call(emu, 'us-east-1', 'PATCH', '/api/2.1/unity-catalog/shares/ml', {
      body: { updates: [{ action: 'ADD', data_object: { name: MODEL, data_object_type: 'TABLE' } }] },
    });
    expect(badAdd.status).toBe(400);
    await call(emu, 'us-east-1', 'PATCH', '/api/2.1/unity-catalog/shares/ml', {
      body: { updates: [{ action: 'ADD', data_object: { name: MODEL, data_object_type: 'MODEL' } }] },
    });
    await eventually(async () => ((await replicaVersion(1)).status === 200 ? true : undefined));
  });
});

describe('Unity Catalog reads', () => {
  it('paginates versions with max_results and page_token until next_page_token is absent', async () => {
    for (let i = 0; i < 4; i++) await register({ behavior: 'challenger', registration_duration: '0ms' });
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await call(
        emu,
        'us-east-1',
        'GET',
        `/api/2.1/unity-catalog/models/${MODEL}/versions?max_results=2${token ? `&page_token=${token}` : ''}`,
      );
      seen.push(...page.body.model_versions.map((v: any) => v.version));
      for (const v of page.body.model_versions) expect(v.aliases).toBeUndefined();
      token = page.body.next_page_token;
      pages++;
    } while (token);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
    const bad = await call(emu, 'us-east-1', 'GET', `/api/2.1/unity-catalog/models/${MODEL}/versions?max_results=-1`);
    expect([bad.status, bad.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const badToken = await call(
      emu,
      'us-east-1',
      'GET',
      `/api/2.1/unity-catalog/models/${MODEL}/versions?page_token=zz`,
    );
    expect(badToken.status).toBe(400);
  });

  it('returns aliases only when asked, and resolves an alias to its version', async () => {
    const plain = await call(emu, 'us-east-1', 'GET', `/api/2.1/unity-catalog/models/${MODEL}`);
    expect(plain.body.aliases).toBeUndefined();
    const withAliases = await call(
      emu,
      'us-east-1',
      'GET',
      `/api/2.1/unity-catalog/models/${MODEL}?include_aliases=true`,
    );
    expect(withAliases.body.aliases).toEqual([
      expect.objectContaining({ alias_name: 'champion', version_num: 1, model_name: 'churn' }),
    ]);
    const byAlias = await call(emu, 'us-east-1', 'GET', `/api/2.1/unity-catalog/models/${MODEL}/aliases/champion`);
    expect(byAlias.body).toMatchObject({ version: 1, status: 'READY' });
    const missing = await call(emu, 'us-east-1', 'GET', `/api/2.1/unity-catalog/models/main.ml.nope`);
    expect([missing.status, missing.body.message]).toEqual([404, "Routine or Model 'main.ml.nope' does not exist."]);
    const list = await call(emu, 'eu-west-1', 'GET', '/api/2.1/unity-catalog/models');
    expect(list.body.registered_models.map((m: any) => m.full_name)).toEqual([SHARED_MODEL]);
    const half = await call(emu, 'us-east-1', 'GET', '/api/2.1/unity-catalog/models?catalog_name=main');
    expect(half.status).toBe(400);
  });

  it('lets a reader read but not write', async () => {
    const read = await call(emu, 'us-east-1', 'GET', `/api/2.1/unity-catalog/models/${MODEL}`, { token: QUERY_TOKEN });
    expect(read.status).toBe(200);
    const write = await call(emu, 'us-east-1', 'PUT', `/api/2.1/unity-catalog/models/${MODEL}/aliases/x`, {
      token: QUERY_TOKEN,
      body: { version_num: 1 },
    });
    expect([write.status, write.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
  });
});
