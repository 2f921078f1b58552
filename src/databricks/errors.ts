/**
 * Typed errors of the Databricks client. Every error thrown by the client (other than a caller's abort, which is
 * rethrown unchanged) is a `DatabricksError` with a `kind` and a `retryable` flag, so a Temporal activity can turn it
 * into a retryable or non-retryable failure (and use `retryAfterMs` as `nextRetryDelay`) with one `instanceof` check.
 *
 * Error-body parsing and classification follow the Go/Python SDKs (docs/databricks-api.md §4).
 */
import { STATUS_CODES } from 'node:http';
import { redact } from './secret';

export type DatabricksErrorKind =
  | 'bad-request'
  | 'unauthenticated'
  | 'permission-denied'
  | 'not-found'
  | 'conflict'
  | 'throttled'
  | 'unavailable'
  | 'internal'
  | 'timeout'
  | 'other';

export abstract class DatabricksError extends Error {
  abstract readonly kind: DatabricksErrorKind;
  abstract readonly retryable: boolean;
  /** How long the server asked us to wait before retrying, when it said so. */
  readonly retryAfterMs?: number;
}

/** Bad or missing configuration (host, credentials, profile). Never retryable: fix the configuration. */
export class DatabricksConfigError extends DatabricksError {
  readonly kind = 'bad-request' as const;
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'DatabricksConfigError';
  }
}

/** One entry of the `details` array of an error body (google.rpc.* types). */
export interface ErrorDetail {
  '@type'?: string;
  [key: string]: unknown;
}

export interface DatabricksApiErrorInit {
  status: number;
  errorCode: string;
  apiMessage: string;
  method: string;
  path: string;
  requestId?: string;
  retryAfterMs?: number;
  details?: ErrorDetail[];
  /** Prefix for the message, e.g. "OAuth token request". */
  context?: string;
  /** The `served-model-name` header of an invocation's error answer: which served entity failed. */
  servedModelName?: string;
}

/** The server answered with an HTTP error status. */
export class DatabricksApiError extends DatabricksError {
  readonly status: number;
  /** `error_code` of the body (legacy numeric codes as a string); else derived from the reason phrase. */
  readonly errorCode: string;
  /** The server's message, verbatim (redacted of credentials). `message` adds method, path and status. */
  readonly apiMessage: string;
  readonly method: string;
  readonly path: string;
  /** From a `google.rpc.RequestInfo` detail, else `ErrorInfo.metadata.request_id`, else the `x-request-id` header. */
  readonly requestId?: string;
  override readonly retryAfterMs?: number;
  readonly details: ErrorDetail[];
  /** On invocations: the served entity that answered with this error (`served-model-name` header). */
  readonly servedModelName?: string;
  readonly kind: DatabricksErrorKind;
  readonly retryable: boolean;

  constructor(init: DatabricksApiErrorInit) {
    const prefix = init.context ? `${init.context}: ` : '';
    super(
      `${prefix}${init.method} ${init.path} failed with HTTP ${init.status} ${init.errorCode}: ${init.apiMessage}` +
        (init.requestId ? ` (request id ${init.requestId})` : ''),
    );
    this.name = 'DatabricksApiError';
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.apiMessage = init.apiMessage;
    this.method = init.method;
    this.path = init.path;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.details = init.details ?? [];
    this.servedModelName = init.servedModelName;
    this.kind = classifyApiError(init.status, init.errorCode);
    this.retryable = isRetryableApiError(init.status, this.kind, init.apiMessage);
  }
}

/** The request never got an HTTP answer: connection refused/reset, socket hang up, DNS failure. Retryable. */
export class DatabricksNetworkError extends DatabricksError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  /** e.g. ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ENOTFOUND. */
  readonly code?: string;

  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    const code = networkErrorCode(cause);
    const detail = describeCause(cause);
    super(`${method} ${path}: network error${code ? ` ${code}` : ''}: ${detail}`, { cause });
    this.name = 'DatabricksNetworkError';
    this.code = code;
  }
}

