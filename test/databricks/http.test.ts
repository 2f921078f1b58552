/** Client protocol tests against a tiny real HTTP server. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  DatabricksApiError,
  DatabricksClient,
  DatabricksError,
  DatabricksNetworkError,
  DatabricksResponseError,
  DatabricksTimeoutError,
  apiPath,
} from '../../src/databricks';
import { manualAnySignal } from '../../src/databricks/http';
import { sendJson, startFakeServer, type FakeServer } from './fake-server';

const TOKEN = 'dapi-test-token-0001';

const ENDPOINT = {
  name: 'fraud-detector',
  id: 'ep-1',
  state: { ready: 'READY', config_update: 'NOT_UPDATING' },
  config: {
    served_entities: [{ name: 'fraud-1', entity_name: 'main.ml.fraud', entity_version: '1' }],
    config_version: 1,
  },
};

let server: FakeServer;
beforeEach(async () => {
  server = await startFakeServer();
});
afterEach(async () => {
  await server.close();
});

function client(extra: Partial<ConstructorParameters<typeof DatabricksClient>[0]> = {}): DatabricksClient {
  return new DatabricksClient({ host: server.url, token: TOKEN, env: {}, ...extra });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('request headers and bodies', () => {
  it('sends Accept, Bearer auth, User-Agent and x-emulator-client-region; no body or Content-Type on GET', async () => {
    server.handle((_req, res) => sendJson(res, 200, ENDPOINT));
    await client({ clientRegion: 'eu-west-1', userAgent: 'rollout-test/1.0' }).serving.getEndpoint('fraud-detector');
    const [req] = server.requests;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/api/2.0/serving-endpoints/fraud-detector');
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['user-agent']).toBe('rollout-test/1.0');
    expect(req.headers['x-emulator-client-region']).toBe('eu-west-1');
    expect(req.headers['content-type']).toBeUndefined();
    expect(req.body).toBe('');
  });

  it('omits x-emulator-client-region when no clientRegion is configured', async () => {
    server.handle((_req, res) => sendJson(res, 200, ENDPOINT));
    await client().serving.getEndpoint('fraud-detector');
    expect(server.requests[0].headers['x-emulator-client-region']).toBeUndefined();
    expect(server.requests[0].headers['user-agent']).toMatch(/^model-rollout\//);
  });

  it('sends the JSON body of a PATCH with Content-Type application/json', async () => {
    server.handle((_req, res) => sendJson(res, 200, { tags: [{ key: 'team', value: 'ml' }] }));
    const tags = await client().serving.updateEndpointTags('fraud-detector', {
      add_tags: [{ key: 'team', value: 'ml' }],
      delete_tags: ['old'],
    });
    const [req] = server.requests;
    expect(req.method).toBe('PATCH');
    expect(req.path).toBe('/api/2.0/serving-endpoints/fraud-detector/tags');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ add_tags: [{ key: 'team', value: 'ml' }], delete_tags: ['old'] });
    expect(tags).toEqual([{ key: 'team', value: 'ml' }]);
  });

  it('sends the PUT config body unchanged', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, { ...ENDPOINT, state: { ready: 'READY', config_update: 'IN_PROGRESS' } }),
    );
    const config = {
      served_entities: [
        {
          name: 'fraud-2',
          entity_name: 'main.ml.fraud',
          entity_version: '2',
          workload_size: 'Small',
          scale_to_zero_enabled: false,
        },
      ],
      traffic_config: { routes: [{ served_entity_name: 'fraud-2', traffic_percentage: 100 }] },
    };
    const result = await client().serving.updateEndpointConfig('fraud-detector', config);
    expect(server.requests[0].method).toBe('PUT');
    expect(server.requests[0].path).toBe('/api/2.0/serving-endpoints/fraud-detector/config');
    expect(JSON.parse(server.requests[0].body)).toEqual(config);
    expect(result.state.config_update).toBe('IN_PROGRESS');
  });
});

describe('path parameters', () => {
  it('keeps UC full names literal and sends boolean query parameters', async () => {
    server.handle((_req, res) => sendJson(res, 200, { full_name: 'main.ml.fraud' }));
    await client().unityCatalog.getRegisteredModel('main.ml.fraud', { includeAliases: true });
    expect(server.requests[0].rawUrl).toBe('/api/2.1/unity-catalog/models/main.ml.fraud?include_aliases=true');
    await client().unityCatalog.getRegisteredModel('main.ml.fraud');
    expect(server.requests[1].rawUrl).toBe('/api/2.1/unity-catalog/models/main.ml.fraud');
  });

  it('encodes characters that would change the URL', () => {
    expect(apiPath`/x/${'a b/c?d#e%f'}/y`).toBe('/x/a%20b%2Fc%3Fd%23e%25f/y');
    expect(apiPath`/x/${'cat.sch.model'}/${7}/${'...'}`).toBe('/x/cat.sch.model/7/...');
    expect(() => apiPath`/api/2.0/serving-endpoints/${''}`).toThrow(
      'empty path parameter in /api/2.0/serving-endpoints/{}',
    );
  });

  it('never lets a name climb out of its collection', async () => {
    server.handle((_req, res) => sendJson(res, 200, ENDPOINT));
    await expect(client().serving.getEndpoint('..')).rejects.toThrow(
      'path parameter ".." in /api/2.0/serving-endpoints/{} is not a valid name',
    );
    await expect(client().serving.deleteEndpoint('.')).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('errors', () => {
  it('fails fast on 429 with Retry-After: one request, throttled, retryable, retryAfterMs', async () => {
    server.handle((_req, res) =>
      sendJson(
        res,
        429,
        { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'Too many requests' },
        { 'Retry-After': '3' },
      ),
    );
    const err = await caught(client().serving.getEndpoint('fraud-detector'));
    expect(err).toBeInstanceOf(DatabricksApiError);
    expect(err).toMatchObject({
      status: 429,
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      kind: 'throttled',
      retryable: true,
      retryAfterMs: 3000,
      method: 'GET',
      path: '/api/2.0/serving-endpoints/fraud-detector',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('reads an HTTP-date Retry-After on 503 with an empty body', async () => {
    server.handle((_req, res) => {
      res.writeHead(503, { 'Retry-After': new Date(Date.now() + 5000).toUTCString() });
      res.end();
    });
    const err = (await caught(client().serving.getEndpoint('fraud-detector'))) as DatabricksApiError;
    expect(err).toMatchObject({ kind: 'unavailable', retryable: true, errorCode: 'SERVICE_UNAVAILABLE' });
    expect(err.retryAfterMs).toBeGreaterThan(3000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(5000);
  });

  it('classifies 404 RESOURCE_DOES_NOT_EXIST as not-found, not retryable, with the x-request-id', async () => {
    server.handle((_req, res) =>
      sendJson(
        res,
        404,
        { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Endpoint with name 'x' not found" },
        { 'x-request-id': 'req-42' },
      ),
    );
    const err = await caught(client().serving.getEndpoint('x'));
    expect(err).toMatchObject({ kind: 'not-found', retryable: false, status: 404, requestId: 'req-42' });
  });

  it('never resends a PAT request after a 401', async () => {
    server.handle((_req, res) => sendJson(res, 401, { error_code: 'UNAUTHENTICATED', message: 'bad token' }));
    await expect(client().serving.getEndpoint('x')).rejects.toMatchObject({ kind: 'unauthenticated' });
    expect(server.requests).toHaveLength(1);
  });

  it('never puts the token in an error message, even when the server echoes it', async () => {
    server.handle((req, res) =>
      sendJson(res, 400, { error_code: 'BAD_REQUEST', message: `bad header ${String(req.headers.authorization)}` }),
    );
    const err = (await caught(client().serving.getEndpoint('x'))) as DatabricksApiError;
    expect(err.message).not.toContain(TOKEN);
    expect(err.apiMessage).not.toContain(TOKEN);
    expect(err.message).toContain('[REDACTED]');
  });

  it('rejects a 2xx body missing a required field, naming its path', async () => {
    server.handle((_req, res) => sendJson(res, 200, { name: 'fraud-detector', state: { ready: 'READY' } }));
    const err = await caught(client().serving.getEndpoint('fraud-detector'));
    expect(err).toBeInstanceOf(DatabricksResponseError);
    expect(err).toMatchObject({ retryable: false, status: 200 });
    expect((err as Error).message).toContain('state.config_update');
  });

  it('rejects a 2xx body that is not JSON', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>login</html>');
    });
    const err = await caught(client().serving.getEndpoint('fraud-detector'));
    expect(err).toBeInstanceOf(DatabricksResponseError);
    expect((err as Error).message).toContain('(root): the body is not JSON');
  });
});

describe('timeouts, aborts and network errors', () => {
  it('throws a retryable DatabricksTimeoutError when the server never answers', async () => {
    server.handle(() => {}); // never answer
    const started = Date.now();
    const err = await caught(client({ timeoutMs: 150 }).serving.getEndpoint('fraud-detector'));
    expect(err).toBeInstanceOf(DatabricksTimeoutError);
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, timeoutMs: 150 });
    expect((err as Error).message).toBe('GET /api/2.0/serving-endpoints/fraud-detector: timed out after 150ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out when the body never finishes, and per-call timeoutMs overrides the client default', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"name":');
    });
    const err = await caught(client({ timeoutMs: 60_000 }).serving.getEndpoint('fraud-detector', { timeoutMs: 100 }));
    expect(err).toBeInstanceOf(DatabricksTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 100 });
  });

  it('rethrows the caller abort reason unchanged (not a DatabricksError, not retryable)', async () => {
    server.handle(() => {});
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const err = await caught(client().serving.getEndpoint('fraud-detector', { signal: controller.signal }));
    expect(err).toBe(reason);
    expect(err).not.toBeInstanceOf(DatabricksError);
  });

  it('gives an AbortError when the caller aborts without a reason, and sends nothing if already aborted', async () => {
    server.handle(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const err = await caught(client().serving.getEndpoint('fraud-detector', { signal: controller.signal }));
    expect((err as Error).name).toBe('AbortError');

    const requestsBefore = server.requests.length;
    const aborted = AbortSignal.abort(new Error('early'));
    await expect(client().serving.getEndpoint('fraud-detector', { signal: aborted })).rejects.toThrow('early');
    expect(server.requests.length).toBe(requestsBefore);
  });

  it('reports a refused connection as a retryable DatabricksNetworkError', async () => {
    const port = await freePort();
    const c = new DatabricksClient({ host: `http://127.0.0.1:${port}`, token: TOKEN, env: {} });
    const err = await caught(c.serving.getEndpoint('fraud-detector'));
    expect(err).toBeInstanceOf(DatabricksNetworkError);
    expect(err).toMatchObject({ kind: 'unavailable', retryable: true, code: 'ECONNREFUSED' });
    expect((err as Error).message).toContain(
      'GET /api/2.0/serving-endpoints/fraud-detector: network error ECONNREFUSED',
    );
  });

  it('reports a dropped connection (socket hang up) as a DatabricksNetworkError', async () => {
    server.handle((req, res) => {
      res.socket?.destroy();
      void req;
    });
    const err = await caught(client().serving.getEndpoint('fraud-detector'));
    expect(err).toBeInstanceOf(DatabricksNetworkError);
    expect((err as DatabricksNetworkError).code).toBe('UND_ERR_SOCKET');
  });
});

describe('manualAnySignal (fallback for AbortSignal.any)', () => {
  it('aborts with the first reason and removes its listeners on dispose', () => {
    const a = new AbortController();
    const b = new AbortController();
    const combined = manualAnySignal([a.signal, b.signal]);
    expect(combined.signal.aborted).toBe(false);
    b.abort('b-reason');
    expect(combined.signal.aborted).toBe(true);
    expect(combined.signal.reason).toBe('b-reason');
    a.abort('a-reason');
    expect(combined.signal.reason).toBe('b-reason');

    const c = new AbortController();
    const disposed = manualAnySignal([c.signal]);
    disposed.dispose();
    c.abort('late');
    expect(disposed.signal.aborted).toBe(false);
  });

  it('is aborted at once when a source already is', () => {
    expect(manualAnySignal([AbortSignal.abort('x')]).signal.reason).toBe('x');
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
