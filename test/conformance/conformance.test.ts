/**
 * Drives every route of the emulator over real HTTP with plain fetch and checks each answer against the strict doc
 * schemas of ./databricks-doc-schemas.ts (written only from /work/shared/docs/databricks-api.md), and each error
 * against the §4.1 body and the §4.2 status / error_code mapping.
 *
 * The tests of one describe block share an emulator and run in order (later ones rely on the version registered first).
 */
import { startEmulator } from '../../src/emulator';
import * as S from './databricks-doc-schemas';
import {
  ANALYST_TOKEN,
  call,
  CLIENT_ID,
  CLIENT_SECRET,
  conform,
  ENDPOINT,
  ensure,
  expectApiError,
  fastWorld,
  flushSchemaDeviations,
  PRIMARY,
  PRIMARY_MODEL,
  REPLICAS,
  type Reply,
  SHARED_MODEL,
  waitFor,
} from './helpers';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

const UC = '/api/2.1/unity-catalog';
const SE = '/api/2.0/serving-endpoints';
const codes400 = S.errorCodesForStatus(400);
const codes401 = S.errorCodesForStatus(401);
const codes404 = S.errorCodesForStatus(404);
const codes404Uc = S.errorCodesForStatus(404, true);
const codes429 = S.errorCodesForStatus(429);
const codes503 = S.errorCodesForStatus(503);

const rowsSplit = {
  columns: ['amount', 'country'],
  data: [
    [120.5, 'US'],
    [4800, 'NG'],
    [15, 'FR'],
  ],
};
const rowsRecords = [
  { amount: 120.5, country: 'US' },
  { amount: 4800, country: 'NG' },
  { amount: 15, country: 'FR' },
];
/** §1.7 the four custom-model input formats, each with 3 rows. */
const INPUT_FORMATS: [string, unknown][] = [
  ['dataframe_split', { dataframe_split: rowsSplit }],
  ['dataframe_records', { dataframe_records: rowsRecords }],
  ['instances', { instances: rowsRecords }],
  ['inputs', { inputs: { amount: [120.5, 4800, 15], country: ['US', 'NG', 'FR'] } }],
];

let emu: Emulator;
const url = (region: string) => emu.url(region);
const primary = () => url(PRIMARY);

const getEndpoint = async (region: string, name = ENDPOINT) => call(url(region), 'GET', `${SE}/${name}`);
const endpointOf = (reply: Reply) => conform(reply, S.servingEndpointDetailedSchema);

beforeAll(async () => {
  emu = await startEmulator(fastWorld());
});

afterAll(async () => {
  await emu?.close();
});

afterEach(flushSchemaDeviations);