/** Our own deadline fired (per-call HTTP timeout, or a waiter's overall timeout). Retryable. */
export class DatabricksTimeoutError extends DatabricksError {
  readonly kind = 'timeout' as const;
  readonly retryable = true;

  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    detail?: string,
  ) {
    super(`${operation}: timed out after ${timeoutMs}ms${detail ? ` (${detail})` : ''}`);
    this.name = 'DatabricksTimeoutError';
  }
}

/** A 2xx response whose body is not what the API documents (bad JSON, or a required field missing). Not retryable. */
export class DatabricksResponseError extends DatabricksError {
  readonly kind = 'internal' as const;
  readonly retryable = false;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** One line per problem, each naming the path of the bad field, e.g. `state.config_update: Invalid input`. */
    readonly problems: string[],
  ) {
    super(`${method} ${path}: unexpected response (HTTP ${status}): ${problems.join('; ')}`);
    this.name = 'DatabricksResponseError';
  }
}

/** `waitForEndpointNotUpdating` saw UPDATE_FAILED or UPDATE_CANCELED. Not retryable: the update itself failed. */
export class EndpointUpdateFailedError extends DatabricksError {
  readonly kind = 'conflict' as const;
  readonly retryable = false;

  constructor(
    readonly endpointName: string,
    readonly configUpdate: string,
    /** The endpoint as last seen (typed as unknown here to keep errors.ts free of schema imports). */
    readonly endpoint: unknown,
  ) {
    super(`serving endpoint ${endpointName} failed to reach NOT_UPDATING: config_update is ${configUpdate}`);
    this.name = 'EndpointUpdateFailedError';
  }
}

// --- classification -------------------------------------------------------------------------------------------

const CODE_KIND: Record<string, DatabricksErrorKind> = {
  // GO apierr/error_mapping.go (error_code takes precedence over status)
  INVALID_STATE: 'bad-request',
  INVALID_PARAMETER_VALUE: 'bad-request',
  RESOURCE_DOES_NOT_EXIST: 'not-found',
  ABORTED: 'conflict',
  ALREADY_EXISTS: 'conflict',
  RESOURCE_ALREADY_EXISTS: 'conflict',
  RESOURCE_EXHAUSTED: 'throttled',
  REQUEST_LIMIT_EXCEEDED: 'throttled',
  UNKNOWN: 'internal',
  DATA_LOSS: 'internal',
  // Codes the SDKs classify by status; the doc pairs them with exactly these statuses.
  BAD_REQUEST: 'bad-request',
  UNAUTHENTICATED: 'unauthenticated',
  PERMISSION_DENIED: 'permission-denied',
  NOT_FOUND: 'not-found',
  RESOURCE_CONFLICT: 'conflict',
  TEMPORARILY_UNAVAILABLE: 'unavailable',
  INTERNAL_ERROR: 'internal',
  DEADLINE_EXCEEDED: 'timeout',
};

const STATUS_KIND: Record<number, DatabricksErrorKind> = {
  400: 'bad-request',
  401: 'unauthenticated',
  403: 'permission-denied',
  404: 'not-found',
  409: 'conflict',
  429: 'throttled',
  500: 'internal',
  502: 'unavailable',
  503: 'unavailable',
  504: 'timeout',
};

