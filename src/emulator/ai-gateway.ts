/**
 * AI Gateway on a serving endpoint (`PUT /api/2.0/serving-endpoints/{name}/ai-gateway`, `ai_gateway` on create and
 * GET): the config as the SDKs send it (Python SDK `AiGatewayConfig`), validated field by field, stored and echoed
 * exactly; and the two parts of it that change what a canary sees:
 * - fallbacks: a request an entity answers with 429 or 5xx is tried on the other served entities, round robin in the
 *   order of the served entity list, until one succeeds (or all fail: the last answer stands);
 * - rate limits: calls per minute per endpoint, user, group or service principal; over the limit, 429.
 * Usage tracking, inference tables and guardrails are stored and echoed; they do not change answers here.
 */
import { badRequest, throttled } from './api-error';

export interface AiGatewayRateLimit {
  renewal_period: 'minute';
  calls?: number;
  tokens?: number;
  key?: 'endpoint' | 'user' | 'user_group' | 'service_principal';
  principal?: string;
}

export interface AiGatewayGuardrailParameters {
  invalid_keywords?: string[];
  valid_topics?: string[];
  safety?: boolean;
  pii?: { behavior?: 'NONE' | 'BLOCK' | 'MASK' };
}

export interface AiGatewayConfig {
  fallback_config?: { enabled: boolean };
  guardrails?: { input?: AiGatewayGuardrailParameters; output?: AiGatewayGuardrailParameters };
  inference_table_config?: {
    catalog_name?: string;
    schema_name?: string;
    table_name_prefix?: string;
    enabled?: boolean;
  };
  rate_limits?: AiGatewayRateLimit[];
  usage_tracking_config?: { enabled?: boolean };
}

const FIELDS = [
  'fallback_config',
  'guardrails',
  'inference_table_config',
  'rate_limits',
  'usage_tracking_config',
] as const;
const RATE_LIMIT_KEYS = ['endpoint', 'user', 'user_group', 'service_principal'] as const;
const PII_BEHAVIORS = ['NONE', 'BLOCK', 'MASK'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function refuse(field: string, problem: string): never {
  throw badRequest(`'${field}' ${problem}`);
}

function objectAt(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) refuse(field, 'must be an object.');
  return value;
}

function knownKeys(value: Record<string, unknown>, field: string, keys: readonly string[]) {
  const unknown = Object.keys(value).find((k) => !keys.includes(k));
  if (unknown !== undefined)
    refuse(`${field}.${unknown}`, `is not a field of ${field}; the fields are ${keys.join(', ')}.`);
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') refuse(field, 'must be true or false.');
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') refuse(field, 'must be a non-empty string.');
  return value;
}

function optionalCount(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    refuse(field, 'must be a whole number of 0 or more.');
  return value;
}

function optionalStrings(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) refuse(field, 'must be a list of strings.');
  return [...(value as string[])];
}

/** Drops undefined members so that the echo has exactly the fields sent. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function parseGuardrailParameters(value: unknown, field: string): AiGatewayGuardrailParameters {
  const input = objectAt(value, field);
  knownKeys(input, field, ['invalid_keywords', 'valid_topics', 'safety', 'pii']);
  let pii: AiGatewayGuardrailParameters['pii'];
  if (input.pii !== undefined) {
    const raw = objectAt(input.pii, `${field}.pii`);
    knownKeys(raw, `${field}.pii`, ['behavior']);
    if (raw.behavior !== undefined && !PII_BEHAVIORS.includes(raw.behavior as never))
      refuse(`${field}.pii.behavior`, `must be one of ${PII_BEHAVIORS.join(', ')}.`);
    pii = defined({ behavior: raw.behavior as (typeof PII_BEHAVIORS)[number] | undefined });
  }
  return defined({
    invalid_keywords: optionalStrings(input.invalid_keywords, `${field}.invalid_keywords`),
    valid_topics: optionalStrings(input.valid_topics, `${field}.valid_topics`),
    safety: optionalBoolean(input.safety, `${field}.safety`),
    pii,
  });
}

function parseRateLimit(value: unknown, field: string): AiGatewayRateLimit {
  const input = objectAt(value, field);
  knownKeys(input, field, ['renewal_period', 'calls', 'tokens', 'key', 'principal']);
  if (input.renewal_period !== 'minute') refuse(`${field}.renewal_period`, "is required and must be 'minute'.");
  const key = input.key ?? 'endpoint';
  if (!RATE_LIMIT_KEYS.includes(key as never)) refuse(`${field}.key`, `must be one of ${RATE_LIMIT_KEYS.join(', ')}.`);
  const calls = optionalCount(input.calls, `${field}.calls`);
  const tokens = optionalCount(input.tokens, `${field}.tokens`);
  if (calls === undefined && tokens === undefined) refuse(field, "needs 'calls' or 'tokens'.");
  const principal = optionalString(input.principal, `${field}.principal`);
  if (key === 'endpoint' && principal !== undefined)
    refuse(`${field}.principal`, "applies to keys user, user_group and service_principal, not 'endpoint'.");
  return defined({
    renewal_period: 'minute' as const,
    calls,
    tokens,
    key: input.key === undefined ? undefined : (key as AiGatewayRateLimit['key']),
    principal,
  });
}

/**
 * Validates an AI Gateway config (the body of PUT .../ai-gateway, or `ai_gateway` on create). Every problem names
 * its field; nothing is stored unless all of it is valid.
 */
