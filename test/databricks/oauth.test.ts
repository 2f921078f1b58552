/** OAuth M2M against a tiny real HTTP server: discovery, token request, caching, single refresh, 401 handling. */
import {
  DatabricksApiError,
  DatabricksClient,
  DatabricksResponseError,
  OAuthM2MCredentials,
} from '../../src/databricks';
import { sendJson, startFakeServer, type FakeServer, type RecordedRequest } from './fake-server';

const CLIENT_ID = '7f3c2a10-rollout-bot';
const CLIENT_SECRET = 'secret-rollout-bot-0001';
const ENDPOINT = { name: 'ep', state: { ready: 'READY', config_update: 'NOT_UPDATING' } };

let server: FakeServer;
let issued: number;
let tokenDelayMs: number;
let expiresIn: number | undefined;
/** Tokens the API routes accept. */
let validTokens: Set<string>;

function oauthRoutes(req: RecordedRequest, res: Parameters<Parameters<FakeServer['handle']>[0]>[1]) {
  if (req.path === '/oidc/.well-known/oauth-authorization-server') {
    return sendJson(res, 200, {
      authorization_endpoint: `${server.url}/oidc/v1/authorize`,
      token_endpoint: `${server.url}/oidc/v1/token`,
      extra_field: true,
    });
  }
  if (req.path === '/oidc/v1/token') {
    const token = `access-token-${++issued}`;
    validTokens.add(token);
    setTimeout(
      () => sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: 'all-apis' }),
      tokenDelayMs,
    );
    return;
  }
  if (!validTokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
    return sendJson(res, 401, { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' });
  }
  return sendJson(res, 200, ENDPOINT);
}

beforeEach(async () => {
  issued = 0;
  tokenDelayMs = 0;
  expiresIn = 3600;
  validTokens = new Set();
  server = await startFakeServer(oauthRoutes);
});
afterEach(async () => {
  await server.close();
});

function m2mClient(extra: Partial<ConstructorParameters<typeof DatabricksClient>[0]> = {}) {
  return new DatabricksClient({
    host: server.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    env: {},
    ...extra,
  });
}

const tokenRequests = () => server.requests.filter((r) => r.path === '/oidc/v1/token');
const discoveryRequests = () => server.requests.filter((r) => r.path.startsWith('/oidc/.well-known'));

describe('OAuth M2M', () => {
  it('discovers the token endpoint, requests client_credentials with HTTP Basic, and uses the Bearer token', async () => {
    const client = m2mClient({ clientRegion: 'ap-southeast-1' });
    expect(client.config.auth.type).toBe('oauth-m2m');
    await client.serving.getEndpoint('ep');

    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /oidc/.well-known/oauth-authorization-server',
      'POST /oidc/v1/token',
      'GET /api/2.0/serving-endpoints/ep',
    ]);
    const [discovery, token, api] = server.requests;
    expect(discovery.headers['x-emulator-client-region']).toBe('ap-southeast-1');
    expect(token.headers.authorization).toBe(
      `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
    );
    expect(token.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'all-apis',
    });
    expect(token.headers['x-emulator-client-region']).toBe('ap-southeast-1');
    expect(api.headers.authorization).toBe('Bearer access-token-1');
  });

  it('caches the token until shortly before expires_in, then refreshes (discovery only once)', async () => {
    let now = 1_000_000;
    expiresIn = 600; // refresh margin = min(60s, 300s) = 60s → refresh at +540s
    const client = m2mClient({ now: () => now });
    await client.serving.getEndpoint('ep');
    await client.serving.getEndpoint('ep');
    now += 539_000;
    await client.serving.getEndpoint('ep');
    expect(tokenRequests()).toHaveLength(1);
    now += 2_000;
    await client.serving.getEndpoint('ep');
    expect(tokenRequests()).toHaveLength(2);
    expect(discoveryRequests()).toHaveLength(1);
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer access-token-2');
  });

  it('shares one in-flight token request among concurrent callers', async () => {
    tokenDelayMs = 100;
    const client = m2mClient();
    const results = await Promise.all(Array.from({ length: 10 }, () => client.serving.getEndpoint('ep')));
    expect(results).toHaveLength(10);
    expect(tokenRequests()).toHaveLength(1);
    expect(discoveryRequests()).toHaveLength(1);
    const authHeaders = new Set(
      server.requests.filter((r) => r.path.startsWith('/api/')).map((r) => r.headers.authorization),
    );
    expect([...authHeaders]).toEqual(['Bearer access-token-1']);
  });

  it('does not let one caller abort the refresh the others are waiting on', async () => {
    tokenDelayMs = 100;
    const client = m2mClient();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const impatient = client.serving.getEndpoint('ep', { signal: controller.signal });
    const patient = client.serving.getEndpoint('ep');
    setTimeout(() => controller.abort(reason), 20);
    await expect(impatient).rejects.toBe(reason);
    await expect(patient).resolves.toMatchObject({ name: 'ep' });
    expect(tokenRequests()).toHaveLength(1);
  });

  it('refreshes once and resends when a cached token is rejected with 401', async () => {
    const client = m2mClient();
    await client.serving.getEndpoint('ep');
    validTokens.clear(); // revoked server-side
    await expect(client.serving.getEndpoint('ep')).resolves.toMatchObject({ name: 'ep' });
    expect(tokenRequests()).toHaveLength(2);
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer access-token-2');
  });

  it('treats 403 "Invalid access token" on a cached token like a 401, but not other 403s', async () => {
    let denial = 'Invalid access token.';
    server.handle((req, res) => {
      if (req.path.startsWith('/api/') && !validTokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
        return sendJson(res, 403, { error_code: 'PERMISSION_DENIED', message: denial });
      }
      return oauthRoutes(req, res);
    });
    const client = m2mClient();
    await client.serving.getEndpoint('ep');
    validTokens.clear();
    await expect(client.serving.getEndpoint('ep')).resolves.toMatchObject({ name: 'ep' });
    expect(tokenRequests()).toHaveLength(2);

    validTokens.clear();
    denial = 'User does not have CAN_VIEW on endpoint ep';
    await expect(client.serving.getEndpoint('ep')).rejects.toMatchObject({ kind: 'permission-denied', status: 403 });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('does not loop when a freshly issued token is rejected', async () => {
    server.handle((req, res) => {
      if (req.path.startsWith('/api/')) return sendJson(res, 401, { error_code: 'UNAUTHENTICATED', message: 'nope' });
      return oauthRoutes(req, res);
    });
    const err = await m2mClient()
      .serving.getEndpoint('ep')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unauthenticated', retryable: false, status: 401 });
    expect(server.requests.filter((r) => r.path.startsWith('/api/'))).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('reports a rejected client as unauthenticated without leaking the secret', async () => {
    server.handle((req, res) => {
      if (req.path === '/oidc/v1/token') {
        return sendJson(res, 401, {
          error: 'invalid_client',
          error_description: `Client authentication failed for ${String(req.headers.authorization)} / ${CLIENT_SECRET}`,
        });
      }
      return oauthRoutes(req, res);
    });
    const err = (await m2mClient()
      .serving.getEndpoint('ep')
      .catch((e: unknown) => e)) as DatabricksApiError;
    expect(err).toBeInstanceOf(DatabricksApiError);
    expect(err).toMatchObject({ kind: 'unauthenticated', errorCode: 'invalid_client', retryable: false });
    expect(err.message).toMatch(/^OAuth token request: POST \/oidc\/v1\/token failed with HTTP 401 invalid_client/);
    expect(err.message).not.toContain(CLIENT_SECRET);
    expect(err.message).not.toContain(Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'));
  });

  it('reports a host without OAuth (discovery 404) and retries discovery on the next call', async () => {
    let discoveryStatus = 404;
    server.handle((req, res) => {
      if (req.path.startsWith('/oidc/.well-known') && discoveryStatus === 404) {
        return sendJson(res, 404, { error_code: 'NOT_FOUND', message: 'no oidc' });
      }
      return oauthRoutes(req, res);
    });
    const client = m2mClient();
    const err = await client.serving.getEndpoint('ep').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'not-found' });
    expect((err as Error).message).toMatch(
      /^OAuth endpoint discovery: GET \/oidc\/.well-known\/oauth-authorization-server/,
    );
    discoveryStatus = 200;
    await expect(client.serving.getEndpoint('ep')).resolves.toMatchObject({ name: 'ep' });
    expect(discoveryRequests()).toHaveLength(2);
  });

  it('rejects a discovery document without token_endpoint and a token response without access_token', async () => {
    server.handle((req, res) => sendJson(res, 200, { authorization_endpoint: 'x' }));
    const err = await m2mClient()
      .serving.getEndpoint('ep')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabricksResponseError);
    expect((err as Error).message).toContain('token_endpoint');

    server.handle((req, res) =>
      req.path === '/oidc/v1/token' ? sendJson(res, 200, { token_type: 'Bearer' }) : oauthRoutes(req, res),
    );
    const err2 = await m2mClient()
      .serving.getEndpoint('ep')
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(DatabricksResponseError);
    expect((err2 as Error).message).toContain('access_token');
  });

  it('works as a standalone provider with an injected clock (refresh at half-life for short tokens)', async () => {
    let now = 0;
    expiresIn = 10; // margin = min(60s, 5s) → refresh at 5s
    const credentials = new OAuthM2MCredentials({
      host: server.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      now: () => now,
    });
    const first = await credentials.authorize();
    expect(first).toEqual({ header: 'Bearer access-token-1', cached: false });
    now = 4_999;
    expect(await credentials.authorize()).toEqual({ header: 'Bearer access-token-1', cached: true });
    now = 5_000;
    expect((await credentials.authorize()).header).toBe('Bearer access-token-2');
    expect(credentials.tokenRequests).toBe(2);
  });
});