/** error_code first (incl. UC's `*_DOES_NOT_EXIST` / `*_ALREADY_EXISTS`), then HTTP status. */
export function classifyApiError(status: number, errorCode: string): DatabricksErrorKind {
  const byCode = CODE_KIND[errorCode];
  if (byCode) return byCode;
  if (/^[A-Z_]+_DOES_NOT_EXIST$/.test(errorCode)) return 'not-found';
  if (/^[A-Z_]+_ALREADY_EXISTS$/.test(errorCode)) return 'conflict';
  return STATUS_KIND[status] ?? 'other';
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_KINDS = new Set<DatabricksErrorKind>(['throttled', 'unavailable', 'timeout']);
/** Messages the Go/Python/JS SDKs retry whatever the status (GO apierr TransientErrorRegexes, PY retries, JS17). */
const TRANSIENT_MESSAGES: RegExp[] = [
  /com\.databricks\.backend\.manager\.util\.UnknownWorkerEnvironmentException/,
  /does not have any associated worker environments/,
  /There is no worker environment with id/,
  /Unknown worker environment/,
  /ClusterNotReadyException/,
  /worker env .* not found/,
  /Timed out after /,
  /deadline exceeded/i,
  /Unexpected error/,
  /Please try again later or try a faster operation\./,
  /RPC token bucket limit has been exceeded/,
  /REQUEST_LIMIT_EXCEEDED/,
];
/** Statuses that are definitive whatever the message says. */
const NEVER_RETRYABLE_STATUS = new Set([401, 403, 404, 409]);

export function isRetryableApiError(status: number, kind: DatabricksErrorKind, message: string): boolean {
  if (NEVER_RETRYABLE_STATUS.has(status)) return false;
  if (RETRYABLE_STATUS.has(status) || RETRYABLE_KINDS.has(kind)) return true;
  return TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
}

// --- body parsing ------------------------------------------------------------------------------------------------

export interface ParsedErrorBody {
  errorCode: string;
  message: string;
  details: ErrorDetail[];
  requestId?: string;
  /** From a `google.rpc.RetryInfo` detail's `retry_delay`. */
  retryDelayMs?: number;
}

const MAX_MESSAGE_CHARS = 1000;

function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? `HTTP ${status}`;
}

