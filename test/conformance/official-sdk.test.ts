/**
 * The official JS SDK (@databricks/sdk-experimental 0.17.0) against the emulator: it must parse every answer.
 * The SDK is isolated from the machine: `env: {}` (no DATABRICKS_* variables) and a config file that does not exist.
 * Responses are also checked against the doc schemas, so an SDK that tolerates a deviation does not hide it.
 */
import { ApiError, Time, TimeUnits, WorkspaceClient } from '@databricks/sdk-experimental';
import { z } from 'zod';
import { startEmulator } from '../../src/emulator';
import * as S from './databricks-doc-schemas';
import {
  ANALYST_TOKEN,
  BOT_TOKEN,
  call,
  CLIENT_ID,
  CLIENT_SECRET,
  ENDPOINT,
  checkSchema,
  fastWorld,
  flushSchemaDeviations,
  PRIMARY,
  PRIMARY_MODEL,
  REPLICAS,
  SHARED_MODEL,
  waitFor,
} from './helpers';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

let emu: Emulator;
const NO_CONFIG_FILE = '/nonexistent/conformance/.databrickscfg';

function patClient(region: string, token = BOT_TOKEN) {
  return new WorkspaceClient(
    { host: emu.url(region), token, authType: 'pat', env: {}, configFile: NO_CONFIG_FILE, retryTimeoutSeconds: 10 },
    { product: 'model-rollout-conformance', productVersion: '0.1.0' },
  );
}

function m2mClient(region: string, clientSecret = CLIENT_SECRET) {
  return new WorkspaceClient(
    {
      host: emu.url(region),
      clientId: CLIENT_ID,
      clientSecret,
      authType: 'oauth-m2m',
      env: {},
      configFile: NO_CONFIG_FILE,
      retryTimeoutSeconds: 10,
    },
    { product: 'model-rollout-conformance', productVersion: '0.1.0' },
  );
}

