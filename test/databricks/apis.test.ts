/** Serving, Unity Catalog and Sharing methods against a tiny real HTTP server. */
import {
  DatabricksClient,
  DatabricksResponseError,
  DatabricksTimeoutError,
  EndpointUpdateFailedError,
  toServedEntityInput,
  type ServingEndpointDetailed,
} from '../../src/databricks';
import { sendJson, startFakeServer, type FakeServer } from './fake-server';

let server: FakeServer;
let client: DatabricksClient;

beforeEach(async () => {
  server = await startFakeServer();
  client = new DatabricksClient({ host: server.url, token: 'dapi-test-token-0001', env: {} });
});
afterEach(async () => {
  await server.close();
});

const DETAILED = {
  name: 'fraud-detector',
  id: 'a1b2c3',
  creator: 'rollout-bot',
  creation_timestamp: 1700089637000,
  last_updated_timestamp: '1700089638000',
  state: { ready: 'READY', config_update: 'IN_PROGRESS' },
  config: {
    served_entities: [
      {
        name: 'fraud-1',
        entity_name: 'main.ml.fraud_detector',
        entity_version: '1',
        workload_size: 'Small',
        scale_to_zero_enabled: false,
        environment_vars: { MODE: 'prod' },
        creator: 'rollout-bot',
        creation_timestamp: 1700089637000,
        state: { deployment: 'DEPLOYMENT_READY', deployment_state_message: '' },
        some_future_field: { nested: true },
      },
    ],
    traffic_config: {
      routes: [{ served_entity_name: 'fraud-1', served_model_name: 'fraud-1', traffic_percentage: 100 }],
    },
    config_version: 3,
  },
  pending_config: {
    served_entities: [
      {
        name: 'fraud-2',
        entity_name: 'main.ml.fraud_detector',
        entity_version: 2,
        state: { deployment: 'DEPLOYMENT_WARMING_UP' },
      },
    ],
    config_version: 4,
    start_time: 1700089639000,
  },
  permission_level: 'CAN_MANAGE',
  route_optimized: false,
  brand_new_top_level_field: 'ignored',
};

