import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { simulateMinute } from '../../src/emulator/live-traffic';
import { behaviorSchema } from '../../src/emulator/world';
import { ADMIN_TOKEN, call, MODEL, QUERY_TOKEN, testWorld } from '../support/emulator';

const API = '/api/2.0/serving-endpoints';
const REGION = 'us-east-1';

/** Every AI Gateway field, as the Python SDK's AiGatewayConfig.as_dict() sends it. */
const FULL_GATEWAY = {
  fallback_config: { enabled: false },
  guardrails: {
    input: { invalid_keywords: ['password'], pii: { behavior: 'BLOCK' }, safety: true, valid_topics: ['churn'] },
    output: { pii: { behavior: 'MASK' } },
  },
  inference_table_config: {
    catalog_name: 'main',
    schema_name: 'ml',
    table_name_prefix: 'churn_gateway',
    enabled: true,
  },
  rate_limits: [
    { calls: 1000, renewal_period: 'minute' },
    { calls: 50, key: 'user', principal: 'ana@example.com', renewal_period: 'minute' },
  ],
  usage_tracking_config: { enabled: true },
};

let emu: RunningEmulator;
beforeAll(async () => {
  const world = testWorld();
  emu = await startEmulator({
    ...world,
    models: [
      {
        name: MODEL,
        versions: [
          { version: 1, behavior: 'champion', aliases: ['champion'] },
          { version: 2, behavior: 'flaky' },
        ],
      },
    ],
    regions: [
      {
        name: REGION,
        endpoints: [
          { name: 'churn', served_entities: [{ entity_name: MODEL, entity_version: '1' }] },
          // The canary's situation: a challenger that fails every request beside a healthy champion.
          ...['split-plain', 'split-fallback'].map((name) => ({
            name,
            served_entities: [
              { name: 'champion', entity_name: MODEL, entity_version: '1' },
              { name: 'challenger', entity_name: MODEL, entity_version: '2' },
            ],
            traffic_config: {
              routes: [
                { served_entity_name: 'champion', traffic_percentage: 50 },
                { served_entity_name: 'challenger', traffic_percentage: 50 },
              ],
            },
            ...(name === 'split-fallback' ? { ai_gateway: { fallback_config: { enabled: true } } } : {}),
          })),
        ],
      },
      world.regions[1],
    ],
  });
});
afterAll(() => emu.close());

const invoke = (endpoint: string, token = ADMIN_TOKEN, served?: string) =>
  call(
    emu,
    REGION,
    'POST',
    served
      ? `/serving-endpoints/${endpoint}/served-models/${served}/invocations`
      : `/serving-endpoints/${endpoint}/invocations`,
    { token, body: { dataframe_records: [{ tenure: 3 }] } },
  );

/** The served entity's request and error counts, from its logs route. */
async function counts(endpoint: string, served: string) {
  const logs = await call(emu, REGION, 'GET', `${API}/${endpoint}/served-models/${served}/logs`);
  const [, requests, errors] = /(\d+) requests, (\d+) errors/.exec(logs.body.logs) ?? [];
  return { requests: Number(requests), errors: Number(errors) };
}