describe('emulator admin API', () => {
  test('GET /__emulator/state answers JSON without auth', async () => {
    const reply = await call(primary(), 'GET', '/__emulator/state', { token: null });
    ensure(reply.status === 200 && reply.json !== undefined, reply, 'expected 200 JSON');
  });

  test('POST /__emulator/models/{full_name}/versions registers a PENDING_REGISTRATION version that becomes READY and replicates', async () => {
    const reply = await call(primary(), 'POST', `/__emulator/models/${PRIMARY_MODEL}/versions`, {
      token: null,
      body: { behavior: 'candidate-good' },
    });
    ensure(reply.status === 200 || reply.status === 201, reply, 'expected 200/201');
    const version = conform(reply, S.modelVersionInfoSchema, reply.status);
    ensure(version.version === 2, reply, 'expected version 2 (int)');
    ensure(version.status === 'PENDING_REGISTRATION', reply, 'expected status PENDING_REGISTRATION (§2.3)');

    const ready = await waitFor(
      'v2 READY in the primary',
      () => call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/versions/2`),
      (r) => r.status === 200 && (r.json as { status?: string }).status === 'READY',
    );
    conform(ready, S.modelVersionInfoSchema);
    for (const region of REPLICAS) {
      const replicated = await waitFor(
        `v2 visible in ${region}`,
        () => call(url(region), 'GET', `${UC}/models/${SHARED_MODEL}/versions/2`),
        (r) => r.status === 200,
      );
      const v = conform(replicated, S.modelVersionInfoSchema);
      ensure(v.version === 2 && v.status === 'READY', replicated, 'replicated version should be v2 READY');
      ensure(v.catalog_name === 'ml_shared', replicated, 'replica sees the shared catalog name');
    }
  });
});

describe('serving endpoints (§1)', () => {
  test.each([PRIMARY, ...REPLICAS])(
    'GET /api/2.0/serving-endpoints in %s → {endpoints:[ServingEndpoint summary]}',
    async (region) => {
      const reply = await call(url(region), 'GET', SE);
      const body = conform(reply, S.listServingEndpointsResponseSchema);
      const endpoint = body.endpoints?.find((e) => e.name === ENDPOINT);
      ensure(endpoint, reply, `${ENDPOINT} missing from the list`);
      const entity = endpoint.config?.served_entities?.[0];
      ensure(entity?.entity_version === '1', reply, 'summary entity_version should be the string "1"');
    },
  );

  test.each([PRIMARY, ...REPLICAS])(
    'GET /api/2.0/serving-endpoints/{name} in %s → ServingEndpointDetailed',
    async (region) => {
      const reply = await getEndpoint(region);
      const endpoint = endpointOf(reply);
      ensure(endpoint.name === ENDPOINT, reply, 'name');
      ensure(
        endpoint.state.ready === 'READY' && endpoint.state.config_update === 'NOT_UPDATING',
        reply,
        'initial state',
      );
      ensure(endpoint.pending_config === undefined, reply, 'no pending_config when not updating (§1.5)');
      ensure(typeof endpoint.config?.config_version === 'number', reply, 'config.config_version (int64) expected');
      const entities = endpoint.config?.served_entities ?? [];
      ensure(entities.length === 1, reply, 'one served entity');
      const model = region === PRIMARY ? PRIMARY_MODEL : SHARED_MODEL;
      ensure(entities[0].entity_name === model && entities[0].entity_version === '1', reply, `serves ${model} v"1"`);
      ensure(entities[0].state?.deployment === 'DEPLOYMENT_READY', reply, 'the served entity is DEPLOYMENT_READY');
      // §1.3: one entity and no traffic_config → a 100% route echoed with both served_entity_name and served_model_name.
      const routes = endpoint.config?.traffic_config?.routes ?? [];
      ensure(routes.length === 1 && routes[0].traffic_percentage === 100, reply, 'a single 100% route (§1.3)');
      ensure(
        routes[0].served_entity_name === entities[0].name && routes[0].served_model_name === entities[0].name,
        reply,
        'the default route names the entity in both served_entity_name and served_model_name (§1.3)',
      );
    },
  );

  test('analyst (CAN_QUERY) can read the endpoint', async () => {
    const reply = await call(primary(), 'GET', `${SE}/${ENDPOINT}`, { token: ANALYST_TOKEN });
    const endpoint = endpointOf(reply);
    ensure(
      endpoint.permission_level === undefined || endpoint.permission_level === 'CAN_QUERY',
      reply,
      'permission_level should be the caller’s (CAN_QUERY)',
    );
  });

  describe('PUT /api/2.0/serving-endpoints/{name}/config', () => {
    const newConfig = {
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
    };

    test('IN_PROGRESS with pending_config, a second PUT → 409 RESOURCE_CONFLICT, then NOT_UPDATING with config_version + 1', async () => {
      const before = endpointOf(await getEndpoint(PRIMARY));
      const oldVersion = before.config!.config_version!;

      const put = await call(primary(), 'PUT', `${SE}/${ENDPOINT}/config`, { body: newConfig });
      const updating = endpointOf(put);
      ensure(updating.state.config_update === 'IN_PROGRESS', put, 'PUT answers config_update IN_PROGRESS');
      ensure(updating.pending_config, put, 'pending_config present while updating (§1.4)');
      ensure(updating.pending_config.config_version === oldVersion + 1, put, 'pending_config.config_version = old + 1');
      ensure(typeof updating.pending_config.start_time === 'number', put, 'pending_config.start_time (int64 ms)');
      ensure(
        updating.pending_config.served_entities?.[0]?.entity_version === '2',
        put,
        'pending_config serves the new version',
      );
      ensure(updating.config?.config_version === oldVersion, put, 'config is still the one being served (§1.4)');
      ensure(updating.config?.served_entities?.[0]?.entity_version === '1', put, 'config still serves v1');

      const second = await call(primary(), 'PUT', `${SE}/${ENDPOINT}/config`, { body: newConfig });
      expectApiError(second, 409, ['RESOURCE_CONFLICT']);

      const during = await getEndpoint(PRIMARY);
      const duringBody = endpointOf(during);
      if (duringBody.state.config_update === 'IN_PROGRESS')
        ensure(duringBody.pending_config, during, 'GET while IN_PROGRESS shows pending_config');

      const settled = await waitFor(
        'config_update NOT_UPDATING',
        () => getEndpoint(PRIMARY),
        (r) => (r.json as { state?: { config_update?: string } })?.state?.config_update !== 'IN_PROGRESS',
      );
      const done = endpointOf(settled);
      ensure(done.state.config_update === 'NOT_UPDATING', settled, 'update settles to NOT_UPDATING');
      ensure(done.state.ready === 'READY', settled, 'READY after the update');
      ensure(done.config?.config_version === oldVersion + 1, settled, 'config_version incremented (§1.5)');
      ensure(done.config?.served_entities?.[0]?.entity_version === '2', settled, 'now serves v2');
      ensure(done.pending_config === undefined, settled, 'pending_config no longer returned (§1.5)');
      ensure(
        (done.last_updated_timestamp ?? 0) >= (before.last_updated_timestamp ?? 0),
        settled,
        'last_updated_timestamp moves forward',
      );
    });

    test('a failed update (fault) ends UPDATE_FAILED, keeps the served config and config_version (§1.5)', async () => {
      const before = endpointOf(await getEndpoint(PRIMARY));
      const fault = await call(primary(), 'POST', '/__emulator/faults', {
        token: null,
        body: { kind: 'fail_config_updates', endpoint: ENDPOINT, count: 1 },
      });
      ensure(fault.status >= 200 && fault.status < 300, fault, 'fault accepted');
      try {
        const put = await call(primary(), 'PUT', `${SE}/${ENDPOINT}/config`, {
          body: {
            served_entities: [
              { entity_name: PRIMARY_MODEL, entity_version: '1', workload_size: 'Small', scale_to_zero_enabled: false },
            ],
          },
        });
        endpointOf(put);
        const settled = await waitFor(
          'config_update to leave IN_PROGRESS',
          () => getEndpoint(PRIMARY),
          (r) => (r.json as { state?: { config_update?: string } })?.state?.config_update !== 'IN_PROGRESS',
        );
        const failed = endpointOf(settled);
        ensure(failed.state.config_update === 'UPDATE_FAILED', settled, 'UPDATE_FAILED');
        ensure(failed.state.ready === 'READY', settled, '"Ready (Update failed)": the old config keeps serving');
        ensure(failed.config?.config_version === before.config?.config_version, settled, 'config_version unchanged');
        ensure(
          failed.config?.served_entities?.[0]?.entity_version === before.config?.served_entities?.[0]?.entity_version,
          settled,
          'served entities unchanged',
        );
      } finally {
        await call(primary(), 'DELETE', '/__emulator/faults', { token: null });
      }
    });

    test('analyst (CAN_QUERY) → 403 PERMISSION_DENIED', async () => {
      const reply = await call(primary(), 'PUT', `${SE}/${ENDPOINT}/config`, { token: ANALYST_TOKEN, body: newConfig });
      expectApiError(reply, 403, ['PERMISSION_DENIED']);
    });

    test('malformed JSON → 400', async () => {
      const reply = await call(primary(), 'PUT', `${SE}/${ENDPOINT}/config`, { rawBody: '{"served_entities": [' });
      expectApiError(reply, 400, codes400);
    });

    test('a version that does not exist → 4xx with a doc error body', async () => {
      const reply = await call(primary(), 'PUT', `${SE}/${ENDPOINT}/config`, {
        body: {
          served_entities: [
            { entity_name: PRIMARY_MODEL, entity_version: '99', workload_size: 'Small', scale_to_zero_enabled: false },
          ],
        },
      });
      ensure(reply.status === 400 || reply.status === 404, reply, 'expected 400 or 404');
      expectApiError(reply, reply.status, reply.status === 400 ? codes400 : codes404);
    });

    test('unknown endpoint → 404 RESOURCE_DOES_NOT_EXIST', async () => {
      const reply = await call(primary(), 'PUT', `${SE}/no-such-endpoint/config`, { body: newConfig });
      expectApiError(reply, 404, ['RESOURCE_DOES_NOT_EXIST']);
    });
  });

  describe('POST / DELETE /api/2.0/serving-endpoints', () => {
    const name = 'conformance-tmp';
    const body = {
      name,
      config: {
        served_entities: [
          { entity_name: PRIMARY_MODEL, entity_version: '1', workload_size: 'Small', scale_to_zero_enabled: true },
        ],
      },
    };

    test('create → ServingEndpointDetailed, becomes READY', async () => {
      const reply = await call(primary(), 'POST', SE, { body });
      const created = endpointOf(reply);
      ensure(created.name === name, reply, 'name echoed');
      const ready = await waitFor(
        `${name} READY`,
        () => getEndpoint(PRIMARY, name),
        (r) => (r.json as { state?: { ready?: string } })?.state?.ready === 'READY',
      );
      const endpoint = endpointOf(ready);
      ensure(endpoint.state.config_update === 'NOT_UPDATING', ready, 'NOT_UPDATING once ready');
      ensure(
        endpoint.config?.served_entities?.[0]?.scale_to_zero_enabled === true,
        ready,
        'scale_to_zero_enabled echoed',
      );
    });

    test('duplicate name → 409 RESOURCE_ALREADY_EXISTS (§1.2)', async () => {
      expectApiError(await call(primary(), 'POST', SE, { body }), 409, ['RESOURCE_ALREADY_EXISTS']);
    });

    test('invalid name → 400', async () => {
      const reply = await call(primary(), 'POST', SE, { body: { ...body, name: 'not a valid name!' } });
      expectApiError(reply, 400, codes400);
    });

    test('analyst → 403', async () => {
      const reply = await call(primary(), 'POST', SE, { token: ANALYST_TOKEN, body: { ...body, name: 'analyst-tmp' } });
      expectApiError(reply, 403, ['PERMISSION_DENIED']);
    });

    test('create without config → the §1.2 real-cloud shape', async () => {
      const reply = await call(primary(), 'POST', SE, { body: { name: 'conformance-noconfig' } });
      const created = endpointOf(reply);
      ensure(created.permission_level === 'CAN_MANAGE', reply, 'permission_level CAN_MANAGE (§1.2)');
      ensure(created.route_optimized === false, reply, 'route_optimized false (§1.2)');
      ensure(
        created.state.config_update === 'NOT_UPDATING' && created.state.ready === 'NOT_READY',
        reply,
        'state {config_update: NOT_UPDATING, ready: NOT_READY} (§1.2)',
      );
      const deleted = await call(primary(), 'DELETE', `${SE}/conformance-noconfig`);
      ensure(deleted.status === 200, deleted, 'delete → 200');
    });

    test('analyst DELETE → 403', async () => {
      expectApiError(await call(primary(), 'DELETE', `${SE}/${name}`, { token: ANALYST_TOKEN }), 403, [
        'PERMISSION_DENIED',
      ]);
    });

    test('DELETE → 200 empty, then GET → 404 RESOURCE_DOES_NOT_EXIST', async () => {
      const reply = await call(primary(), 'DELETE', `${SE}/${name}`);
      ensure(reply.status === 200, reply, 'DELETE → 200');
      ensure(reply.text === '' || reply.text.trim() === '{}', reply, 'DELETE → empty body (§1.1)');
      expectApiError(await getEndpoint(PRIMARY, name), 404, ['RESOURCE_DOES_NOT_EXIST']);
      expectApiError(await call(primary(), 'DELETE', `${SE}/${name}`), 404, ['RESOURCE_DOES_NOT_EXIST']);
    });
  });

  describe('invocations (§1.7)', () => {
    test.each(INPUT_FORMATS)('POST /serving-endpoints/{name}/invocations with %s', async (_format, body) => {
      for (const region of [PRIMARY, ...REPLICAS]) {
        const reply = await call(url(region), 'POST', `/serving-endpoints/${ENDPOINT}/invocations`, { body });
        const result = conform(reply, S.queryEndpointCustomModelResponseSchema);
        ensure(result.predictions.length === 3, reply, 'one prediction per input row');
        ensure(
          result.predictions.every((p) => typeof p === 'number' && Number.isFinite(p)),
          reply,
          'the fraud model predicts numbers',
        );
        const endpoint = endpointOf(await getEndpoint(region));
        const names = (endpoint.config?.served_entities ?? []).map((e) => e.name);
        const served = reply.headers.get('served-model-name');
        ensure(
          served && names.includes(served),
          reply,
          `served-model-name header should be one of ${names.join(', ')}`,
        );
      }
    });

    test('the same rows give the same predictions in every input format', async () => {
      const answers = [];
      for (const [, body] of INPUT_FORMATS) {
        const reply = await call(primary(), 'POST', `/serving-endpoints/${ENDPOINT}/invocations`, { body });
        answers.push(conform(reply, S.queryEndpointCustomModelResponseSchema).predictions);
      }
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    });

    test.each(INPUT_FORMATS)(
      'POST /serving-endpoints/{name}/served-models/{served_model_name}/invocations with %s',
      async (_format, body) => {
        const endpoint = endpointOf(await getEndpoint(PRIMARY));
        const servedName = endpoint.config!.served_entities![0].name!;
        const reply = await call(
          primary(),
          'POST',
          `/serving-endpoints/${ENDPOINT}/served-models/${servedName}/invocations`,
          {
            body,
          },
        );
        const result = conform(reply, S.queryEndpointCustomModelResponseSchema);
        ensure(result.predictions.length === 3, reply, 'one prediction per row');
        ensure(
          reply.headers.get('served-model-name') === servedName,
          reply,
          'served-model-name names the addressed model',
        );
      },
    );

    test('traffic split: served-model-name names the entity that answered', async () => {
      const config = {
        served_entities: [
          {
            name: 'fd-1',
            entity_name: PRIMARY_MODEL,
            entity_version: '1',
            workload_size: 'Small',
            scale_to_zero_enabled: false,
          },
          {
            name: 'fd-2',
            entity_name: PRIMARY_MODEL,
            entity_version: '2',
            workload_size: 'Small',
            scale_to_zero_enabled: false,
          },
        ],
        traffic_config: {
          routes: [
            { served_entity_name: 'fd-1', traffic_percentage: 50 },
            { served_entity_name: 'fd-2', traffic_percentage: 50 },
          ],
        },
      };
      const put = await call(primary(), 'PUT', `${SE}/${ENDPOINT}/config`, { body: config });
      endpointOf(put);
      const settled = await waitFor(
        'split config NOT_UPDATING',
        () => getEndpoint(PRIMARY),
        (r) => (r.json as { state?: { config_update?: string } })?.state?.config_update === 'NOT_UPDATING',
      );
      const endpoint = endpointOf(settled);
      const routes = endpoint.config?.traffic_config?.routes ?? [];
      ensure(routes.length === 2 && routes.every((r) => r.traffic_percentage === 50), settled, 'routes echoed');
      const seen = new Set<string>();
      for (let i = 0; i < 60 && seen.size < 2; i++) {
        const reply = await call(primary(), 'POST', `/serving-endpoints/${ENDPOINT}/invocations`, {
          body: { dataframe_records: rowsRecords },
        });
        conform(reply, S.queryEndpointCustomModelResponseSchema);
        const served = reply.headers.get('served-model-name');
        ensure(served === 'fd-1' || served === 'fd-2', reply, 'served-model-name is fd-1 or fd-2');
        seen.add(served);
      }
      expect([...seen].sort()).toEqual(['fd-1', 'fd-2']);
    });

    test('analyst (CAN_QUERY) may query', async () => {
      const reply = await call(primary(), 'POST', `/serving-endpoints/${ENDPOINT}/invocations`, {
        token: ANALYST_TOKEN,
        body: { dataframe_records: rowsRecords },
      });
      conform(reply, S.queryEndpointCustomModelResponseSchema);
    });

    test('unknown endpoint → 404; unknown served model → 404', async () => {
      const body = { dataframe_records: rowsRecords };
      expectApiError(await call(primary(), 'POST', '/serving-endpoints/nope/invocations', { body }), 404, codes404);
      expectApiError(
        await call(primary(), 'POST', `/serving-endpoints/${ENDPOINT}/served-models/nope/invocations`, { body }),
        404,
        codes404,
      );
    });

    test('malformed JSON → 400; no recognised input field → 400', async () => {
      const path = `/serving-endpoints/${ENDPOINT}/invocations`;
      expectApiError(await call(primary(), 'POST', path, { rawBody: '{"dataframe_records": [' }), 400, codes400);
      expectApiError(await call(primary(), 'POST', path, { body: {} }), 400, codes400);
    });

    test('no token → 401; bad token → 401', async () => {
      const path = `/serving-endpoints/${ENDPOINT}/invocations`;
      const body = { dataframe_records: rowsRecords };
      expectApiError(await call(primary(), 'POST', path, { token: null, body }), 401, codes401);
      expectApiError(await call(primary(), 'POST', path, { token: 'dapi-not-a-real-token', body }), 401, codes401);
    });
  });

  describe('metrics and logs', () => {
    test('GET /api/2.0/serving-endpoints/{name}/metrics → valid Prometheus text', async () => {
      for (const region of [PRIMARY, ...REPLICAS]) {
        const reply = await call(url(region), 'GET', `${SE}/${ENDPOINT}/metrics`, {
          headers: { Accept: 'text/plain' },
        });
        ensure(reply.status === 200, reply, 'metrics → 200');
        const type = (reply.headers.get('content-type') ?? '').toLowerCase();
        ensure(
          type.startsWith('text/plain') || type.startsWith('application/openmetrics-text'),
          reply,
          'Prometheus text or OpenMetrics content type',
        );
        const problems = S.validatePrometheusText(reply.text);
        ensure(problems.length === 0, reply, `invalid exposition format:\n${problems.join('\n')}`);
        const { samples } = S.parsePrometheusText(reply.text);
        ensure(samples.length > 0, reply, 'at least one sample');
      }
    });

    test('metrics of an unknown endpoint → 404', async () => {
      const reply = await call(primary(), 'GET', `${SE}/nope/metrics`, { headers: { Accept: 'text/plain' } });
      expectApiError(reply, 404, codes404);
    });

    test.each(['build-logs', 'logs'])('GET .../served-models/{served_model_name}/%s → {logs}', async (kind) => {
      const endpoint = endpointOf(await getEndpoint(PRIMARY));
      const servedName = endpoint.config!.served_entities![0].name!;
      const reply = await call(primary(), 'GET', `${SE}/${ENDPOINT}/served-models/${servedName}/${kind}`);
      const body = conform(reply, S.servedModelLogsResponseSchema);
      ensure(typeof body.logs === 'string' && body.logs.length > 0, reply, 'some log text');
      expectApiError(await call(primary(), 'GET', `${SE}/${ENDPOINT}/served-models/nope/${kind}`), 404, codes404);
    });
  });
});

describe('Unity Catalog models (§2)', () => {
  test('GET models/{full_name} in the primary and in a replica', async () => {
    const reply = await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}`);
    const model = conform(reply, S.registeredModelInfoSchema);
    ensure(model.full_name === PRIMARY_MODEL, reply, 'full_name');
    ensure(model.aliases === undefined, reply, 'aliases only with include_aliases=true (§2.3)');
    for (const region of REPLICAS) {
      const shared = await call(url(region), 'GET', `${UC}/models/${SHARED_MODEL}`);
      const m = conform(shared, S.registeredModelInfoSchema);
      ensure(m.full_name === SHARED_MODEL && m.catalog_name === 'ml_shared', shared, 'seen through the shared catalog');
    }
  });

  test('GET models/{full_name}?include_aliases=true lists the aliases', async () => {
    const reply = await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}?include_aliases=true`);
    const model = conform(reply, S.registeredModelInfoSchema);
    const champion = model.aliases?.find((a) => a.alias_name === 'champion');
    ensure(champion?.version_num === 1, reply, 'champion → 1');
    const replica = await call(url(REPLICAS[0]), 'GET', `${UC}/models/${SHARED_MODEL}?include_aliases=true`);
    conform(replica, S.registeredModelInfoSchema);
  });

  test('analyst (READ) can read models', async () => {
    conform(
      await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}`, { token: ANALYST_TOKEN }),
      S.registeredModelInfoSchema,
    );
  });

  test('GET models (list) with and without catalog/schema, paginated by max_results=1', async () => {
    const listed = await call(primary(), 'GET', `${UC}/models`);
    const all = conform(listed, S.listRegisteredModelsResponseSchema);
    ensure(
      all.registered_models?.some((m) => m.full_name === PRIMARY_MODEL),
      listed,
      'the model is listed',
    );
    const names: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 20; page++) {
      const query = `catalog_name=main&schema_name=ml&max_results=1${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
      const reply = await call(primary(), 'GET', `${UC}/models?${query}`);
      const body = conform(reply, S.listRegisteredModelsResponseSchema);
      ensure((body.registered_models ?? []).length <= 1, reply, 'max_results=1 → at most one model');
      names.push(...(body.registered_models ?? []).map((m) => m.full_name!));
      token = body.next_page_token;
      if (!token) break;
    }
    expect(names).toEqual([PRIMARY_MODEL]);
    const replica = await call(url(REPLICAS[0]), 'GET', `${UC}/models?catalog_name=ml_shared&schema_name=ml`);
    const shared = conform(replica, S.listRegisteredModelsResponseSchema);
    ensure(
      shared.registered_models?.some((m) => m.full_name === SHARED_MODEL),
      replica,
      'replica lists the shared model',
    );
  });

  test('GET models/{full_name}/versions paginated with max_results=1 and page_token', async () => {
    for (const [region, model] of [
      [PRIMARY, PRIMARY_MODEL],
      [REPLICAS[0], SHARED_MODEL],
    ] as const) {
      const versions: number[] = [];
      let token: string | undefined;
      let pages = 0;
      for (; pages < 20; pages++) {
        const query = `max_results=1${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
        const reply = await call(url(region), 'GET', `${UC}/models/${model}/versions?${query}`);
        const body = conform(reply, S.listModelVersionsResponseSchema);
        ensure((body.model_versions ?? []).length <= 1, reply, 'max_results=1 → at most one version');
        versions.push(...(body.model_versions ?? []).map((v) => v.version!));
        token = body.next_page_token;
        if (!token) break;
      }
      expect(versions.sort()).toEqual([1, 2]);
      expect(pages).toBeGreaterThanOrEqual(1);
      const unpaged = conform(
        await call(url(region), 'GET', `${UC}/models/${model}/versions`),
        S.listModelVersionsResponseSchema,
      );
      expect((unpaged.model_versions ?? []).map((v) => v.version).sort()).toEqual([1, 2]);
    }
  });

  test('versions list: max_results < 0 → invalid parameter (§2.2)', async () => {
    const reply = await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/versions?max_results=-1`);
    expectApiError(reply, 400, ['INVALID_PARAMETER_VALUE']);
  });

  test('GET models/{full_name}/versions/{version} (with and without include_aliases)', async () => {
    const reply = await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/versions/1`);
    const version = conform(reply, S.modelVersionInfoSchema);
    ensure(version.version === 1 && version.status === 'READY', reply, 'v1 READY');
    ensure(
      version.model_name === 'fraud_detector' && version.catalog_name === 'main' && version.schema_name === 'ml',
      reply,
      'model_name is relative to the schema; catalog_name/schema_name set',
    );
    ensure(version.aliases === undefined, reply, 'aliases only with include_aliases (§2.3)');
    ensure(typeof version.created_at === 'number', reply, 'created_at (ms)');
    const withAliases = await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/versions/1?include_aliases=true`);
    const v = conform(withAliases, S.modelVersionInfoSchema);
    ensure(
      v.aliases?.some((a) => a.alias_name === 'champion' && a.version_num === 1),
      withAliases,
      'champion alias',
    );
  });

  test('unknown model / version / alias → 404 RESOURCE_DOES_NOT_EXIST', async () => {
    expectApiError(await call(primary(), 'GET', `${UC}/models/main.ml.nope`), 404, ['RESOURCE_DOES_NOT_EXIST']);
    expectApiError(await call(primary(), 'GET', `${UC}/models/main.ml.nope/versions`), 404, [
      'RESOURCE_DOES_NOT_EXIST',
    ]);
    expectApiError(await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/versions/99`), 404, [
      'RESOURCE_DOES_NOT_EXIST',
    ]);
    expectApiError(await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/aliases/nope`), 404, [
      'RESOURCE_DOES_NOT_EXIST',
    ]);
  });

  test('aliases: GET → ModelVersionInfo; PUT → RegisteredModelAlias; DELETE → empty', async () => {
    const champion = await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/aliases/champion`);
    const version = conform(champion, S.modelVersionInfoSchema);
    ensure(version.version === 1, champion, 'champion → ModelVersionInfo of v1 (§2.1)');

    const put = await call(primary(), 'PUT', `${UC}/models/${PRIMARY_MODEL}/aliases/challenger`, {
      body: { version_num: 2 },
    });
    const alias = conform(put, S.registeredModelAliasSchema);
    ensure(alias.alias_name === 'challenger' && alias.version_num === 2, put, 'alias echoed');

    const got = await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/aliases/challenger?include_aliases=true`);
    const v2 = conform(got, S.modelVersionInfoSchema);
    ensure(v2.version === 2, got, 'challenger → v2');
    ensure(
      v2.aliases?.some((a) => a.alias_name === 'challenger'),
      got,
      'include_aliases lists challenger',
    );

    const replicaAlias = await waitFor(
      'challenger alias visible in the replica',
      () => call(url(REPLICAS[0]), 'GET', `${UC}/models/${SHARED_MODEL}/aliases/challenger`),
      (r) => r.status === 200,
      5000,
    );
    conform(replicaAlias, S.modelVersionInfoSchema);

    const deleted = await call(primary(), 'DELETE', `${UC}/models/${PRIMARY_MODEL}/aliases/challenger`);
    ensure(deleted.status === 200, deleted, 'DELETE alias → 200');
    ensure(deleted.text === '' || deleted.text.trim() === '{}', deleted, 'DELETE alias → empty (§2.1)');
    expectApiError(await call(primary(), 'GET', `${UC}/models/${PRIMARY_MODEL}/aliases/challenger`), 404, [
      'RESOURCE_DOES_NOT_EXIST',
    ]);
  });

  test('alias PUT to a missing version → 404 RESOURCE_DOES_NOT_EXIST; malformed JSON → 400', async () => {
    const path = `${UC}/models/${PRIMARY_MODEL}/aliases/x`;
    expectApiError(await call(primary(), 'PUT', path, { body: { version_num: 99 } }), 404, ['RESOURCE_DOES_NOT_EXIST']);
    expectApiError(await call(primary(), 'PUT', path, { rawBody: '{"version_num":' }), 400, codes400);
  });

  test('analyst (READ) cannot set an alias → 403', async () => {
    const reply = await call(primary(), 'PUT', `${UC}/models/${PRIMARY_MODEL}/aliases/x`, {
      token: ANALYST_TOKEN,
      body: { version_num: 1 },
    });
    expectApiError(reply, 403, ['PERMISSION_DENIED']);
  });

  test('setting an alias on a shared (read-only) model fails with a doc error body', async () => {
    const reply = await call(url(REPLICAS[0]), 'PUT', `${UC}/models/${SHARED_MODEL}/aliases/x`, {
      body: { version_num: 1 },
    });
    ensure(reply.status >= 400 && reply.status < 500, reply, 'a 4xx (shares are read-only, §3.1/§3.4)');
    expectApiError(reply, reply.status, S.errorCodesForStatus(reply.status, true));
  });
});

describe('catalogs and Delta Sharing (§3)', () => {
  test.each(REPLICAS)('GET catalogs/ml_shared in %s → DELTASHARING_CATALOG', async (region) => {
    const reply = await call(url(region), 'GET', `${UC}/catalogs/ml_shared`);
    const catalog = conform(reply, S.catalogInfoSchema);
    ensure(catalog.catalog_type === 'DELTASHARING_CATALOG', reply, 'catalog_type DELTASHARING_CATALOG');
    ensure(catalog.provider_name === 'acme_us_east_1' && catalog.share_name === 'ml_models', reply, 'provider/share');
  });

  test('GET catalogs/main in the primary', async () => {
    const reply = await call(primary(), 'GET', `${UC}/catalogs/main`);
    const catalog = conform(reply, S.catalogInfoSchema);
    ensure(catalog.name === 'main' && catalog.catalog_type !== 'DELTASHARING_CATALOG', reply, 'a local catalog');
  });

  test('unknown catalog → 404', async () => {
    expectApiError(await call(primary(), 'GET', `${UC}/catalogs/nope`), 404, codes404Uc);
  });

  test('GET shares/{name}?include_shared_data=true → ShareInfo with the MODEL object', async () => {
    const reply = await call(primary(), 'GET', `${UC}/shares/ml_models?include_shared_data=true`);
    const share = conform(reply, S.shareInfoSchema);
    const object = share.objects?.find((o) => o.name === PRIMARY_MODEL);
    ensure(object?.data_object_type === 'MODEL', reply, 'the model is shared as a MODEL object');
    ensure(object.status === undefined || object.status === 'ACTIVE', reply, 'status ACTIVE');
  });

  test('GET shares/{name} without include_shared_data → no objects', async () => {
    const reply = await call(primary(), 'GET', `${UC}/shares/ml_models`);
    const share = conform(reply, S.shareInfoSchema);
    ensure(share.objects === undefined, reply, 'objects only with include_shared_data (§3.1)');
  });

  test('unknown share → 404', async () => {
    expectApiError(await call(primary(), 'GET', `${UC}/shares/nope`), 404, codes404Uc);
  });

  test.each(REPLICAS)('GET providers/{name} and providers/{name}/shares in %s', async (region) => {
    const reply = await call(url(region), 'GET', `${UC}/providers/acme_us_east_1`);
    const provider = conform(reply, S.providerInfoSchema);
    ensure(provider.name === 'acme_us_east_1', reply, 'provider name');
    ensure(provider.authentication_type === 'DATABRICKS', reply, 'Databricks-to-Databricks provider');
    const shares = await call(url(region), 'GET', `${UC}/providers/acme_us_east_1/shares`);
    const list = conform(shares, S.listProviderSharesResponseSchema);
    ensure(
      list.shares?.some((s) => s.name === 'ml_models'),
      shares,
      'ml_models listed',
    );
    const paged = await call(url(region), 'GET', `${UC}/providers/acme_us_east_1/shares?max_results=1`);
    conform(paged, S.listProviderSharesResponseSchema);
  });

  test('unknown provider → 404', async () => {
    expectApiError(await call(url(REPLICAS[0]), 'GET', `${UC}/providers/nope`), 404, codes404Uc);
    expectApiError(await call(url(REPLICAS[0]), 'GET', `${UC}/providers/nope/shares`), 404, codes404Uc);
  });

  test('GET recipients/{name} in the primary', async () => {
    // The doc gives no list route for recipients; the share permissions name them (§3.1), else the emulator's naming.
    let names = REPLICAS.map((r) => `${r.replace(/-/g, '_')}_workspace`);
    const permissions = await call(primary(), 'GET', `${UC}/shares/ml_models/permissions`);
    if (permissions.status === 200) {
      const body = conform(permissions, S.sharePermissionsResponseSchema);
      const grantees = (body.privilege_assignments ?? [])
        .filter((p) => p.privileges?.includes('SELECT'))
        .map((p) => p.principal);
      ensure(grantees.length === REPLICAS.length, permissions, 'one SELECT grantee per recipient region');
      names = grantees;
    }
    for (const name of names) {
      const reply = await call(primary(), 'GET', `${UC}/recipients/${name}`);
      const recipient = conform(reply, S.recipientInfoSchema);
      ensure(recipient.name === name, reply, 'recipient name');
      ensure(recipient.authentication_type === 'DATABRICKS', reply, 'a DATABRICKS recipient');
    }
    expectApiError(await call(primary(), 'GET', `${UC}/recipients/nope`), 404, codes404Uc);
  });
});

describe('auth (§5)', () => {
  test('OIDC discovery, client-credentials token, and using the token', async () => {
    for (const region of [PRIMARY, REPLICAS[0]]) {
      const base = url(region);
      const discovery = await call(base, 'GET', '/oidc/.well-known/oauth-authorization-server', { token: null });
      const endpoints = conform(discovery, S.oidcDiscoverySchema);
      ensure(
        new URL(endpoints.token_endpoint).host === new URL(base).host,
        discovery,
        'token endpoint on the same host',
      );

      const tokenReply = await fetch(endpoints.token_endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
          Authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=all-apis',
      });
      const text = await tokenReply.text();
      const reply: Reply = {
        route: `POST ${endpoints.token_endpoint}`,
        status: tokenReply.status,
        headers: tokenReply.headers,
        text,
        json: JSON.parse(text) as unknown,
      };
      const token = conform(reply, S.oauthTokenResponseSchema);
      ensure(token.expires_in === 3600, reply, 'expires_in = the world’s oauth_token_ttl_seconds (3600)');

      conform(
        await call(base, 'GET', `${SE}/${ENDPOINT}`, { token: token.access_token }),
        S.servingEndpointDetailedSchema,
      );
      conform(
        await call(base, 'POST', `/serving-endpoints/${ENDPOINT}/invocations`, {
          token: token.access_token,
          body: { dataframe_records: rowsRecords },
        }),
        S.queryEndpointCustomModelResponseSchema,
      );
    }
  });

  test('token endpoint: bad client secret → 4xx with an OAuth error body', async () => {
    const discovery = conform(
      await call(primary(), 'GET', '/oidc/.well-known/oauth-authorization-server', { token: null }),
      S.oidcDiscoverySchema,
    );
    const response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${CLIENT_ID}:wrong-secret`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=all-apis',
    });
    const text = await response.text();
    const reply: Reply = {
      route: 'POST token (bad secret)',
      status: response.status,
      headers: response.headers,
      text,
      json: undefined,
    };
    ensure(response.status === 400 || response.status === 401, reply, 'expected 400/401');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      ensure(false, reply, 'token errors are JSON (§5.2: JS17 reads error_code/error from a JSON body)');
    }
    ensure(S.oauthTokenErrorSchema.safeParse(json).success, reply, 'error_code / error present (§5.2)');
  });

  test('host metadata /.well-known/databricks-config is either served per §5.2 or a 404', async () => {
    const reply = await call(primary(), 'GET', '/.well-known/databricks-config', { token: null });
    if (reply.status === 404) expectApiError(reply, 404, codes404);
    else conform(reply, S.hostMetadataSchema);
  });

  test.each([
    ['GET', `${SE}`],
    ['GET', `${SE}/${ENDPOINT}`],
    ['GET', `${SE}/${ENDPOINT}/metrics`],
    ['GET', `${UC}/models/${PRIMARY_MODEL}`],
    ['GET', `${UC}/shares/ml_models`],
  ])('%s %s: no token → 401, bad token → 401, basic auth → 401', async (method, path) => {
    expectApiError(await call(primary(), method, path, { token: null }), 401, codes401);
    expectApiError(await call(primary(), method, path, { token: 'dapi-not-a-real-token' }), 401, codes401);
    expectApiError(
      await call(primary(), method, path, {
        token: null,
        headers: { Authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      }),
      401,
      codes401,
    );
  });

  test('a bad token is rejected before routing: unknown API path with a bad token → 401 or 404', async () => {
    const reply = await call(primary(), 'GET', '/api/2.0/nope', { token: 'dapi-not-a-real-token' });
    ensure(reply.status === 401 || reply.status === 404, reply, '401 or 404');
    expectApiError(reply, reply.status, reply.status === 401 ? codes401 : codes404);
  });

  test('an empty PAT header is rejected', async () => {
    expectApiError(await call(primary(), 'GET', SE, { token: '' }), 401, codes401);
  });

  test('the analyst token is valid everywhere it reads (403 is not 401)', async () => {
    conform(await call(primary(), 'GET', SE, { token: ANALYST_TOKEN }), S.listServingEndpointsResponseSchema);
    conform(
      await call(url(REPLICAS[0]), 'GET', `${UC}/models/${SHARED_MODEL}`, { token: ANALYST_TOKEN }),
      S.registeredModelInfoSchema,
    );
  });
});