describe('serving endpoints', () => {
  it('parses the detailed endpoint, tolerating unknown fields and unknown enum values', async () => {
    server.handle((_req, res) => sendJson(res, 200, DETAILED));
    const endpoint = await client.serving.getEndpoint('fraud-detector');
    expect(endpoint.state).toEqual({ ready: 'READY', config_update: 'IN_PROGRESS' });
    expect(endpoint.last_updated_timestamp).toBe(1700089638000);
    expect(endpoint.config?.config_version).toBe(3);
    expect(endpoint.config?.served_models).toEqual([]);
    expect(endpoint.config?.served_entities[0]).toMatchObject({
      name: 'fraud-1',
      entity_version: '1',
      state: { deployment: 'DEPLOYMENT_READY', deployment_state_message: '' },
    });
    expect(endpoint.config?.served_entities[0]).not.toHaveProperty('some_future_field');
    expect(endpoint).not.toHaveProperty('brand_new_top_level_field');
    expect(endpoint.pending_config?.start_time).toBe(1700089639000);
    expect(endpoint.pending_config?.served_entities[0].entity_version).toBe('2');
    expect(endpoint.pending_config?.served_entities[0].state?.deployment).toBe('DEPLOYMENT_WARMING_UP');
    expect(endpoint.config?.traffic_config?.routes[0].traffic_percentage).toBe(100);
  });

  it('turns a served entity back into input form for the next PUT', async () => {
    server.handle((_req, res) => sendJson(res, 200, DETAILED));
    const endpoint = await client.serving.getEndpoint('fraud-detector');
    expect(toServedEntityInput(endpoint.config!.served_entities[0])).toEqual({
      name: 'fraud-1',
      entity_name: 'main.ml.fraud_detector',
      entity_version: '1',
      workload_size: 'Small',
      scale_to_zero_enabled: false,
      environment_vars: { MODE: 'prod' },
    });
  });

  it('lists endpoints (summary form) and creates / deletes one', async () => {
    server.handle((req, res) => {
      if (req.method === 'GET') {
        return sendJson(res, 200, {
          endpoints: [
            { name: 'a', state: { ready: 'NOT_READY', config_update: 'NOT_UPDATING' } },
            { name: 'b', config: { served_entities: [{ name: 'b-1', entity_name: 'c.s.m', entity_version: '3' }] } },
          ],
        });
      }
      if (req.method === 'POST') {
        return sendJson(res, 200, {
          name: 'test-endpoint-X',
          permission_level: 'CAN_MANAGE',
          route_optimized: false,
          state: { config_update: 'NOT_UPDATING', ready: 'NOT_READY' },
        });
      }
      res.writeHead(200);
      res.end();
    });
    const endpoints = await client.serving.listEndpoints();
    expect(endpoints.map((e) => e.name)).toEqual(['a', 'b']);
    expect(endpoints[1].config?.served_entities[0].entity_version).toBe('3');

    const created = await client.serving.createEndpoint({ name: 'test-endpoint-X' });
    expect(created.state.ready).toBe('NOT_READY');
    expect(JSON.parse(server.requests[1].body)).toEqual({ name: 'test-endpoint-X' });

    await expect(client.serving.deleteEndpoint('test-endpoint-X')).resolves.toBeUndefined();
    expect(`${server.requests[2].method} ${server.requests[2].path}`).toBe(
      'DELETE /api/2.0/serving-endpoints/test-endpoint-X',
    );
  });

  it('lists an empty workspace (no endpoints key)', async () => {
    server.handle((_req, res) => sendJson(res, 200, {}));
    await expect(client.serving.listEndpoints()).resolves.toEqual([]);
  });

  it('queries an endpoint and reports the served-model-name header and latency', async () => {
    server.handle((req, res) =>
      req.method === 'GET'
        ? sendJson(res, 200, DETAILED)
        : sendJson(res, 200, { predictions: [0.12, 0.87], extra: 'x' }, { 'served-model-name': 'fraud-2' }),
    );
    const body = {
      dataframe_records: [
        { amount: 120, country: 'NG' },
        { amount: 5, country: 'FR' },
      ],
    };
    const result = await client.serving.query('fraud-detector', body);
    expect(result.predictions).toEqual([0.12, 0.87]);
    expect(result.servedModelName).toBe('fraud-2');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.raw).toEqual({ predictions: [0.12, 0.87], extra: 'x' });
    // The first invocation reads where the endpoint is served (GET: not route-optimized, so the workspace URL).
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/2.0/serving-endpoints/fraud-detector',
      'POST /serving-endpoints/fraud-detector/invocations',
    ]);
    expect(JSON.parse(server.requests[1].body)).toEqual(body);
    await client.serving.query('fraud-detector', body);
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'POST']);
  });

  it('queries one served model directly; a missing header gives undefined', async () => {
    server.handle((req, res) =>
      req.method === 'GET' ? sendJson(res, 200, DETAILED) : sendJson(res, 200, { choices: [{ text: 'hi' }] }),
    );
    await client.serving.getEndpoint('fraud-detector'); // a GET tells where invocations go: no second one
    const result = await client.serving.queryServedModel('fraud-detector', 'fraud-1', { inputs: [[1, 2]] });
    expect(server.requests.map((r) => r.path)).toEqual([
      '/api/2.0/serving-endpoints/fraud-detector',
      '/serving-endpoints/fraud-detector/served-models/fraud-1/invocations',
    ]);
    expect(result.servedModelName).toBeUndefined();
    expect(result.predictions).toBeUndefined();
    expect(result.raw).toEqual({ choices: [{ text: 'hi' }] });
  });

  it('rejects an invocation answer that is not a JSON object', async () => {
    server.handle((_req, res) => sendJson(res, 200, [1, 2, 3]));
    await expect(client.serving.query('fraud-detector', { inputs: [1] })).rejects.toBeInstanceOf(
      DatabricksResponseError,
    );
  });

  it('fetches metrics as text/plain and parses them', async () => {
    const text = '# TYPE requests_total counter\nrequests_total{served_entity_name="fraud-1"} 12\n';
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(text);
    });
    const metrics = await client.serving.getMetrics('fraud-detector');
    expect(server.requests[0].headers.accept).toBe('text/plain');
    expect(server.requests[0].path).toBe('/api/2.0/serving-endpoints/fraud-detector/metrics');
    expect(metrics.raw).toBe(text);
    expect(metrics.samples).toEqual([{ name: 'requests_total', labels: { served_entity_name: 'fraud-1' }, value: 12 }]);
    expect(metrics.families.get('requests_total')?.type).toBe('counter');
  });

  it('reads the gauge export as per-minute readings (getMetricMinutes)', async () => {
    const text = [
      '# TYPE request_rate gauge',
      'request_rate{served_entity_name="fraud-1"} 0.2 1700000040000',
      'request_5xx_rate{served_entity_name="fraud-1"} 0.05 1700000040000',
      'latency_p99_ms{served_entity_name="fraud-1"} 87.5 1700000040000',
    ].join('\n');
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(text);
    });
    const minutes = await client.serving.getMetricMinutes('fraud-detector');
    expect(server.requests[0].path).toBe('/api/2.0/serving-endpoints/fraud-detector/metrics');
    expect(minutes).toEqual([
      {
        timestamp: 1700000040000,
        entities: new Map([
          ['fraud-1', { requests: 12, errors5xx: 3, quantilesMs: { p99: 87.5 }, inferenceQuantilesMs: {} }],
        ]),
      },
    ]);
  });

  it('accepts the {"contents": ...} form of metrics and rejects malformed exposition text', async () => {
    server.handle((_req, res) => sendJson(res, 200, { contents: 'up 1\n' }));
    await expect(client.serving.getMetrics('e')).resolves.toMatchObject({
      raw: 'up 1\n',
      samples: [{ name: 'up', value: 1 }],
    });
    server.handle((_req, res) => {
      res.writeHead(200);
      res.end('up one\n');
    });
    const err = await client.serving.getMetrics('e').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabricksResponseError);
    expect((err as Error).message).toContain('metrics line 1: invalid value "one"');
  });

  it('reads build logs and server logs of a served entity', async () => {
    server.handle((req, res) => sendJson(res, 200, { logs: `logs of ${req.path}` }));
    await expect(client.serving.getBuildLogs('ep', 'fraud-2')).resolves.toBe(
      'logs of /api/2.0/serving-endpoints/ep/served-models/fraud-2/build-logs',
    );
    await expect(client.serving.getLogs('ep', 'fraud-2')).resolves.toBe(
      'logs of /api/2.0/serving-endpoints/ep/served-models/fraud-2/logs',
    );
  });
});