function reasonCode(status: number): string {
  const phrase = STATUS_CODES[status];
  return phrase ? phrase.toUpperCase().replace(/[^A-Z0-9]+/g, '_') : `HTTP_${status}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/**
 * Parses an error response body with the SDKs' fallbacks (§4.1): Databricks JSON `{error_code, message, details}`;
 * legacy `{"error": "..."}`; SCIM `{detail, status, scimType}`; plain text `ERROR_CODE: message`; HTML `<pre>` (or
 * `<title>`); empty body → the reason phrase. The error code is always a non-empty string: when the server gives
 * none it is derived from the reason phrase (e.g. `SERVICE_UNAVAILABLE`), as the Go SDK does for HTML bodies.
 */
export function parseErrorBody(status: number, bodyText: string): ParsedErrorBody {
  const text = bodyText.trim();
  if (text === '') return { errorCode: reasonCode(status), message: reasonPhrase(status), details: [] };

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (isRecord(json)) return parseJsonErrorBody(status, json);

  const plain = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/.exec(text);
  if (plain) return { errorCode: plain[1], message: truncate(plain[2].trim()), details: [] };

  const html = /<pre>([\s\S]*?)<\/pre>/i.exec(text) ?? /<title>([\s\S]*?)<\/title>/i.exec(text);
  if (html) {
    const message = html[1].trim().replace(/^[ .]+|[ .]+$/g, '');
    return { errorCode: reasonCode(status), message: truncate(message || reasonPhrase(status)), details: [] };
  }
  return { errorCode: reasonCode(status), message: truncate(text), details: [] };
}

function parseJsonErrorBody(status: number, body: Record<string, unknown>): ParsedErrorBody {
  const details = Array.isArray(body.details) ? body.details.filter(isRecord) : [];
  let errorCode =
    typeof body.error_code === 'string' || typeof body.error_code === 'number' ? String(body.error_code) : '';
  let message = typeof body.message === 'string' ? body.message : '';

  if (typeof body.error === 'string' && body.error !== '') {
    // API 1.2 style; also OAuth token endpoints ({"error": "invalid_client", "error_description": ...}).
    if (typeof body.error_description === 'string') {
      if (!errorCode) errorCode = body.error;
      message = message || body.error_description;
    } else {
      message = body.error;
    }
  }
  if (!message && typeof body.detail === 'string' && body.detail !== '') {
    const detail = body.detail === 'null' ? 'SCIM API Internal Error' : body.detail;
    const scimType = typeof body.scimType === 'string' ? body.scimType : '';
    message = `${scimType} ${detail}`.trim();
    errorCode = `SCIM_${typeof body.status === 'string' || typeof body.status === 'number' ? body.status : status}`;
  }

  const ofType = (suffix: string) => details.find((d) => typeof d['@type'] === 'string' && d['@type'].endsWith(suffix));
  const requestInfo = ofType('RequestInfo');
  const errorInfo = ofType('ErrorInfo');
  const retryInfo = ofType('RetryInfo');
  const errorInfoRequestId = isRecord(errorInfo?.metadata) ? errorInfo.metadata.request_id : undefined;
  return {
    errorCode: errorCode || reasonCode(status),
    message: truncate(message || reasonPhrase(status)),
    details,
    requestId:
      typeof requestInfo?.request_id === 'string'
        ? requestInfo.request_id
        : typeof errorInfoRequestId === 'string'
          ? errorInfoRequestId
          : undefined,
    retryDelayMs: retryInfo ? parseProtoDuration(retryInfo.retry_delay) : undefined,
  };
}

/** A protobuf Duration in JSON form ("3s", "1.5s") or as `{seconds, nanos}`, in milliseconds. */
export function parseProtoDuration(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(value);
    return match ? Math.round(Number(match[1]) * 1000) : undefined;
  }
  if (isRecord(value)) {
    const seconds = Number(value.seconds ?? 0);
    const nanos = Number(value.nanos ?? 0);
    if (Number.isFinite(seconds) && Number.isFinite(nanos) && seconds >= 0 && nanos >= 0) {
      return Math.round(seconds * 1000 + nanos / 1e6);
    }
  }
  return undefined;
}

/**
 * `Retry-After` as delay-seconds (`"3"`) or an HTTP date, in milliseconds from `nowMs`; undefined when absent or
 * malformed. A date in the past gives 0.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (/^\d+\.\d+$/.test(value)) return Math.round(Number(value) * 1000); // lenient: not in RFC 9110
  // An HTTP date always names a weekday and a month; refuse other text Date.parse would guess at.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export interface ApiErrorFromResponse {
  status: number;
  method: string;
  path: string;
  bodyText: string;
  retryAfterHeader?: string | null;
  /** `x-request-id` response header, used when the body names no request id. */
  requestIdHeader?: string | null;
  /** `served-model-name` response header (invocations). */
  servedModelNameHeader?: string | null;
  /** Values to scrub from the message (the credentials in use). */
  secrets?: readonly string[];
  context?: string;
  nowMs?: number;
}

/** Builds the `DatabricksApiError` for an HTTP error answer. `Retry-After` wins over a RetryInfo detail. */
export function apiErrorFromResponse(input: ApiErrorFromResponse): DatabricksApiError {
  const parsed = parseErrorBody(input.status, input.bodyText);
  const retryAfterMs = parseRetryAfter(input.retryAfterHeader, input.nowMs) ?? parsed.retryDelayMs;
  return new DatabricksApiError({
    status: input.status,
    errorCode: parsed.errorCode,
    apiMessage: redact(parsed.message, input.secrets),
    method: input.method,
    path: input.path,
    requestId: parsed.requestId ?? (input.requestIdHeader || undefined),
    retryAfterMs,
    details: parsed.details,
    context: input.context,
    servedModelName: input.servedModelNameHeader || undefined,
  });
}

// --- network errors ----------------------------------------------------------------------------------------------

function networkErrorCode(cause: unknown): string | undefined {
  let current: unknown = cause;
  for (let depth = 0; depth < 5 && isRecord(current); depth++) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause;
  }
  return undefined;
}

function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message && !parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(cause);
}
