/** Test helpers: a small, fast world and raw HTTP calls against the emulator (no client library in between). */
import type { RunningEmulator } from '../../src/emulator';
import type { WorldInput } from '../../src/emulator/world';

export const ADMIN_TOKEN = 'dapi-test-admin-000001';
export const QUERY_TOKEN = 'dapi-test-query-000002';
export const EU_ONLY_TOKEN = 'dapi-test-eu-only-0003';
export const MODEL = 'main.ml.churn';
export const SHARED_MODEL = 'shared_ml.ml.churn';

/** Primary us-east-1 and one replica eu-west-1, with short, constant delays so tests run in well under a second. */
export function testWorld(overrides: Partial<WorldInput> = {}): WorldInput {
  return {
    seed: 7,
    primary: 'us-east-1',
    defaults: {
      replication_delay: '300ms',
      config_update_duration: '200ms',
      registration_duration: '100ms',
    },
    principals: [
      { name: 'admin', token: ADMIN_TOKEN, client_id: 'test-client', client_secret: 'test-secret-value' },
      { name: 'reader', token: QUERY_TOKEN, serving: 'CAN_QUERY', unity_catalog: 'READ' },
      { name: 'eu-operator', token: EU_ONLY_TOKEN, workspaces: ['eu-west-1'] },
    ],
    behaviors: {
      champion: { latency: '2ms', prediction: { formula: 'round(0.5 * tenure + 1, 2)' } },
      challenger: { latency: '2ms', prediction: { formula: 'round(0.5 * tenure + 2, 2)' } },
      broken: { latency: '2ms', deploy: 'fail' },
      flaky: { latency: '1ms', error_rate: 1, error_status: 503 },
    },
    models: [{ name: MODEL, versions: [{ version: 1, behavior: 'champion', aliases: ['champion'] }] }],
    sharing: { shares: [{ name: 'ml', objects: [{ name: MODEL }], recipients: ['eu-west-1'] }] },
    regions: [
      {
        name: 'us-east-1',
        endpoints: [{ name: 'churn', served_entities: [{ entity_name: MODEL, entity_version: '1' }] }],
      },
      {
        name: 'eu-west-1',
        shared_catalogs: [{ name: 'shared_ml', share: 'ml' }],
        endpoints: [{ name: 'churn', served_entities: [{ entity_name: SHARED_MODEL, entity_version: '1' }] }],
      },
    ],
    ...overrides,
  };
}

export interface Answer<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function call<T = any>(
  emu: RunningEmulator,
  region: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${emu.url(region)}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Prometheus text and other non-JSON answers stay as text.
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const splitConfig = (entityName: string, champion: string, challenger: string, challengerWeight: number) => ({
  served_entities: [
    {
      name: 'champion',
      entity_name: entityName,
      entity_version: champion,
      workload_size: 'Small',
      scale_to_zero_enabled: false,
    },
    {
      name: 'challenger',
      entity_name: entityName,
      entity_version: challenger,
      workload_size: 'Small',
      scale_to_zero_enabled: false,
    },
  ],
  traffic_config: {
    routes: [
      { served_entity_name: 'champion', traffic_percentage: 100 - challengerWeight },
      { served_entity_name: 'challenger', traffic_percentage: challengerWeight },
    ],
  },
});
