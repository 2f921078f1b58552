/**
 * The typed client against the emulator over real HTTP, configured as users do: one ~/.databrickscfg profile per
 * region (PAT in one, OAuth M2M in the other).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import {
  DatabricksApiError,
  DatabricksClient,
  DatabricksNetworkError,
  DatabricksTimeoutError,
  EndpointUpdateFailedError,
  groupByLabel,
} from '../../src/databricks';
import { ADMIN_TOKEN, call, MODEL, QUERY_TOKEN, SHARED_MODEL, splitConfig, testWorld } from '../support/emulator';

let emu: RunningEmulator;
let us: DatabricksClient;
let eu: DatabricksClient;
let configFile: string;
const fastPoll = { backoff: () => 20, timeoutMs: 5000 };

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
          ],
        },
      ],
    }),
  );
  configFile = join(mkdtempSync(join(tmpdir(), 'dbcfg-')), 'databrickscfg');
  writeFileSync(
    configFile,
    [
      '[us-east-1]',
      `host = ${emu.url('us-east-1')}`,
      `token = ${ADMIN_TOKEN}`,
      '',
      '[eu-west-1]',
      `host = ${emu.url('eu-west-1')}`,
      'client_id = test-client',
      'client_secret = test-secret-value',
      '',
      '[eu-reader]',
      `host = ${emu.url('eu-west-1')}`,
      `token = ${QUERY_TOKEN}`,
    ].join('\n'),
  );
  const env = { DATABRICKS_CONFIG_FILE: configFile, DATABRICKS_TOKEN: 'must-not-leak-into-profiles' };
  us = DatabricksClient.forProfile('us-east-1', { env });
  eu = DatabricksClient.forProfile('eu-west-1', { env, clientRegion: 'eu-west-1' });
});
afterEach(() => emu.close());

it('reads models through the shared catalog, paginating every version', async () => {
  expect(eu.config.auth.type).toBe('oauth-m2m');
  const model = await eu.unityCatalog.getRegisteredModel(SHARED_MODEL, { includeAliases: true });
  expect(model.aliases?.map((a) => [a.alias_name, a.version_num])).toEqual([['champion', 1]]);
  const versions: number[] = [];
  for await (const version of eu.unityCatalog.listModelVersions(SHARED_MODEL, { pageSize: 1 }))
    versions.push(version.version);
  expect(versions.sort()).toEqual([1, 2, 3]);
  const catalog = await eu.unityCatalog.getCatalog('shared_ml');
  expect(catalog.catalog_type).toBe('DELTASHARING_CATALOG');
  expect((await eu.unityCatalog.getModelVersionByAlias(SHARED_MODEL, 'champion')).version).toBe(1);
});

it('sees a registered version replicate: not-found in the replica until its delay has passed', async () => {
  await call(emu, 'us-east-1', 'POST', `/__emulator/models/${MODEL}/versions`, {
    body: { behavior: 'challenger', registration_duration: '20ms' },
  });
  const error = await eu.unityCatalog.getModelVersion(SHARED_MODEL, 4).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(DatabricksApiError);
  expect(error).toMatchObject({
    kind: 'not-found',
    retryable: false,
    status: 404,
    errorCode: 'RESOURCE_DOES_NOT_EXIST',
  });
  const deadline = Date.now() + 3000;
  let status: string | undefined;
  while (Date.now() < deadline && status !== 'READY') {
    status = await eu.unityCatalog
      .getModelVersion(SHARED_MODEL, 4)
      .then((v) => v.status)
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(status).toBe('READY');
});

it('updates a config, waits for it, and reads the served entities back', async () => {
  const started = await us.serving.updateEndpointConfig('churn', splitConfig(MODEL, '1', '2', 25));
  expect(started.state?.config_update).toBe('IN_PROGRESS');
  const conflict = await us.serving
    .updateEndpointConfig('churn', splitConfig(MODEL, '1', '2', 50))
    .catch((e: unknown) => e);
  expect(conflict).toMatchObject({ kind: 'conflict', retryable: false, status: 409, errorCode: 'RESOURCE_CONFLICT' });
  const done = await us.serving.waitForEndpointNotUpdating('churn', fastPoll);
  expect(done.config?.config_version).toBe(2);
  expect(done.config?.traffic_config?.routes?.map((r) => [r.served_entity_name, r.traffic_percentage])).toEqual([
    ['champion', 75],
    ['challenger', 25],
  ]);
  const direct = await us.serving.queryServedModel('churn', 'challenger', { dataframe_records: [{ tenure: 4 }] });
  expect([direct.servedModelName, direct.predictions]).toEqual(['challenger', [4]]);
  const routed = await us.serving.query('churn', { dataframe_split: { columns: ['tenure'], data: [[4]] } });
  expect(['champion', 'challenger']).toContain(routed.servedModelName);
  // The export describes the last completed metric minute: the entities served are listed, with gauges.
  const metrics = await us.serving.getMetrics('churn');
  const rates = groupByLabel(
    metrics.samples.filter((s) => s.name === 'request_rate'),
    'served_entity_name',
  );
  expect([...rates.keys()].sort()).toEqual(['challenger', 'champion']);
  expect(metrics.families.get('request_rate')?.type).toBe('gauge');
});

it('reports UPDATE_FAILED as a typed, non-retryable error while the old config keeps serving', async () => {
  await us.serving.updateEndpointConfig('churn', splitConfig(MODEL, '1', '3', 10));
  const failure = await us.serving.waitForEndpointNotUpdating('churn', fastPoll).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(EndpointUpdateFailedError);
  expect(failure).toMatchObject({ configUpdate: 'UPDATE_FAILED', retryable: false });
  const endpoint = await us.serving.getEndpoint('churn');
  expect(endpoint.config?.config_version).toBe(1);
});

it('classifies throttling, outages, hangs, drops and permissions for the retry policy', async () => {
  await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
    body: { kind: 'storm', status: 429, count: 1, retry_after_seconds: 2 },
  });
  expect(await us.serving.listEndpoints().catch((e: unknown) => e)).toMatchObject({
    kind: 'throttled',
    retryable: true,
    retryAfterMs: 2000,
  });
  await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: { kind: 'storm', status: 503, count: 1 } });
  expect(await us.serving.listEndpoints().catch((e: unknown) => e)).toMatchObject({ status: 503, retryable: true });
  await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: { kind: 'hang_connections', count: 1 } });
  const hung = await us.serving.getEndpoint('churn', { timeoutMs: 150 }).catch((e: unknown) => e);
  expect(hung).toBeInstanceOf(DatabricksTimeoutError);
  expect(hung).toMatchObject({ retryable: true, timeoutMs: 150 });
  await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: { kind: 'drop_connections', count: 1 } });
  const dropped = await us.serving.getEndpoint('churn').catch((e: unknown) => e);
  expect(dropped).toBeInstanceOf(DatabricksNetworkError);
  expect(dropped).toMatchObject({ retryable: true });

  const reader = DatabricksClient.forProfile('eu-reader', { env: { DATABRICKS_CONFIG_FILE: configFile } });
  const denied = await reader.serving
    .updateEndpointConfig('churn', { served_entities: [{ entity_name: SHARED_MODEL, entity_version: '1' }] })
    .catch((e: unknown) => e);
  expect(denied).toMatchObject({ kind: 'permission-denied', retryable: false, status: 403 });
  const wrongWorkspace = new DatabricksClient({ host: emu.url('eu-west-1'), token: 'dapi-some-other-token', env: {} });
  const unauthenticated = await wrongWorkspace.serving.listEndpoints().catch((e: unknown) => e);
  expect(unauthenticated).toMatchObject({ kind: 'unauthenticated', retryable: false, status: 401 });
  // No secret ends up in an error message.
  for (const error of [denied, unauthenticated] as Error[]) {
    expect(error.message).not.toContain(QUERY_TOKEN);
    expect(error.message).not.toContain('dapi-some-other-token');
  }
});

it('pays the simulated round trip from the client region', async () => {
  const fromEurope = new DatabricksClient({
    host: emu.url('us-east-1'),
    token: ADMIN_TOKEN,
    env: {},
    clientRegion: 'eu-west-1',
  });
  const far = await fromEurope.serving.query('churn', { dataframe_records: [{ tenure: 1 }] });
  const near = await us.serving.query('churn', { dataframe_records: [{ tenure: 1 }] });
  expect(far.latencyMs).toBeGreaterThanOrEqual(110);
  expect(near.latencyMs).toBeLessThan(far.latencyMs);
});