/** Validates an SDK result against a doc schema (the SDK itself is lenient); mismatches fail the test in afterEach. */
function docCheck<T extends object>(what: string, schema: z.ZodType, value: T): T {
  const copy = { ...value } as Record<string, unknown>;
  delete copy.wait; // the SDK's waiter adds wait() to the response object
  checkSchema(what, schema, copy);
  return value;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function sdkError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw new Error(`expected an ApiError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, {
      cause: err,
    });
  }
  throw new Error('expected the SDK call to fail');
}

async function readContents(contents: unknown): Promise<string> {
  if (typeof contents === 'string') return contents;
  const chunks: Buffer[] = [];
  for await (const chunk of contents as AsyncIterable<Uint8Array | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  emu = await startEmulator(fastWorld());
  // A second version of the model, READY in the primary, for updateConfig.
  const reply = await call(emu.url(PRIMARY), 'POST', `/__emulator/models/${PRIMARY_MODEL}/versions`, {
    token: null,
    body: { behavior: 'candidate-good' },
  });
  if (reply.status >= 300) throw new Error(`cannot register v2: ${reply.status} ${reply.text}`);
  await waitFor(
    'v2 READY',
    () => call(emu.url(PRIMARY), 'GET', `/api/2.1/unity-catalog/models/${PRIMARY_MODEL}/versions/2`),
    (r) => r.status === 200 && (r.json as { status?: string }).status === 'READY',
  );
});

afterAll(async () => {
  await emu?.close();
});

afterEach(flushSchemaDeviations);

/** Waits until the endpoint is not updating (so that a test's updateConfig is not refused by an earlier one). */
async function settled(region: string) {
  await waitFor(
    'NOT_UPDATING',
    () => call(emu.url(region), 'GET', `/api/2.0/serving-endpoints/${ENDPOINT}`),
    (r) => (r.json as { state?: { config_update?: string } })?.state?.config_update !== 'IN_PROGRESS',
  );
}

describe('official SDK, PAT auth', () => {
  test('servingEndpoints.list and get', async () => {
    const w = patClient(PRIMARY);
    const endpoints = await collect(w.servingEndpoints.list());
    for (const e of endpoints) docCheck('list item', S.servingEndpointSummarySchema, e);
    expect(endpoints.map((e) => e.name)).toContain(ENDPOINT);
    const endpoint = docCheck('get', S.servingEndpointDetailedSchema, await w.servingEndpoints.get({ name: ENDPOINT }));
    expect(endpoint.state?.config_update).toBe('NOT_UPDATING');
    expect(endpoint.config?.served_entities?.[0]?.entity_version).toBe('1');
  });

  test('servingEndpoints.updateConfig and its waiter', async () => {
    const w = patClient(PRIMARY);
    await settled(PRIMARY);
    const before = await w.servingEndpoints.get({ name: ENDPOINT });
    const waiter = await w.servingEndpoints.updateConfig({
      name: ENDPOINT,
      served_entities: [
        {
          name: 'fraud_detector-2',
          entity_name: PRIMARY_MODEL,
          entity_version: '2',
          workload_size: 'Small',
          scale_to_zero_enabled: false,
        },
      ],
      traffic_config: { routes: [{ served_entity_name: 'fraud_detector-2', traffic_percentage: 100 }] },
    });
    docCheck('updateConfig', S.servingEndpointDetailedSchema, waiter);
    expect(waiter.state?.config_update).toBe('IN_PROGRESS');
    const progress: string[] = [];
    const done = await waiter.wait({
      timeout: new Time(20, TimeUnits.seconds),
      onProgress: async (p) => {
        progress.push(String(p.state?.config_update));
      },
    });
    docCheck('waiter result', S.servingEndpointDetailedSchema, done);
    expect(done.state?.config_update).toBe('NOT_UPDATING');
    expect(done.config?.config_version).toBe((before.config?.config_version ?? 0) + 1);
    expect(done.config?.served_entities?.map((e) => e.entity_version)).toEqual(['2']);
  });

  test('servingEndpoints.updateConfig while IN_PROGRESS → ApiError 409 RESOURCE_CONFLICT', async () => {
    const w = patClient(PRIMARY);
    const body = {
      name: ENDPOINT,
      served_entities: [
        { entity_name: PRIMARY_MODEL, entity_version: '1', workload_size: 'Small', scale_to_zero_enabled: false },
      ],
    };
    await settled(PRIMARY);
    const first = await w.servingEndpoints.updateConfig(body);
    const err = await sdkError(w.servingEndpoints.updateConfig(body));
    expect({ status: err.statusCode, code: err.errorCode }).toEqual({ status: 409, code: 'RESOURCE_CONFLICT' });
    await first.wait({ timeout: new Time(20, TimeUnits.seconds) });
  });

  test('servingEndpoints.query surfaces served-model-name', async () => {
    const w = patClient(PRIMARY);
    const result = await w.servingEndpoints.query({
      name: ENDPOINT,
      dataframe_records: [
        { amount: 120.5, country: 'US' },
        { amount: 4800, country: 'NG' },
      ],
    });
    const { 'served-model-name': served, ...body } = result;
    docCheck('query', S.queryEndpointCustomModelResponseSchema, body);
    expect(result.predictions).toHaveLength(2);
    const endpoint = await w.servingEndpoints.get({ name: ENDPOINT });
    expect(endpoint.config?.served_entities?.map((e) => e.name)).toContain(served);
  });

  test('servingEndpoints.exportMetrics, buildLogs, logs', async () => {
    const w = patClient(PRIMARY);
    const metrics = await w.servingEndpoints.exportMetrics({ name: ENDPOINT });
    const text = await readContents(metrics.contents);
    expect(S.validatePrometheusText(text)).toEqual([]);
    // The SDK returns the text as it is: per-minute gauges, each stamped with its minute's end.
    expect(text).toMatch(/^# TYPE request_rate gauge$/m);
    expect(text).toMatch(/^request_rate\{served_entity_name="[^"]+"\} [\d.e-]+ \d{13}$/m);
    const endpoint = await w.servingEndpoints.get({ name: ENDPOINT });
    const servedName = endpoint.config!.served_entities![0].name!;
    docCheck(
      'buildLogs',
      S.servedModelLogsResponseSchema,
      await w.servingEndpoints.buildLogs({ name: ENDPOINT, served_model_name: servedName }),
    );
    docCheck(
      'logs',
      S.servedModelLogsResponseSchema,
      await w.servingEndpoints.logs({ name: ENDPOINT, served_model_name: servedName }),
    );
  });

  test('registeredModels.get / list and modelVersions.get / list / getByAlias', async () => {
    const w = patClient(PRIMARY);
    const model = docCheck(
      'registeredModels.get',
      S.registeredModelInfoSchema,
      await w.registeredModels.get({ full_name: PRIMARY_MODEL, include_aliases: true }),
    );
    expect(model.aliases?.map((a) => a.alias_name)).toContain('champion');
    const models = await collect(w.registeredModels.list({ catalog_name: 'main', schema_name: 'ml', max_results: 1 }));
    expect(models.map((m) => m.full_name)).toEqual([PRIMARY_MODEL]);
    const v1 = docCheck(
      'modelVersions.get',
      S.modelVersionInfoSchema,
      await w.modelVersions.get({ full_name: PRIMARY_MODEL, version: 1 }),
    );
    expect(v1.version).toBe(1);
    const versions = await collect(w.modelVersions.list({ full_name: PRIMARY_MODEL, max_results: 1 }));
    for (const v of versions) docCheck('modelVersions.list item', S.modelVersionInfoSchema, v);
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
    const champion = await w.modelVersions.getByAlias({ full_name: PRIMARY_MODEL, alias: 'champion' });
    expect(docCheck('getByAlias', S.modelVersionInfoSchema, champion).version).toBe(1);
  });

  test('registeredModels.setAlias / deleteAlias', async () => {
    const w = patClient(PRIMARY);
    const alias = await w.registeredModels.setAlias({ full_name: PRIMARY_MODEL, alias: 'sdk-test', version_num: 2 });
    expect(docCheck('setAlias', S.registeredModelAliasSchema, alias)).toMatchObject({
      alias_name: 'sdk-test',
      version_num: 2,
    });
    await w.registeredModels.deleteAlias({ full_name: PRIMARY_MODEL, alias: 'sdk-test' });
    const err = await sdkError(w.modelVersions.getByAlias({ full_name: PRIMARY_MODEL, alias: 'sdk-test' }));
    expect(err.statusCode).toBe(404);
  });

  test('replica: catalogs.get, providers.get / listShares, models through the share', async () => {
    const w = patClient(REPLICAS[0]);
    const catalog = docCheck('catalogs.get', S.catalogInfoSchema, await w.catalogs.get({ name: 'ml_shared' }));
    expect(catalog).toMatchObject({
      catalog_type: 'DELTASHARING_CATALOG',
      provider_name: 'acme_us_east_1',
      share_name: 'ml_models',
    });
    const provider = docCheck('providers.get', S.providerInfoSchema, await w.providers.get({ name: 'acme_us_east_1' }));
    expect(provider.authentication_type).toBe('DATABRICKS');
    const shares = await collect(w.providers.listShares({ name: 'acme_us_east_1' }));
    expect(shares.map((s) => s.name)).toContain('ml_models');
    const model = await w.registeredModels.get({ full_name: SHARED_MODEL });
    expect(docCheck('shared model', S.registeredModelInfoSchema, model).full_name).toBe(SHARED_MODEL);
    const versions = await collect(w.modelVersions.list({ full_name: SHARED_MODEL }));
    expect(versions.length).toBeGreaterThanOrEqual(1);
  });

  test('primary: shares.get with include_shared_data, recipients.get', async () => {
    const w = patClient(PRIMARY);
    const share = docCheck(
      'shares.get',
      S.shareInfoSchema,
      await w.shares.get({ name: 'ml_models', include_shared_data: true }),
    );
    expect(share.objects?.map((o) => [o.name, o.data_object_type])).toContainEqual([PRIMARY_MODEL, 'MODEL']);
    const recipientName = `${REPLICAS[0].replace(/-/g, '_')}_workspace`;
    const recipient = docCheck(
      'recipients.get',
      S.recipientInfoSchema,
      await w.recipients.get({ name: recipientName }),
    );
    expect(recipient.name).toBe(recipientName);
  });

  test('errors surface as ApiError with the doc error_code and status', async () => {
    const w = patClient(PRIMARY);
    const missing = await sdkError(w.servingEndpoints.get({ name: 'no-such-endpoint' }));
    expect({ status: missing.statusCode, code: missing.errorCode }).toEqual({
      status: 404,
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    const noModel = await sdkError(w.registeredModels.get({ full_name: 'main.ml.nope' }));
    expect({ status: noModel.statusCode, code: noModel.errorCode }).toEqual({
      status: 404,
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    await settled(PRIMARY);
    const analyst = patClient(PRIMARY, ANALYST_TOKEN);
    const denied = await sdkError(
      analyst.servingEndpoints.updateConfig({
        name: ENDPOINT,
        served_entities: [{ entity_name: PRIMARY_MODEL, entity_version: '1', scale_to_zero_enabled: false }],
      }),
    );
    expect({ status: denied.statusCode, code: denied.errorCode }).toEqual({ status: 403, code: 'PERMISSION_DENIED' });
    const unauthenticated = await sdkError(
      patClient(PRIMARY, 'dapi-not-a-real-token').servingEndpoints.get({ name: ENDPOINT }),
    );
    expect({ status: unauthenticated.statusCode, code: unauthenticated.errorCode }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });
});

describe('official SDK, OAuth M2M', () => {
  test('discovers the token endpoint, gets a token, and calls the APIs', async () => {
    for (const region of [PRIMARY, REPLICAS[0]]) {
      const w = m2mClient(region);
      const endpoint = await w.servingEndpoints.get({ name: ENDPOINT });
      docCheck('m2m get', S.servingEndpointDetailedSchema, endpoint);
      const result = await w.servingEndpoints.query({
        name: ENDPOINT,
        dataframe_records: [{ amount: 10, country: 'US' }],
      });
      expect(result.predictions).toHaveLength(1);
      expect(typeof result['served-model-name']).toBe('string');
    }
  });

  test('a wrong client secret fails with the token error', async () => {
    const w = m2mClient(PRIMARY, 'wrong-secret-000');
    await expect(w.servingEndpoints.get({ name: ENDPOINT })).rejects.toThrow(/Failed to retrieve token|oidc/);
  });
});