describe('unknown routes and throttling (§4)', () => {
  test.each([
    ['GET', '/api/2.0/does-not-exist'],
    ['GET', '/api/2.1/unity-catalog/nope'],
    ['POST', '/api/2.0/serving-endpoints/fraud-detector/nope'],
    ['GET', '/nope'],
  ])('%s %s → 404 with a doc error body', async (method, path) => {
    expectApiError(await call(primary(), method, path, { body: method === 'POST' ? {} : undefined }), 404, codes404);
  });

  test('storm 429 on management → REQUEST_LIMIT_EXCEEDED family with Retry-After (§4.3)', async () => {
    const fault = await call(primary(), 'POST', '/__emulator/faults', {
      token: null,
      body: { kind: 'storm', status: 429, scope: 'management', count: 1, retry_after_seconds: 2 },
    });
    ensure(fault.status >= 200 && fault.status < 300, fault, 'fault accepted');
    try {
      const reply = await call(primary(), 'GET', `${SE}/${ENDPOINT}`);
      expectApiError(reply, 429, codes429);
      ensure(reply.headers.get('retry-after') === '2', reply, 'Retry-After: 2 (integer seconds)');
      endpointOf(await getEndpoint(PRIMARY));
    } finally {
      await call(primary(), 'DELETE', '/__emulator/faults', { token: null });
    }
  });

  test('storm 503 on invocations → TEMPORARILY_UNAVAILABLE with Retry-After (§4.2/§4.3)', async () => {
    const fault = await call(url(REPLICAS[0]), 'POST', '/__emulator/faults', {
      token: null,
      body: { kind: 'storm', status: 503, scope: 'invocations', count: 1, retry_after_seconds: 1 },
    });
    ensure(fault.status >= 200 && fault.status < 300, fault, 'fault accepted');
    try {
      const reply = await call(url(REPLICAS[0]), 'POST', `/serving-endpoints/${ENDPOINT}/invocations`, {
        body: { dataframe_records: rowsRecords },
      });
      expectApiError(reply, 503, codes503);
      ensure(/^\d+$/.test(reply.headers.get('retry-after') ?? ''), reply, 'Retry-After: <int seconds>');
    } finally {
      await call(url(REPLICAS[0]), 'DELETE', '/__emulator/faults', { token: null });
    }
  });
});

