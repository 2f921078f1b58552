/**
 * Route-optimized endpoints over real HTTP: GET shape, the data-plane URL answering with a scoped OAuth token, and what
 * is refused (PATs, unscoped or foreign tokens, the workspace URL, a scoped token on workspace APIs).
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { JWT_BEARER_GRANT } from '../../src/emulator/auth';
import { call, MODEL, QUERY_TOKEN, testWorld } from '../support/emulator';

let emu: RunningEmulator;

beforeEach(async () => {
  const world = testWorld();
  world.regions[0].endpoints!.push({
    name: 'fast',
    route_optimized: true,
    served_entities: [{ entity_name: MODEL, entity_version: '1' }],
  });
  emu = await startEmulator(world);
});
afterEach(() => emu.close());

const US = 'us-east-1';
const record = { dataframe_records: [{ tenure: 4 }] };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function token(form: Record<string, string>, auth = basic('test-client', 'test-secret-value')) {
  const res = await fetch(`${emu.url(US)}/oidc/v1/token`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function queryInfo(name = 'fast') {
  const res = await call(emu, US, 'GET', `/api/2.0/serving-endpoints/${name}`);
  return res.body.data_plane_info.query_info as { endpoint_url: string; authorization_details: string };
}

async function post(url: string, bearer: string | undefined) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(record),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

/** A workspace OAuth token, then the SDK's exchange for one scoped by the endpoint's authorization_details. */
async function scopedToken(details: string) {
  const workspace = await token({ grant_type: 'client_credentials', scope: 'all-apis' });
  const scoped = await token({
    grant_type: JWT_BEARER_GRANT,
    assertion: workspace.body.access_token,
    authorization_details: details,
  });
  expect(scoped.status).toBe(200);
  return { workspace: workspace.body.access_token, scoped: scoped.body.access_token };
}

it('GET returns route_optimized, endpoint_url and data_plane_info; other endpoints have none of them', async () => {
  const fast = await call(emu, US, 'GET', '/api/2.0/serving-endpoints/fast');
  const id = fast.body.id as string;
  const url = `${emu.url(US)}/serving-data-plane/${id}/serving-endpoints/fast/invocations`;
  expect(fast.body).toMatchObject({
    route_optimized: true,
    endpoint_url: url,
    data_plane_info: { query_info: { endpoint_url: url, authorization_details: expect.any(String) } },
  });
  expect(JSON.parse(fast.body.data_plane_info.query_info.authorization_details)).toEqual([
    {
      type: 'workspace_permission',
      object_type: 'serving-endpoints',
      object_path: `/serving-endpoints/${id}`,
      actions: ['query_inference_endpoint'],
    },
  ]);
  const churn = await call(emu, US, 'GET', '/api/2.0/serving-endpoints/churn');
  expect(churn.body.route_optimized).toBe(false);
  expect(churn.body).not.toHaveProperty('endpoint_url');
  expect(churn.body).not.toHaveProperty('data_plane_info');
});

it('creates a route-optimized endpoint through the API, and refuses a non-boolean route_optimized', async () => {
  const created = await call(emu, US, 'POST', '/api/2.0/serving-endpoints', {
    body: { name: 'created', route_optimized: true },
  });
  expect(created.status).toBe(200);
  expect(created.body.route_optimized).toBe(true);
  expect(created.body.data_plane_info.query_info.endpoint_url).toContain(`/serving-data-plane/${created.body.id}/`);
  const bad = await call(emu, US, 'POST', '/api/2.0/serving-endpoints', {
    body: { name: 'bad', route_optimized: 'yes' },
  });
  expect([bad.status, bad.body.message]).toEqual([400, "'route_optimized' must be true or false."]);
});

it('answers at the data-plane URL with a scoped OAuth token, by traffic split and per served model', async () => {
  const info = await queryInfo();
  const { scoped } = await scopedToken(info.authorization_details);
  const split = await post(info.endpoint_url, scoped);
  expect(split.status).toBe(200);
  expect(split.body.predictions).toEqual([3]);
  expect(split.headers.get('served-model-name')).toBe('churn-1');
  const direct = await post(info.endpoint_url.replace(/\/invocations$/, '/served-models/churn-1/invocations'), scoped);
  expect([direct.status, direct.body.predictions]).toEqual([200, [3]]);
});