describe('waitForEndpointNotUpdating', () => {
  function serveStates(...states: string[]) {
    let i = 0;
    server.handle((_req, res) => {
      const state = states[Math.min(i++, states.length - 1)];
      sendJson(res, 200, { name: 'ep', state: { ready: 'READY', config_update: state } });
    });
  }

  it('polls until NOT_UPDATING, with the injected backoff and onPoll', async () => {
    serveStates('IN_PROGRESS', 'IN_PROGRESS', 'NOT_UPDATING');
    const backoffCalls: number[] = [];
    const polls: Array<[string, number]> = [];
    const endpoint = await client.serving.waitForEndpointNotUpdating('ep', {
      backoff: (attempt) => {
        backoffCalls.push(attempt);
        return 1;
      },
      onPoll: (e: ServingEndpointDetailed, attempt) => polls.push([e.state.config_update, attempt]),
    });
    expect(endpoint.state.config_update).toBe('NOT_UPDATING');
    expect(backoffCalls).toEqual([1, 2]);
    expect(polls).toEqual([
      ['IN_PROGRESS', 1],
      ['IN_PROGRESS', 2],
      ['NOT_UPDATING', 3],
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it.each(['UPDATE_FAILED', 'UPDATE_CANCELED'])('throws EndpointUpdateFailedError on %s', async (state) => {
    serveStates('IN_PROGRESS', state);
    const err = await client.serving.waitForEndpointNotUpdating('ep', { backoff: () => 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointUpdateFailedError);
    expect(err).toMatchObject({ endpointName: 'ep', configUpdate: state, retryable: false });
    expect((err as EndpointUpdateFailedError).message).toBe(
      `serving endpoint ep failed to reach NOT_UPDATING: config_update is ${state}`,
    );
  });

  it('times out with the last state when the update never settles', async () => {
    serveStates('IN_PROGRESS');
    const started = Date.now();
    const err = await client.serving
      .waitForEndpointNotUpdating('ep', { timeoutMs: 200, backoff: () => 30 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabricksTimeoutError);
    expect((err as Error).message).toBe(
      'waiting for serving endpoint ep to reach NOT_UPDATING: timed out after 200ms (last config_update: IN_PROGRESS)',
    );
    expect(Date.now() - started).toBeLessThan(1500);
    expect(server.requests.length).toBeGreaterThan(2);
  });

  it('stops sleeping as soon as the signal aborts', async () => {
    serveStates('IN_PROGRESS');
    const controller = new AbortController();
    const reason = new Error('cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    const err = await client.serving
      .waitForEndpointNotUpdating('ep', { signal: controller.signal, backoff: () => 10_000 })
      .catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('propagates a GET error without retrying it', async () => {
    server.handle((_req, res) => sendJson(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' }));
    const err = await client.serving.waitForEndpointNotUpdating('ep', { backoff: () => 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(server.requests).toHaveLength(1);
  });
});

describe('unity catalog', () => {
  it('reads a registered model with aliases', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, {
        full_name: 'main.ml.fraud_detector',
        name: 'fraud_detector',
        catalog_name: 'main',
        schema_name: 'ml',
        aliases: [{ alias_name: 'champion', version_num: 1 }],
        created_at: 1700000000000,
      }),
    );
    const model = await client.unityCatalog.getRegisteredModel('main.ml.fraud_detector', { includeAliases: true });
    expect(model.aliases).toEqual([{ alias_name: 'champion', version_num: 1 }]);
    expect(server.requests[0].query.get('include_aliases')).toBe('true');
  });

  it('iterates all model versions across pages, including an empty page with a next_page_token', async () => {
    const pages: Record<string, unknown> = {
      '': {
        model_versions: [
          { version: 1, status: 'READY' },
          { version: 2, status: 'READY' },
        ],
        next_page_token: 't1',
      },
      t1: { model_versions: [], next_page_token: 't2' },
      t2: { next_page_token: 't3' },
      t3: { model_versions: [{ version: '3', status: 'PENDING_REGISTRATION' }, { version: 4 }] },
    };
    server.handle((req, res) => sendJson(res, 200, pages[req.query.get('page_token') ?? '']));
    const versions = [];
    for await (const v of client.unityCatalog.listModelVersions('main.ml.fraud_detector', { pageSize: 2 })) {
      versions.push(v);
    }
    expect(versions.map((v) => [v.version, v.status])).toEqual([
      [1, 'READY'],
      [2, 'READY'],
      [3, 'PENDING_REGISTRATION'],
      [4, 'MODEL_VERSION_STATUS_UNKNOWN'],
    ]);
    expect(server.requests.map((r) => r.query.get('page_token'))).toEqual([null, 't1', 't2', 't3']);
    expect(server.requests.every((r) => r.query.get('max_results') === '2')).toBe(true);
    expect(server.requests[0].path).toBe('/api/2.1/unity-catalog/models/main.ml.fraud_detector/versions');
  });

  it('stops with a DatabricksResponseError when the server repeats a page token', async () => {
    server.handle((_req, res) => sendJson(res, 200, { model_versions: [{ version: 1 }], next_page_token: 'same' }));
    const seen: number[] = [];
    const err = await (async () => {
      for await (const v of client.unityCatalog.listModelVersions('c.s.m')) seen.push(v.version);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabricksResponseError);
    expect((err as Error).message).toContain('next_page_token: "same" was returned twice');
    expect(server.requests).toHaveLength(2);
  });

  it('reads one version and the version behind an alias', async () => {
    server.handle((req, res) =>
      sendJson(res, 200, {
        model_name: 'fraud_detector',
        catalog_name: 'main',
        schema_name: 'ml',
        version: 2,
        status: 'READY',
        aliases: [{ alias_name: 'champion' }],
        source: 'dbfs:/x',
        path_seen: req.path,
      }),
    );
    const v = await client.unityCatalog.getModelVersion('main.ml.fraud_detector', 2, { includeAliases: true });
    expect(v).toMatchObject({ version: 2, status: 'READY', aliases: [{ alias_name: 'champion' }] });
    expect(server.requests[0].rawUrl).toBe(
      '/api/2.1/unity-catalog/models/main.ml.fraud_detector/versions/2?include_aliases=true',
    );
    await client.unityCatalog.getModelVersionByAlias('main.ml.fraud_detector', 'champion');
    expect(server.requests[1].path).toBe('/api/2.1/unity-catalog/models/main.ml.fraud_detector/aliases/champion');
    await expect(client.unityCatalog.getModelVersion('main.ml.fraud_detector', 1.5)).rejects.toThrow(
      'version must be a positive integer, got 1.5',
    );
  });

  it('rejects a model version whose version is not an integer', async () => {
    server.handle((_req, res) => sendJson(res, 200, { version: 'two', status: 'READY' }));
    const err = await client.unityCatalog.getModelVersion('c.s.m', 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabricksResponseError);
    expect((err as Error).message).toContain('version:');
  });

  it('sets and deletes an alias, and updates a version comment with PATCH', async () => {
    server.handle((req, res) => {
      if (req.method === 'PUT') return sendJson(res, 200, { alias_name: 'champion', version_num: 2, model_name: 'm' });
      if (req.method === 'PATCH') return sendJson(res, 200, { version: 2, status: 'READY', comment: 'promoted' });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    await expect(client.unityCatalog.setAlias('main.ml.fraud_detector', 'champion', 2)).resolves.toMatchObject({
      alias_name: 'champion',
      version_num: 2,
    });
    expect(JSON.parse(server.requests[0].body)).toEqual({ version_num: 2 });
    expect(server.requests[0].path).toBe('/api/2.1/unity-catalog/models/main.ml.fraud_detector/aliases/champion');

    await client.unityCatalog.deleteAlias('main.ml.fraud_detector', 'champion');
    expect(`${server.requests[1].method} ${server.requests[1].path}`).toBe(
      'DELETE /api/2.1/unity-catalog/models/main.ml.fraud_detector/aliases/champion',
    );

    const updated = await client.unityCatalog.updateModelVersionComment('main.ml.fraud_detector', 2, 'promoted');
    expect(updated.comment).toBe('promoted');
    expect(server.requests[2].method).toBe('PATCH');
    expect(JSON.parse(server.requests[2].body)).toEqual({ comment: 'promoted' });
  });

  it('reads a Delta Sharing catalog', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, {
        name: 'ml_shared',
        catalog_type: 'DELTASHARING_CATALOG',
        provider_name: 'acme_us_east_1',
        share_name: 'ml_models',
      }),
    );
    await expect(client.unityCatalog.getCatalog('ml_shared')).resolves.toEqual({
      name: 'ml_shared',
      catalog_type: 'DELTASHARING_CATALOG',
      provider_name: 'acme_us_east_1',
      share_name: 'ml_models',
    });
    expect(server.requests[0].path).toBe('/api/2.1/unity-catalog/catalogs/ml_shared');
  });
});

describe('sharing', () => {
  it('reads a share with its objects', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, {
        name: 'ml_models',
        owner: 'admin',
        objects: [
          { name: 'main.ml.fraud_detector', data_object_type: 'MODEL', status: 'ACTIVE', added_at: 1700000000000 },
          { name: 'main.ml.thing', data_object_type: 'SOMETHING_NEW' },
        ],
      }),
    );
    const share = await client.sharing.getShare('ml_models', { includeSharedData: true });
    expect(share.objects.map((o) => [o.name, o.data_object_type])).toEqual([
      ['main.ml.fraud_detector', 'MODEL'],
      ['main.ml.thing', 'SOMETHING_NEW'],
    ]);
    expect(server.requests[0].rawUrl).toBe('/api/2.1/unity-catalog/shares/ml_models?include_shared_data=true');
  });

  it('reads a provider without keeping its recipient_profile', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, {
        name: 'acme_us_east_1',
        authentication_type: 'DATABRICKS',
        cloud: 'aws',
        region: 'us-east-1',
        recipient_profile: { bearer_token: 'provider-bearer-secret', endpoint: 'https://x' },
      }),
    );
    const provider = await client.sharing.getProvider('acme_us_east_1');
    expect(provider).toEqual({
      name: 'acme_us_east_1',
      authentication_type: 'DATABRICKS',
      cloud: 'aws',
      region: 'us-east-1',
    });
    expect(JSON.stringify(provider)).not.toContain('provider-bearer-secret');
  });

  it('lists the shares of a provider across pages', async () => {
    server.handle((req, res) =>
      req.query.get('page_token') === 'p2'
        ? sendJson(res, 200, { shares: [{ name: 'other' }] })
        : sendJson(res, 200, { shares: [{ name: 'ml_models' }], next_page_token: 'p2' }),
    );
    const names: string[] = [];
    for await (const share of client.sharing.listProviderShares('acme_us_east_1')) names.push(share.name);
    expect(names).toEqual(['ml_models', 'other']);
    expect(server.requests[0].path).toBe('/api/2.1/unity-catalog/providers/acme_us_east_1/shares');
  });

  it('reads share permissions and recipients', async () => {
    server.handle((req, res) => {
      if (req.path.endsWith('/permissions')) {
        return sendJson(res, 200, { privilege_assignments: [{ principal: 'eu-west-1', privileges: ['SELECT'] }] });
      }
      if (req.path === '/api/2.1/unity-catalog/recipients') {
        return sendJson(res, 200, {
          recipients: [{ name: 'eu-west-1', authentication_type: 'DATABRICKS', tokens: [{ id: 't' }] }],
        });
      }
      return sendJson(res, 200, { name: 'eu-west-1', activated: true, activation_url: 'https://secret-link' });
    });
    const perms = await client.sharing.getSharePermissions('ml_models');
    expect(perms.privilege_assignments).toEqual([{ principal: 'eu-west-1', privileges: ['SELECT'] }]);
    const recipients = [];
    for await (const r of client.sharing.listRecipients()) recipients.push(r);
    expect(recipients).toEqual([{ name: 'eu-west-1', authentication_type: 'DATABRICKS' }]);
    await expect(client.sharing.getRecipient('eu-west-1')).resolves.toEqual({ name: 'eu-west-1', activated: true });
  });
});
