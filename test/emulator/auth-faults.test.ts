import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { ADMIN_TOKEN, call, EU_ONLY_TOKEN, QUERY_TOKEN, testWorld } from '../support/emulator';

let emu: RunningEmulator;
beforeEach(async () => {
  emu = await startEmulator(testWorld());
});
afterEach(() => emu.close());

const LIST = '/api/2.0/serving-endpoints';

describe('authentication and authorization', () => {
  it('answers 401 without a token, with a bad token, and with a token of another workspace', async () => {
    const none = await call(emu, 'us-east-1', 'GET', LIST, { token: null });
    expect([none.status, none.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(none.body.details[0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'UNAUTHENTICATED',
      metadata: { request_id: none.headers.get('x-request-id') },
    });
    const bad = await call(emu, 'us-east-1', 'GET', LIST, { token: 'dapi-nope-nope' });
    expect([bad.status, bad.body.message]).toEqual([401, 'Invalid access token.']);
    const basic = await call(emu, 'us-east-1', 'GET', LIST, {
      token: null,
      headers: { Authorization: 'Basic Zm9vOmJhcg==' },
    });
    expect(basic.status).toBe(401);
    expect((await call(emu, 'us-east-1', 'GET', LIST, { token: EU_ONLY_TOKEN })).status).toBe(401);
    expect((await call(emu, 'eu-west-1', 'GET', LIST, { token: EU_ONLY_TOKEN })).status).toBe(200);
  });

  it('answers 403 to a principal lacking the permission', async () => {
    expect((await call(emu, 'us-east-1', 'GET', LIST, { token: QUERY_TOKEN })).status).toBe(200);
    const put = await call(emu, 'us-east-1', 'PUT', `${LIST}/churn/config`, { token: QUERY_TOKEN, body: {} });
    expect([put.status, put.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    const del = await call(emu, 'us-east-1', 'DELETE', `${LIST}/churn`, { token: QUERY_TOKEN });
    expect(del.status).toBe(403);
  });

  it('issues OAuth M2M tokens through discovery and client credentials, and honours their expiry', async () => {
    await emu.close();
    emu = await startEmulator(testWorld({ defaults: { oauth_token_ttl_seconds: 1 } }));
    const discovery = await call(emu, 'us-east-1', 'GET', '/oidc/.well-known/oauth-authorization-server', {
      token: null,
    });
    expect(discovery.body.token_endpoint).toBe(`${emu.url('us-east-1')}/oidc/v1/token`);
    const exchange = (basic: string, form = 'grant_type=client_credentials&scope=all-apis') =>
      fetch(discovery.body.token_endpoint, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(basic).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: form,
      });
    const wrong = await exchange('test-client:wrong-secret');
    expect([wrong.status, ((await wrong.json()) as any).error]).toEqual([401, 'invalid_client']);
    const grant = await exchange('test-client:test-secret-value', 'grant_type=password');
    expect(grant.status).toBe(400);
    const ok = await exchange('test-client:test-secret-value');
    const token = (await ok.json()) as any;
    expect(token).toMatchObject({
      token_type: 'Bearer',
      expires_in: 1,
      scope: 'all-apis',
      access_token: expect.any(String),
    });
    expect((await call(emu, 'us-east-1', 'GET', LIST, { token: token.access_token })).status).toBe(200);
    // A token from one workspace is not valid in another.
    expect((await call(emu, 'eu-west-1', 'GET', LIST, { token: token.access_token })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1050));
    const expired = await call(emu, 'us-east-1', 'GET', LIST, { token: token.access_token });
    expect([expired.status, expired.body.message]).toEqual([401, expect.stringMatching(/expired/)]);
  });
});

describe('request faults and limits', () => {
  it('answers a 429 storm with Retry-After for the given number of requests', async () => {
    await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
      body: { kind: 'storm', status: 429, count: 2, retry_after_seconds: 3, scope: 'management' },
    });
    for (let i = 0; i < 2; i++) {
      const answer = await call(emu, 'us-east-1', 'GET', LIST);
      expect([answer.status, answer.body.error_code, answer.headers.get('retry-after')]).toEqual([
        429,
        'REQUEST_LIMIT_EXCEEDED',
        '3',
      ]);
    }
    expect((await call(emu, 'us-east-1', 'GET', LIST)).status).toBe(200);
  });

  it('answers a 503 storm for a duration, only in its scope and region', async () => {
    await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
      body: { kind: 'storm', status: 503, duration: '300ms', scope: 'invocations' },
    });
    const invocation = await call(emu, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
      body: { inputs: [[1]] },
    });
    expect([invocation.status, invocation.body.error_code, invocation.headers.get('retry-after')]).toEqual([
      503,
      'TEMPORARILY_UNAVAILABLE',
      '1',
    ]);
    expect((await call(emu, 'us-east-1', 'GET', LIST)).status).toBe(200);
    expect(
      (
        await call(emu, 'eu-west-1', 'POST', '/serving-endpoints/churn/invocations', {
          body: { dataframe_records: [{ tenure: 1 }] },
        })
      ).status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 320));
    const after = await call(emu, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
      body: { dataframe_records: [{ tenure: 1 }] },
    });
    expect(after.status).toBe(200);
  });

  it('drops connections without an answer', async () => {
    await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: { kind: 'drop_connections', count: 1 } });
    await expect(fetch(`${emu.url('us-east-1')}${LIST}`)).rejects.toThrow();
    expect((await call(emu, 'us-east-1', 'GET', LIST)).status).toBe(200);
  });

  it('hangs connections so that client timeouts fire', async () => {
    await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: { kind: 'hang_connections', count: 1 } });
    const started = performance.now();
    await expect(
      fetch(`${emu.url('us-east-1')}${LIST}`, {
        headers: { Authorization: 'Bearer x' },
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow(/timeout|aborted/i);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect((await call(emu, 'us-east-1', 'GET', LIST)).status).toBe(200);
  });

  it('applies faults declared in the world file from the start', async () => {
    await emu.close();
    emu = await startEmulator(testWorld({ faults: [{ kind: 'storm', region: 'eu-west-1', status: 500, count: 1 }] }));
    const first = await call(emu, 'eu-west-1', 'GET', LIST);
    expect([first.status, first.body.error_code]).toEqual([500, 'INTERNAL_ERROR']);
    expect((await call(emu, 'eu-west-1', 'GET', LIST)).status).toBe(200);
  });

  it('rate-limits the workspace API and invocations with token buckets', async () => {
    await emu.close();
    const world = testWorld();
    emu = await startEmulator({
      ...world,
      regions: world.regions.map((r) => ({
        ...r,
        rate_limits: {
          management_per_second: 1,
          management_burst: 2,
          invocations_per_second: 1,
          retry_after_seconds: 2,
        },
      })),
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(emu, 'us-east-1', 'GET', LIST)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await call(emu, 'us-east-1', 'GET', LIST);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    // Invocations have a bucket of their own.
    const q = () =>
      call(emu, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
        body: { dataframe_records: [{ tenure: 1 }] },
      });
    expect([(await q()).status, (await q()).status]).toEqual([200, 429]);
  });

  it('validates admin fault requests and never crashes on malformed requests', async () => {
    const bad = await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: { kind: 'storm', status: 302 } });
    expect([bad.status, bad.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(bad.body.message).toMatch(/status/);
    const unknownRegion = await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
      body: { kind: 'stall_replication', region: 'mars-1' },
    });
    expect(unknownRegion.status).toBe(400);
    const path = await call(emu, 'us-east-1', 'GET', '/api/2.0/nothing-here');
    expect([path.status, path.body.error_code, path.body.message]).toEqual([
      404,
      'ENDPOINT_NOT_FOUND',
      "No API found for 'GET /api/2.0/nothing-here'",
    ]);
    const wrongMethod = await call(emu, 'us-east-1', 'PATCH', LIST);
    expect(wrongMethod.body.message).toBe("No API found for 'PATCH /api/2.0/serving-endpoints'");
    const encoded = await call(emu, 'us-east-1', 'GET', `${LIST}/%E0%A4%A`);
    expect(encoded.status).toBe(400);
    const notObject = await call(emu, 'us-east-1', 'POST', LIST, {
      raw: '[1,2]',
      headers: { 'Content-Type': 'application/json' },
    });
    expect([notObject.status, notObject.body.error_code]).toEqual([400, 'MALFORMED_REQUEST']);
    const huge = await call(emu, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
      raw: 'x'.repeat(17 * 1024 * 1024),
      headers: { 'Content-Type': 'application/json' },
    });
    expect([huge.status, huge.body.error_code]).toEqual([413, 'REQUEST_ENTITY_TOO_LARGE']);
    expect(huge.body.message).toMatch(/16 MB payload limit/);
    // Chunked (no Content-Length): refused once the body passes the limit, without waiting for its end.
    const chunk = new Uint8Array(1024 * 1024).fill(120);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 17) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const chunked = await fetch(`${emu.url('us-east-1')}/serving-endpoints/churn/invocations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    });
    expect([chunked.status, ((await chunked.json()) as { error_code: string }).error_code]).toEqual([
      413,
      'REQUEST_ENTITY_TOO_LARGE',
    ]);
    expect((await call(emu, 'us-east-1', 'GET', '/__emulator/health')).body).toEqual({ ok: true, region: 'us-east-1' });
  });
});