it('also scopes a client-credentials token requested with authorization_details', async () => {
  const info = await queryInfo();
  const res = await token({ grant_type: 'client_credentials', authorization_details: info.authorization_details });
  expect((await post(info.endpoint_url, res.body.access_token)).status).toBe(200);
});

it('refuses a PAT, an unscoped OAuth token, no token and a token scoped to another endpoint at the data plane', async () => {
  const info = await queryInfo();
  const pat = await post(info.endpoint_url, QUERY_TOKEN);
  expect(pat.status).toBe(401);
  expect(pat.body.error_code).toBe('UNAUTHENTICATED');
  expect(pat.body.message).toMatch(/accept OAuth tokens only; personal access tokens are not supported/);
  const { workspace } = await scopedToken(info.authorization_details);
  const unscoped = await post(info.endpoint_url, workspace);
  expect([unscoped.status, unscoped.body.message]).toEqual([401, expect.stringMatching(/not scoped to the endpoint/)]);
  expect((await post(info.endpoint_url, undefined)).status).toBe(401);

  await call(emu, US, 'POST', '/api/2.0/serving-endpoints', { body: { name: 'other', route_optimized: true } });
  const other = await queryInfo('other');
  const { scoped: otherToken } = await scopedToken(other.authorization_details);
  const foreign = await post(info.endpoint_url, otherToken);
  expect([foreign.status, foreign.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
});

it('refuses the workspace URL for a route-optimized endpoint, naming its data-plane URL', async () => {
  const info = await queryInfo();
  for (const path of [
    '/serving-endpoints/fast/invocations',
    '/serving-endpoints/fast/served-models/fast-1/invocations',
  ]) {
    const res = await call(emu, US, 'POST', path, { body: record });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('BAD_REQUEST');
    expect(res.body.message).toContain(`is route-optimized`);
    expect(res.body.message).toContain(info.endpoint_url);
  }
  // A normal endpoint still answers at the workspace URL.
  expect((await call(emu, US, 'POST', '/serving-endpoints/churn/invocations', { body: record })).status).toBe(200);
});

it('scoped tokens: workspace APIs refuse them; the exchange refuses bad details, no CAN_QUERY, bad assertions', async () => {
  const info = await queryInfo();
  const { scoped } = await scopedToken(info.authorization_details);
  const api = await call(emu, US, 'GET', '/api/2.0/serving-endpoints/fast', { token: scoped });
  expect(api.status).toBe(401);
  const bad = await token({ grant_type: 'client_credentials', authorization_details: '[{"type":"x"}]' });
  expect([bad.status, bad.body.error]).toEqual([400, 'invalid_request']);
  const pat = await token({
    grant_type: JWT_BEARER_GRANT,
    assertion: QUERY_TOKEN,
    authorization_details: info.authorization_details,
  });
  expect([pat.status, pat.body.error]).toEqual([400, 'invalid_grant']);
  const reexchange = await token({
    grant_type: JWT_BEARER_GRANT,
    assertion: scoped,
    authorization_details: info.authorization_details,
  });
  expect(reexchange.status).toBe(400);
  // A data-plane URL with a stale endpoint id serves nothing.
  const stale = await post(info.endpoint_url.replace(/serving-data-plane\/[^/]+/, 'serving-data-plane/0000'), scoped);
  expect(stale.status).toBe(404);
});

it('refuses a scoped token to a principal without CAN_QUERY', async () => {
  await emu.close();
  const world = testWorld();
  world.principals.push({ name: 'viewer', client_id: 'viewer', client_secret: 'viewer-secret', serving: 'CAN_VIEW' });
  world.regions[0].endpoints!.push({
    name: 'fast',
    route_optimized: true,
    served_entities: [{ entity_name: MODEL, entity_version: '1' }],
  });
  emu = await startEmulator(world);
  const info = await queryInfo();
  const res = await token(
    { grant_type: 'client_credentials', authorization_details: info.authorization_details },
    basic('viewer', 'viewer-secret'),
  );
  expect([res.status, res.body.error]).toEqual([400, 'invalid_authorization_details']);
});
