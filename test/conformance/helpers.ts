/** Shared helpers of the conformance tests: a fast world, plain-fetch HTTP calls, schema and error checks, polling. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseWorld, type World } from '../../src/emulator/world';
import { describeIssues, ERROR_CODE_STATUS, errorBodySchema, UC_ERROR_CODE_STATUS } from './databricks-doc-schemas';

export const BOT_TOKEN = 'dapi-rollout-bot-0001';
export const ANALYST_TOKEN = 'dapi-analyst-0002';
export const CLIENT_ID = '7f3c2a10-rollout-bot';
export const CLIENT_SECRET = 'secret-rollout-bot-0001';
export const PRIMARY = 'us-east-1';
export const REPLICAS = ['eu-west-1', 'ap-southeast-1'] as const;
export const PRIMARY_MODEL = 'main.ml.fraud_detector';
export const SHARED_MODEL = 'ml_shared.ml.fraud_detector';
export const ENDPOINT = 'fraud-detector';

/**
 * worlds/three-regions.yaml with short durations (config updates, registration, replication), no random model
 * errors and no simulated network latency, so the tests are fast and deterministic.
 */
export function fastWorld(overrides: { configUpdate?: string } = {}): World {
  const path = join(__dirname, '../../worlds/three-regions.yaml');
  const raw = parseYaml(readFileSync(path, 'utf8')) as {
    defaults?: Record<string, unknown>;
    behaviors?: Record<string, Record<string, unknown>>;
    regions: Record<string, unknown>[];
    network?: Record<string, unknown>;
  };
  raw.defaults = {
    ...raw.defaults,
    config_update_duration: overrides.configUpdate ?? '600ms',
    registration_duration: '200ms',
    replication_delay: '300ms',
  };
  for (const region of raw.regions) {
    delete region.replication_delay;
    delete region.config_update_duration;
  }
  for (const behavior of Object.values(raw.behaviors ?? {})) {
    behavior.error_rate = 0;
    behavior.latency = '1ms';
  }
  raw.network = { in_region_ms: 0, same_continent_ms: 0, transatlantic_ms: 0, intercontinental_ms: 0, jitter: 0 };
  return parseWorld(raw, `${path} (fast conformance variant)`);
}

export interface Reply {
  route: string;
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface CallOptions {
  /** Bearer token; `null` sends no Authorization header. Defaults to the rollout bot's PAT. */
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** One HTTP call with plain fetch. */
export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  const token = options.token === undefined ? BOT_TOKEN : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['Content-Type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { route: `${method} ${path}`, status: response.status, headers: response.headers, text, json };
}

const show = (reply: Reply) =>
  `${reply.route} → HTTP ${reply.status} ${reply.headers.get('content-type') ?? '(no content-type)'}\n` +
  `body: ${reply.text.length > 3000 ? `${reply.text.slice(0, 3000)}…` : reply.text}`;

/** Throws a descriptive error (the route, the status, the body) when `condition` is false. */
export function ensure(condition: unknown, reply: Reply, what: string): asserts condition {
  if (!condition) throw new Error(`${what}\n${show(reply)}`);
}

const schemaDeviations: string[] = [];

/**
 * Schema mismatches are recorded rather than thrown, so that one unknown field does not hide the test's other checks;
 * call this from afterEach to fail the test with every recorded mismatch.
 */
export function flushSchemaDeviations() {
  const found = schemaDeviations.splice(0);
  if (found.length > 0) throw new Error(`the emulator deviates from the doc schemas:\n\n${found.join('\n\n')}`);
}

/** Validates any value (e.g. an SDK result) against a doc schema, recording a mismatch; returns the value. */
export function checkSchema<T>(what: string, schema: z.ZodType, value: T): T {
  const result = schema.safeParse(value);
  if (!result.success)
    schemaDeviations.push(
      `${what}: does not match the doc schema:\n${describeIssues(result.error)}\n${JSON.stringify(value)}`,
    );
  return value;
}

/**
 * Asserts the status and a JSON body (throwing), and validates it against the doc schema (recording a mismatch for
 * flushSchemaDeviations); returns the body.
 */
export function conform<S extends z.ZodType>(reply: Reply, schema: S, status = 200): z.output<S> {
  ensure(reply.status === status, reply, `expected HTTP ${status}`);
  ensure(
    (reply.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json'),
    reply,
    'expected Content-Type: application/json',
  );
  ensure(reply.json !== undefined, reply, 'expected a JSON body');
  const result = schema.safeParse(reply.json);
  if (result.success) return result.data;
  schemaDeviations.push(`body does not match the doc schema:\n${describeIssues(result.error)}\n${show(reply)}`);
  return reply.json as z.output<S>;
}

/**
 * Asserts a §4.1 error body with the given status and one of the given error codes, and that the code's §4.2 class
 * (when the doc gives one) agrees with the status.
 */
export function expectApiError(reply: Reply, status: number, codes: readonly string[]) {
  const body = conform(reply, errorBodySchema, status);
  ensure(codes.includes(body.error_code), reply, `expected error_code ${codes.join(' | ')}, got ${body.error_code}`);
  const mapped = ERROR_CODE_STATUS[body.error_code] ?? UC_ERROR_CODE_STATUS[body.error_code];
  ensure(
    mapped === undefined || mapped === status,
    reply,
    `error_code ${body.error_code} maps to HTTP ${mapped} (§4.2), sent with ${status}`,
  );
  return body;
}

/** Polls `fn` until `done` holds, every `intervalMs`, failing after `timeoutMs` with the last value. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await fn();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      const detail = (last as Partial<Reply>)?.route ? show(last as Reply) : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