describe('the other routes the emulator serves', () => {
  const tmpModel = 'main.ml.conformance_tmp';
  const emptyOk = (reply: Reply) => {
    ensure(reply.status === 200, reply, 'expected 200');
    ensure(reply.text === '' || reply.text.trim() === '{}', reply, 'expected an empty body');
  };

  test('UC model lifecycle: POST / PATCH models, PATCH / DELETE versions (aliases go too), DELETE models', async () => {
    const created = await call(primary(), 'POST', `${UC}/models`, {
      body: { catalog_name: 'main', schema_name: 'ml', name: 'conformance_tmp', comment: 'first' },
    });
    const model = conform(created, S.registeredModelInfoSchema);
    ensure(model.full_name === tmpModel && model.comment === 'first', created, 'created model echoed');
    const duplicate = await call(primary(), 'POST', `${UC}/models`, {
      body: { catalog_name: 'main', schema_name: 'ml', name: 'conformance_tmp' },
    });
    expectApiError(duplicate, 409, ['RESOURCE_ALREADY_EXISTS']);

    const patched = await call(primary(), 'PATCH', `${UC}/models/${tmpModel}`, { body: { comment: 'second' } });
    ensure(conform(patched, S.registeredModelInfoSchema).comment === 'second', patched, 'comment updated');

    const registered = await call(primary(), 'POST', `/__emulator/models/${tmpModel}/versions`, {
      token: null,
      body: { behavior: 'candidate-good' },
    });
    ensure(registered.status < 300, registered, 'version registered');
    await waitFor(
      'tmp v1 READY',
      () => call(primary(), 'GET', `${UC}/models/${tmpModel}/versions/1`),
      (r) => r.status === 200 && (r.json as { status?: string }).status === 'READY',
    );
    const versionPatch = await call(primary(), 'PATCH', `${UC}/models/${tmpModel}/versions/1`, {
      body: { comment: 'v1 comment' },
    });
    ensure(conform(versionPatch, S.modelVersionInfoSchema).comment === 'v1 comment', versionPatch, 'comment updated');

    conform(
      await call(primary(), 'PUT', `${UC}/models/${tmpModel}/aliases/tmp`, { body: { version_num: 1 } }),
      S.registeredModelAliasSchema,
    );
    emptyOk(await call(primary(), 'DELETE', `${UC}/models/${tmpModel}/versions/1`));
    expectApiError(await call(primary(), 'GET', `${UC}/models/${tmpModel}/versions/1`), 404, [
      'RESOURCE_DOES_NOT_EXIST',
    ]);
    // §2.1: "Any aliases assigned to the model version will also be deleted".
    expectApiError(await call(primary(), 'GET', `${UC}/models/${tmpModel}/aliases/tmp`), 404, [
      'RESOURCE_DOES_NOT_EXIST',
    ]);
    emptyOk(await call(primary(), 'DELETE', `${UC}/models/${tmpModel}`));
    expectApiError(await call(primary(), 'GET', `${UC}/models/${tmpModel}`), 404, ['RESOURCE_DOES_NOT_EXIST']);
  });

  test('UC writes: analyst → 403; writes in a shared catalog → 4xx', async () => {
    const body = { catalog_name: 'main', schema_name: 'ml', name: 'analyst_tmp' };
    expectApiError(await call(primary(), 'POST', `${UC}/models`, { token: ANALYST_TOKEN, body }), 403, [
      'PERMISSION_DENIED',
    ]);
    const replica = await call(url(REPLICAS[0]), 'PATCH', `${UC}/models/${SHARED_MODEL}`, { body: { comment: 'x' } });
    ensure(replica.status >= 400 && replica.status < 500, replica, 'shared models are read-only');
    expectApiError(replica, replica.status, S.errorCodesForStatus(replica.status, true));
  });

  test('GET catalogs (list) and POST catalogs from a share', async () => {
    const listed = await call(url(REPLICAS[0]), 'GET', `${UC}/catalogs`);
    const list = conform(listed, S.listCatalogsResponseSchema);
    ensure(
      list.catalogs?.some((c) => c.name === 'ml_shared'),
      listed,
      'ml_shared listed',
    );

    const created = await call(url(REPLICAS[0]), 'POST', `${UC}/catalogs`, {
      body: { name: 'ml_shared_again', provider_name: 'acme_us_east_1', share_name: 'ml_models', comment: 'c' },
    });
    const catalog = conform(created, S.catalogInfoSchema);
    ensure(
      catalog.catalog_type === 'DELTASHARING_CATALOG' &&
        catalog.provider_name === 'acme_us_east_1' &&
        catalog.share_name === 'ml_models',
      created,
      'a DELTASHARING_CATALOG echoing provider_name and share_name (§3.3)',
    );
    const models = await call(url(REPLICAS[0]), 'GET', `${UC}/models?catalog_name=ml_shared_again&schema_name=ml`);
    const body = conform(models, S.listRegisteredModelsResponseSchema);
    ensure(
      body.registered_models?.some((m) => m.full_name === 'ml_shared_again.ml.fraud_detector'),
      models,
      'the shared model is readable under the new catalog (§3.3)',
    );
    const again = await call(url(REPLICAS[0]), 'POST', `${UC}/catalogs`, {
      body: { name: 'ml_shared_again', provider_name: 'acme_us_east_1', share_name: 'ml_models' },
    });
    expectApiError(again, 409, S.errorCodesForStatus(409, true));
  });

  test('share lifecycle: list, create, PATCH objects and permissions, delete', async () => {
    const listed = await call(primary(), 'GET', `${UC}/shares`);
    ensure(
      conform(listed, S.listSharesResponseSchema).shares?.some((s) => s.name === 'ml_models'),
      listed,
      'ml_models listed',
    );
    const created = await call(primary(), 'POST', `${UC}/shares`, {
      body: { name: 'conformance_share', comment: 'c' },
    });
    ensure(conform(created, S.shareInfoSchema).name === 'conformance_share', created, 'share created');
    expectApiError(
      await call(primary(), 'POST', `${UC}/shares`, { body: { name: 'conformance_share' } }),
      409,
      S.errorCodesForStatus(409, true),
    );

    const add = await call(primary(), 'PATCH', `${UC}/shares/conformance_share`, {
      body: {
        updates: [
          {
            action: 'ADD',
            data_object: { name: PRIMARY_MODEL, data_object_type: 'MODEL', string_shared_as: 'ml.fraud_copy' },
          },
        ],
      },
    });
    const share = conform(add, S.shareInfoSchema);
    const object = share.objects?.find((o) => o.name === PRIMARY_MODEL);
    ensure(object?.string_shared_as === 'ml.fraud_copy', add, 'object added with string_shared_as');

    const sharedAs = await call(primary(), 'PATCH', `${UC}/shares/conformance_share`, {
      body: {
        updates: [
          { action: 'UPDATE', data_object: { name: PRIMARY_MODEL, data_object_type: 'MODEL', shared_as: 'ml.x' } },
        ],
      },
    });
    expectApiError(sharedAs, 400, codes400); // §3.1: shared_as "must be omitted entirely" for MODEL

    const recipient = `${REPLICAS[0].replace(/-/g, '_')}_workspace`;
    const grant = await call(primary(), 'PATCH', `${UC}/shares/conformance_share/permissions`, {
      body: { changes: [{ principal: recipient, add: ['SELECT'] }] },
    });
    const grants = conform(grant, S.sharePermissionsResponseSchema);
    ensure(
      grants.privilege_assignments?.some((p) => p.principal === recipient && p.privileges?.includes('SELECT')),
      grant,
      'SELECT granted',
    );
    conform(
      await call(primary(), 'GET', `${UC}/shares/conformance_share/permissions`),
      S.sharePermissionsResponseSchema,
    );
    const visible = await waitFor(
      'the new share visible to the recipient',
      () => call(url(REPLICAS[0]), 'GET', `${UC}/providers/acme_us_east_1/shares`),
      (r) => r.status === 200 && JSON.stringify(r.json).includes('conformance_share'),
      5000,
    );
    conform(visible, S.listProviderSharesResponseSchema);

    const unknownRecipient = await call(primary(), 'PATCH', `${UC}/shares/conformance_share/permissions`, {
      body: { changes: [{ principal: 'nobody', add: ['SELECT'] }] },
    });
    expectApiError(unknownRecipient, 404, codes404Uc);

    emptyOk(await call(primary(), 'DELETE', `${UC}/shares/conformance_share`));
    expectApiError(await call(primary(), 'GET', `${UC}/shares/conformance_share`), 404, codes404Uc);
  });

  test('GET recipients (list) in the primary and GET providers (list) in a replica', async () => {
    const recipients = await call(primary(), 'GET', `${UC}/recipients`);
    const list = conform(recipients, S.listRecipientsResponseSchema);
    ensure((list.recipients ?? []).length === REPLICAS.length, recipients, 'one recipient per replica');
    const providers = await call(url(REPLICAS[0]), 'GET', `${UC}/providers`);
    const plist = conform(providers, S.listProvidersResponseSchema);
    ensure(
      plist.providers?.some((p) => p.name === 'acme_us_east_1'),
      providers,
      'the provider is listed',
    );
  });

  test('admin: health, list faults, delete one fault by id', async () => {
    const health = await call(primary(), 'GET', '/__emulator/health', { token: null });
    ensure(health.status === 200, health, 'health → 200');
    const added = await call(primary(), 'POST', '/__emulator/faults', {
      token: null,
      body: { kind: 'stall_replication' },
    });
    ensure(added.status < 300, added, 'fault added');
    const listed = await call(primary(), 'GET', '/__emulator/faults', { token: null });
    ensure(listed.status === 200 && JSON.stringify(listed.json).includes('stall_replication'), listed, 'fault listed');
    const id = (added.json as { id?: string | number } | undefined)?.id;
    ensure(id !== undefined, added, 'the added fault has an id');
    const removed = await call(primary(), 'DELETE', `/__emulator/faults/${id}`, { token: null });
    ensure(removed.status < 300, removed, 'fault removed by id');
    const after = await call(primary(), 'GET', '/__emulator/faults', { token: null });
    ensure(!JSON.stringify(after.json).includes('stall_replication'), after, 'fault gone');
  });
});