export function parseAiGateway(value: unknown, root = ''): AiGatewayConfig {
  const at = (field: string) => (root ? `${root}.${field}` : field);
  const input = objectAt(value, root || 'ai_gateway');
  const unknown = Object.keys(input).find((k) => !FIELDS.includes(k as never) && k !== 'name');
  if (unknown !== undefined) refuse(at(unknown), `is not an AI Gateway field; the fields are ${FIELDS.join(', ')}.`);
  const config: AiGatewayConfig = {};
  if (input.fallback_config !== undefined) {
    const raw = objectAt(input.fallback_config, at('fallback_config'));
    knownKeys(raw, at('fallback_config'), ['enabled']);
    if (typeof raw.enabled !== 'boolean') refuse(at('fallback_config.enabled'), 'is required: true or false.');
    config.fallback_config = { enabled: raw.enabled };
  }
  if (input.guardrails !== undefined) {
    const raw = objectAt(input.guardrails, at('guardrails'));
    knownKeys(raw, at('guardrails'), ['input', 'output']);
    config.guardrails = defined({
      input: raw.input === undefined ? undefined : parseGuardrailParameters(raw.input, at('guardrails.input')),
      output: raw.output === undefined ? undefined : parseGuardrailParameters(raw.output, at('guardrails.output')),
    });
  }
  if (input.inference_table_config !== undefined) {
    const field = at('inference_table_config');
    const raw = objectAt(input.inference_table_config, field);
    knownKeys(raw, field, ['catalog_name', 'schema_name', 'table_name_prefix', 'enabled']);
    const table = defined({
      catalog_name: optionalString(raw.catalog_name, `${field}.catalog_name`),
      schema_name: optionalString(raw.schema_name, `${field}.schema_name`),
      table_name_prefix: optionalString(raw.table_name_prefix, `${field}.table_name_prefix`),
      enabled: optionalBoolean(raw.enabled, `${field}.enabled`),
    });
    if (table.enabled && (table.catalog_name === undefined || table.schema_name === undefined))
      refuse(field, 'needs catalog_name and schema_name to enable inference tables.');
    config.inference_table_config = table;
  }
  if (input.rate_limits !== undefined) {
    if (!Array.isArray(input.rate_limits)) refuse(at('rate_limits'), 'must be a list of rate limits.');
    config.rate_limits = input.rate_limits.map((limit, index) => parseRateLimit(limit, at(`rate_limits[${index}]`)));
  }
  if (input.usage_tracking_config !== undefined) {
    const raw = objectAt(input.usage_tracking_config, at('usage_tracking_config'));
    knownKeys(raw, at('usage_tracking_config'), ['enabled']);
    config.usage_tracking_config = defined({
      enabled: optionalBoolean(raw.enabled, at('usage_tracking_config.enabled')),
    });
  }
  return config;
}

/** Whether a gateway with fallbacks would retry an answer of this status elsewhere (429 and 5xx; see docs/emulator.md). */
export function fallsBack(gateway: AiGatewayConfig | undefined, status: number): boolean {
  return gateway?.fallback_config?.enabled === true && (status === 429 || status >= 500);
}

/**
 * The order a request first routed to entity `first` is tried in when fallbacks are on: `first`, then the others
 * round robin in the served entity list's order (the SDK's FallbackConfig: "following the order of served entity
 * list"). Indices into `entityCount` entities.
 */
export function fallbackOrder(first: number, entityCount: number): number[] {
  return Array.from({ length: entityCount }, (_, k) => (first + k) % entityCount);
}

/** Who a request comes from, as rate limits key it. */
export interface Caller {
  name: string;
  kind: 'user' | 'service_principal';
  groups: readonly string[];
}

/**
 * Per-minute call counters of an endpoint's rate limits. A limit with `calls` counts every request it applies to in
 * the current minute (wall-clock minutes of the emulator's clock); the request over the limit gets 429 with
 * Retry-After up to the next minute. Token limits are stored but not counted: custom models report no tokens.
 */
export class GatewayRateLimiter {
  private minute = -1;
  private readonly counts = new Map<string, number>();

  take(limits: readonly AiGatewayRateLimit[] | undefined, caller: Caller, now: number): void {
    if (!limits?.length) return;
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.counts.clear();
    }
    const applying = limits.flatMap((limit, index) => {
      if (limit.calls === undefined) return [];
      const bucket = bucketOf(limit, caller);
      return bucket === undefined ? [] : [{ key: `${index}:${bucket}`, limit }];
    });
    const over = applying.find(({ key, limit }) => (this.counts.get(key) ?? 0) >= limit.calls!);
    if (over) {
      const retryAfter = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000));
      throw throttled(
        `AI Gateway rate limit exceeded: ${over.limit.calls} calls per minute per ${over.limit.key ?? 'endpoint'}${
          over.limit.principal ? ` (${over.limit.principal})` : ''
        }.`,
        retryAfter,
      );
    }
    for (const { key } of applying) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

/** The counter a limit charges this caller to, or undefined when the limit does not apply to the caller. */
function bucketOf(limit: AiGatewayRateLimit, caller: Caller): string | undefined {
  const key = limit.key ?? 'endpoint';
  if (key === 'endpoint') return 'endpoint';
  if (key === 'user_group') {
    if (limit.principal === undefined) return undefined;
    return caller.groups.includes(limit.principal) ? `group:${limit.principal}` : undefined;
  }
  if (key !== caller.kind) return undefined;
  // Without a principal the limit applies to each user (or service principal) separately.
  if (limit.principal !== undefined && limit.principal !== caller.name) return undefined;
  return `${key}:${caller.name}`;
}