describe('PUT /api/2.0/serving-endpoints/{name}/ai-gateway', () => {
  it('stores every field exactly as sent, answers it, and GET and the list carry it', async () => {
    const put = await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, { body: FULL_GATEWAY });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(FULL_GATEWAY);
    const get = await call(emu, REGION, 'GET', `${API}/churn`);
    expect(get.body.ai_gateway).toEqual(FULL_GATEWAY);
    const list = await call(emu, REGION, 'GET', API);
    expect(list.body.endpoints.find((e: { name: string }) => e.name === 'churn').ai_gateway).toEqual(FULL_GATEWAY);
  });

  it('replaces the whole config: a field not sent is cleared', async () => {
    await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, { body: FULL_GATEWAY });
    const put = await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, {
      body: { usage_tracking_config: { enabled: false } },
    });
    expect(put.body).toEqual({ usage_tracking_config: { enabled: false } });
    expect((await call(emu, REGION, 'GET', `${API}/churn`)).body.ai_gateway).toEqual({
      usage_tracking_config: { enabled: false },
    });
  });

  it.each([
    [{ rate_limits: [{ calls: 5 }] }, "'rate_limits[0].renewal_period' is required and must be 'minute'."],
    [{ rate_limits: [{ calls: -1, renewal_period: 'minute' }] }, "'rate_limits[0].calls' must be a whole number"],
    [{ rate_limits: [{ renewal_period: 'minute' }] }, "'rate_limits[0]' needs 'calls' or 'tokens'."],
    [{ rate_limits: [{ calls: 5, key: 'team', renewal_period: 'minute' }] }, "'rate_limits[0].key' must be one of"],
    [{ fallback_config: {} }, "'fallback_config.enabled' is required: true or false."],
    [{ inference_table_config: { enabled: true } }, "'inference_table_config' needs catalog_name and schema_name"],
    [{ guardrails: { input: { pii: { behavior: 'HIDE' } } } }, "'guardrails.input.pii.behavior' must be one of"],
    [{ fallbacks: { enabled: true } }, "'fallbacks' is not an AI Gateway field; the fields are fallback_config"],
  ])('refuses %j naming the field, and keeps the config it had', async (body, message) => {
    await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, { body: FULL_GATEWAY });
    const put = await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, { body });
    expect(put.status).toBe(400);
    expect(put.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(put.body.message).toContain(message);
    expect((await call(emu, REGION, 'GET', `${API}/churn`)).body.ai_gateway).toEqual(FULL_GATEWAY);
  });

  it('needs CAN_MANAGE on the endpoint', async () => {
    const put = await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, { body: FULL_GATEWAY, token: QUERY_TOKEN });
    expect(put.status).toBe(403);
  });

  it('is accepted on create, and a bad one refuses the create (nothing is created)', async () => {
    const created = await call(emu, REGION, 'POST', API, {
      body: { name: 'gw-created', ai_gateway: { fallback_config: { enabled: true } } },
    });
    expect(created.status).toBe(200);
    expect(created.body.ai_gateway).toEqual({ fallback_config: { enabled: true } });
    const bad = await call(emu, REGION, 'POST', API, {
      body: { name: 'gw-bad', ai_gateway: { rate_limits: [{ calls: 1 }] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("'ai_gateway.rate_limits[0].renewal_period'");
    expect((await call(emu, REGION, 'GET', `${API}/gw-bad`)).status).toBe(404);
  });
});

describe('fallbacks', () => {
  it('without them, the failing challenger answers 503 to its share of the requests and its metrics show it', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => invoke('split-plain')));
    const failed = answers.filter((a) => a.status === 503);
    expect(failed.length).toBeGreaterThan(5);
    expect(failed.every((a) => a.headers.get('served-model-name') === 'challenger')).toBe(true);
    expect(await counts('split-plain', 'challenger')).toEqual({ requests: failed.length, errors: failed.length });
  });

  it("with them, every request is answered by the champion and the challenger's errors are in no metric", async () => {
    const before = await counts('split-fallback', 'champion');
    const answers = await Promise.all(Array.from({ length: 40 }, () => invoke('split-fallback')));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(answers.every((a) => a.headers.get('served-model-name') === 'champion')).toBe(true);
    expect(await counts('split-fallback', 'challenger')).toEqual({ requests: 0, errors: 0 });
    expect(await counts('split-fallback', 'champion')).toEqual({ requests: before.requests + 40, errors: 0 });
  });

  it('do not apply to a query of one served model: it gets that model’s own answer', async () => {
    const answer = await invoke('split-fallback', ADMIN_TOKEN, 'challenger');
    expect(answer.status).toBe(503);
    expect(answer.headers.get('served-model-name')).toBe('challenger');
  });
});

describe('rate limits', () => {
  it('answer 429 REQUEST_LIMIT_EXCEEDED over the endpoint limit, with Retry-After, and count per caller where keyed', async () => {
    await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, {
      body: {
        rate_limits: [
          { calls: 4, renewal_period: 'minute' },
          { calls: 1, key: 'user', principal: 'reader', renewal_period: 'minute' },
        ],
      },
    });
    try {
      // The admin is a service principal: the user limit on "reader" does not apply to it.
      expect((await invoke('churn')).status).toBe(200);
      expect((await invoke('churn')).status).toBe(200);
      expect((await invoke('churn', QUERY_TOKEN)).status).toBe(200);
      const readerAgain = await invoke('churn', QUERY_TOKEN);
      const rest = [await invoke('churn'), await invoke('churn')];
      // Unless the minute turned between the calls, reader's second call and the endpoint's fifth are refused.
      const refused = [readerAgain, ...rest].filter((a) => a.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const answer of refused) {
        expect(answer.body.error_code).toBe('REQUEST_LIMIT_EXCEEDED');
        expect(answer.body.message).toMatch(/AI Gateway rate limit exceeded: \d+ calls per minute per (endpoint|user)/);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      }
    } finally {
      await call(emu, REGION, 'PUT', `${API}/churn/ai-gateway`, { body: {} });
    }
  });
});

describe('live traffic with fallbacks (simulateMinute)', () => {
  const good = behaviorSchema.parse({ latency: '20ms' });
  const failing = behaviorSchema.parse({ latency: '20ms', error_rate: 1, error_status: 503 });
  const entities = [
    { name: 'champion', percent: 90, behavior: good },
    { name: 'challenger', percent: 10, behavior: failing },
  ];

  it("moves the challenger's failed requests to the champion, so its minute shows no errors", () => {
    const plain = simulateMinute(entities, 20, 5, 11);
    const hidden = simulateMinute(entities, 20, 5, 11, { fallback: true });
    const failedPlain = plain.get('challenger')!;
    expect(failedPlain.requests).toBeGreaterThan(50);
    expect(failedPlain.errors5xx).toBe(failedPlain.requests);
    expect(hidden.get('challenger')!.requests).toBe(0);
    const champion = hidden.get('champion')!;
    expect(champion.errors5xx).toBe(0);
    // Every user request is still answered once.
    expect(champion.requests).toBe(plain.get('champion')!.requests + failedPlain.requests);
    // The challenger was busy with the attempts it failed, though no request is counted for it.
    expect(hidden.get('challenger')!.busyMs).toBeGreaterThan(0);
  });

  it('returns the last error when every entity fails', () => {
    const allFailing = entities.map((e) => ({ ...e, behavior: failing }));
    const minute = simulateMinute(allFailing, 5, 3, 11, { fallback: true });
    const total = [...minute.values()].reduce((sum, m) => sum + m.requests, 0);
    const errors = [...minute.values()].reduce((sum, m) => sum + m.errors5xx, 0);
    expect(total).toBeGreaterThan(0);
    expect(errors).toBe(total);
  });
});
