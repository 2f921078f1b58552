import { ApiError, WorkspaceClient } from '@databricks/sdk-experimental';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { ADMIN_TOKEN, call, EU_ONLY_TOKEN, MODEL, testWorld } from '../support/emulator';

const SCHEMAS = '/api/2.1/unity-catalog/schemas';

let emu: RunningEmulator;
beforeAll(async () => {
  const world = testWorld();
  emu = await startEmulator({
    ...world,
    models: [
      ...world.models!,
      { name: 'main.fraud.scorer', versions: [{ version: 1, behavior: 'champion' }] },
      { name: 'main.ads.ctr', versions: [{ version: 1, behavior: 'champion' }] },
      { name: 'main.ads.cvr', versions: [{ version: 1, behavior: 'champion' }] },
      { name: 'lab.exp.trial', versions: [{ version: 1, behavior: 'champion' }] },
    ],
  });
});
afterAll(() => emu.close());

describe('GET /api/2.1/unity-catalog/schemas', () => {
  it("lists a catalog's schemas, derived from its models, sorted and paginated", async () => {
    const all = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}?catalog_name=main`);
    expect(all.status).toBe(200);
    expect(all.body.schemas.map((s: { full_name: string }) => s.full_name)).toEqual([
      'main.ads',
      'main.fraud',
      'main.ml',
    ]);
    expect(all.body.next_page_token).toBeUndefined();
    expect(all.body.schemas[0]).toEqual({
      name: 'ads',
      catalog_name: 'main',
      full_name: 'main.ads',
      catalog_type: 'MANAGED_CATALOG',
      owner: expect.any(String),
      metastore_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      schema_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: expect.any(Number),
      created_by: expect.any(String),
      updated_at: expect.any(Number),
      updated_by: expect.any(String),
    });

    const first = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}?catalog_name=main&max_results=2`);
    expect(first.body.schemas.map((s: { name: string }) => s.name)).toEqual(['ads', 'fraud']);
    const token = first.body.next_page_token as string;
    expect(typeof token).toBe('string');
    const second = await call(
      emu,
      'us-east-1',
      'GET',
      `${SCHEMAS}?catalog_name=main&max_results=2&page_token=${token}`,
    );
    expect(second.body.schemas.map((s: { name: string }) => s.name)).toEqual(['ml']);
    expect(second.body.next_page_token).toBeUndefined();

    const lab = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}?catalog_name=lab`);
    expect(lab.body.schemas.map((s: { full_name: string }) => s.full_name)).toEqual(['lab.exp']);
  });

  it("lists a shared catalog's schemas from what its share grants the region", async () => {
    const shared = await call(emu, 'eu-west-1', 'GET', `${SCHEMAS}?catalog_name=shared_ml`, { token: EU_ONLY_TOKEN });
    expect(shared.body.schemas).toEqual([
      expect.objectContaining({ full_name: 'shared_ml.ml', catalog_type: 'DELTASHARING_CATALOG' }),
    ]);
    // The primary's models are not in the replica's own `main` catalog.
    const main = await call(emu, 'eu-west-1', 'GET', `${SCHEMAS}?catalog_name=main`);
    expect(main.body.schemas).toEqual([]);
  });

  it('refuses a missing catalog_name, an unknown catalog and a bad page token, naming them', async () => {
    const missing = await call(emu, 'us-east-1', 'GET', SCHEMAS);
    expect([missing.status, missing.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(missing.body.message).toMatch(/'catalog_name' is required/);
    const unknown = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}?catalog_name=nope`);
    expect([unknown.status, unknown.body.error_code, unknown.body.message]).toEqual([
      404,
      'CATALOG_DOES_NOT_EXIST',
      "Catalog 'nope' does not exist.",
    ]);
    const token = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}?catalog_name=main&page_token=zzz`);
    expect([token.status, token.body.message]).toEqual([400, "page_token 'zzz' is not a token this API returned."]);
  });
});

describe('GET /api/2.1/unity-catalog/schemas/{full_name}', () => {
  it('gets a schema that holds a model, and answers SCHEMA_DOES_NOT_EXIST for one that holds none', async () => {
    const got = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}/main.fraud`);
    expect([got.status, got.body.full_name, got.body.name, got.body.catalog_name]).toEqual([
      200,
      'main.fraud',
      'fraud',
      'main',
    ]);
    const listed = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}?catalog_name=main`);
    expect(listed.body.schemas.find((s: { name: string }) => s.name === 'fraud')).toEqual(got.body);

    const none = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}/main.nothing`);
    expect([none.status, none.body.error_code, none.body.message]).toEqual([
      404,
      'SCHEMA_DOES_NOT_EXIST',
      "Schema 'main.nothing' does not exist.",
    ]);
    const noCatalog = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}/nope.ml`);
    expect([noCatalog.status, noCatalog.body.error_code]).toEqual([404, 'CATALOG_DOES_NOT_EXIST']);
    const bad = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}/${MODEL}`);
    expect([bad.status, bad.body.message]).toEqual([
      400,
      `Invalid schema name '${MODEL}': expected <catalog>.<schema>.`,
    ]);
  });

  it('answers 401 without a token', async () => {
    const none = await call(emu, 'us-east-1', 'GET', `${SCHEMAS}/main.ml`, { token: null });
    expect(none.status).toBe(401);
  });
});

describe('the official JS SDK', () => {
  const client = () =>
    new WorkspaceClient({
      host: emu.url('us-east-1'),
      token: ADMIN_TOKEN,
      authType: 'pat',
      env: {},
      configFile: '/nonexistent/.databrickscfg',
    });

  it('pages through schemas.list and reads schemas.get', async () => {
    const names: string[] = [];
    for await (const schema of client().schemas.list({ catalog_name: 'main', max_results: 1 }))
      names.push(schema.full_name!);
    expect(names).toEqual(['main.ads', 'main.fraud', 'main.ml']);
    const schema = await client().schemas.get({ full_name: 'main.ml' });
    expect([schema.name, schema.catalog_name, schema.catalog_type]).toEqual(['ml', 'main', 'MANAGED_CATALOG']);
  });

  it('surfaces SCHEMA_DOES_NOT_EXIST as a 404 ApiError', async () => {
    const err: unknown = await client()
      .schemas.get({ full_name: 'main.nothing' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiError);
    expect([(err as ApiError).statusCode, (err as ApiError).errorCode]).toEqual([404, 'SCHEMA_DOES_NOT_EXIST']);
  });
});
