/**
 * The typed client and a route-optimized endpoint, over real HTTP against the emulator: invocations go to the
 * data-plane URL that GET names, with the workspace OAuth token exchanged for a scoped one; a PAT-only workspace fails
 * with a configuration error; the load sender and normal endpoints are unchanged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { DatabricksClient, DatabricksConfigError, OAuthM2MCredentials } from '../../src/databricks';
import { pairedRound, probeRound } from '../../src/activities/judge-sources';
import { invocationSender } from '../../src/load/databricks-target';
import { MODEL, splitConfig, testWorld } from '../support/emulator';

const US = 'us-east-1';
let emu: RunningEmulator;
let log: string[];
let configFile: string;

beforeEach(async () => {
  const world = testWorld({
    models: [
      {
        name: MODEL,
        versions: [
          { version: 1, behavior: 'champion', aliases: ['champion'] },
          { version: 2, behavior: 'challenger' },
        ],
      },
    ],
  });
  world.regions[0].endpoints!.push({
    name: 'fast',
    route_optimized: true,
    ...splitConfig(MODEL, '1', '2', 50),
  });
  log = [];
  emu = await startEmulator(world, { log: (line) => log.push(line) });
  configFile = join(mkdtempSync(join(tmpdir(), 'dbcfg-ro-')), 'databrickscfg');
  writeFileSync(configFile, emu.databricksConfig({ auth: 'oauth-m2m' }));
});
afterEach(() => emu.close());

const oauthClient = () => DatabricksClient.forProfile(US, { env: { DATABRICKS_CONFIG_FILE: configFile } });
const requests = () => log.map((line) => line.replace(/ \d+ms$/, '').replace(/^\[[^\]]+\] /, ''));
const record = { dataframe_records: [{ tenure: 4 }] };

it('queries a route-optimized endpoint at its data-plane URL, by split and per served model, with one token exchange', async () => {
  const client = oauthClient();
  const id = (await client.serving.getEndpoint('fast')).id!;
  log.length = 0;
  const split = await client.serving.query('fast', record);
  expect(split.servedModelName).toMatch(/^(champion|challenger)$/);
  const challenger = await client.serving.queryServedModel('fast', 'challenger', record);
  expect(challenger.predictions).toEqual([4]);
  expect(challenger.servedModelName).toBe('challenger');
  await client.serving.queryServedModel('fast', 'champion', record);
  expect(requests()).toEqual([
    'POST /oidc/v1/token 200', // the exchange; the workspace token was obtained for the GET
    `POST /serving-data-plane/${id}/serving-endpoints/fast/invocations 200`,
    `POST /serving-data-plane/${id}/serving-endpoints/fast/served-models/challenger/invocations 200`,
    `POST /serving-data-plane/${id}/serving-endpoints/fast/served-models/champion/invocations 200`,
  ]);
  expect((client.http.credentials as OAuthM2MCredentials).tokenRequests).toBe(2);
});

it('learns the route with one GET when the first call is an invocation (concurrent calls share it)', async () => {
  const client = oauthClient();
  await Promise.all([1, 2, 3].map(() => client.serving.query('fast', record)));
  const seen = requests();
  expect(seen.filter((r) => r.startsWith('GET /api/2.0/serving-endpoints/fast'))).toHaveLength(1);
  expect(seen.filter((r) => r.includes('/serving-data-plane/'))).toHaveLength(3);
  expect(seen.some((r) => r.startsWith('POST /serving-endpoints/'))).toBe(false);
});

it('keeps querying other endpoints at the workspace URL', async () => {
  const client = oauthClient();
  await client.serving.query('churn', record);
  expect(requests()).toContain('POST /serving-endpoints/churn/invocations 200');
});

it('fails with a non-retryable configuration error naming endpoint, profile and fix when the profile has a PAT', async () => {
  const patFile = join(mkdtempSync(join(tmpdir(), 'dbcfg-pat-')), 'databrickscfg');
  writeFileSync(patFile, emu.databricksConfig());
  const client = DatabricksClient.forProfile(US, { env: { DATABRICKS_CONFIG_FILE: patFile } });
  // Management calls work with the PAT; only invocations need OAuth.
  expect((await client.serving.getEndpoint('fast')).route_optimized).toBe(true);
  const err = await client.serving.prepareInvocations('fast').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DatabricksConfigError);
  expect((err as DatabricksConfigError).retryable).toBe(false);
  expect((err as Error).message).toMatch(
    /^serving endpoint 'fast' in profile "us-east-1" \(http:\/\/127\.0\.0\.1:\d+\) is route-optimized: Databricks accepts only OAuth tokens for it, at its data-plane URL, and this workspace's credentials are a personal access token\. Configure OAuth M2M/,
  );
  await expect(client.serving.query('fast', record)).rejects.toBeInstanceOf(DatabricksConfigError);
  expect(requests().some((r) => r.includes('invocations'))).toBe(false);
  // The PAT still queries normal endpoints.
  await expect(client.serving.query('churn', record)).resolves.toMatchObject({ predictions: [3] });
});

it('the load sender reaches the data plane; no token appears in the client or its errors', async () => {
  const client = oauthClient();
  expect(await client.serving.prepareInvocations('fast')).toBe('data-plane');
  expect(await client.serving.prepareInvocations('churn')).toBe('workspace');
  const send = invocationSender(client, 'fast', 'challenger');
  await expect(send(record, new AbortController().signal)).resolves.toEqual({
    status: 200,
    servedModel: 'challenger',
  });
  const bad = await send({ nonsense: 1 }, new AbortController().signal);
  expect(bad.status).toBe(400);
  const printed = `${inspect(client, { depth: 5 })} ${JSON.stringify(client)}`;
  expect(printed).not.toMatch(/eyJemu\.|test-secret-value/);
});

it('canary probe rounds (random split and paired) query both versions at the data plane', async () => {
  const client = oauthClient();
  const target = { endpoint: 'fast', champion: 'champion', challenger: 'challenger', payloads: [{ tenure: 4 }] };
  const options = { rps: 20, durationMs: 300, quantiles: [0.5] };
  const probes = await probeRound(client, target, options);
  const paired = await pairedRound(client, target, options);
  for (const batch of [probes, paired]) expect(batch.champion.requests + batch.challenger.requests).toBeGreaterThan(0);
  const invocations = requests().filter((r) => r.includes('invocations'));
  expect(invocations.length).toBeGreaterThan(5);
  expect(
    invocations.every((r) =>
      /^POST \/serving-data-plane\/[^/]+\/serving-endpoints\/fast\/served-models\/(champion|challenger)\/invocations 200$/.test(
        r,
      ),
    ),
  ).toBe(true);
});

it('exchanges again for a fresh data-plane token as the old one nears expiry', async () => {
  await emu.close();
  const world = testWorld();
  world.defaults = { ...world.defaults, oauth_token_ttl_seconds: 1 };
  world.regions[0].endpoints!.push({ name: 'fast', route_optimized: true, ...splitConfig(MODEL, '1', '1', 0) });
  log = [];
  emu = await startEmulator(world, { log: (line) => log.push(line) });
  writeFileSync(configFile, emu.databricksConfig({ auth: 'oauth-m2m' }));
  const client = oauthClient();
  await client.serving.query('fast', record);
  await new Promise((resolve) => setTimeout(resolve, 600)); // past the refresh point, half the 1 s lifetime
  await client.serving.query('fast', record);
  const seen = requests();
  expect(seen.filter((r) => r === 'POST /oidc/v1/token 200')).toHaveLength(4); // workspace + exchange, twice
  expect(seen.filter((r) => r.includes('/serving-data-plane/') && r.endsWith(' 200'))).toHaveLength(2);
});
