/**
 * Request core: one HTTP request per call, no retry loop (see index.ts for why). Each call has a timeout (default
 * 60s) combined with the caller's optional AbortSignal:
 * - our timeout fires → `DatabricksTimeoutError` (retryable);
 * - the caller aborts → the signal's `reason` is rethrown unchanged (Temporal's CancelledFailure or an AbortError),
 *   so cancellation is reported as cancellation, never as a retryable failure;
 * - no HTTP answer → `DatabricksNetworkError` (retryable);
 * - HTTP error status → `DatabricksApiError` (classified; `retryAfterMs` from Retry-After);
 * - 2xx body that fails validation → `DatabricksResponseError`.
 * The only repeated request: after a 401 (or 403 "Invalid access token") answered to a *cached* OAuth token, the token
 * is refreshed and the request sent once more (it may have been revoked or expired early). PATs are never resent.
 */
import type { z } from 'zod';
import { abortReason, raceAbort, type CredentialsProvider, type FetchLike } from './auth';
import { markResend, tracedCall } from './call-span';
import {
  apiErrorFromResponse,
  DatabricksError,
  DatabricksNetworkError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from './errors';
import { formatIssues } from './schemas';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export const DEFAULT_TIMEOUT_MS = 60_000;
export const CLIENT_REGION_HEADER = 'x-emulator-client-region';
export const DEFAULT_USER_AGENT = `model-rollout/0.1.0 node/${process.version}`;

/** Per-call options accepted by every API method. */
export interface CallOptions {
  /** Caller's cancellation (e.g. Temporal's `Context.current().cancellationSignal`). */
  signal?: AbortSignal;
  /** Overrides the client's per-call timeout. */
  timeoutMs?: number;
}

export interface RequestSpec extends CallOptions {
  method: HttpMethod;
  /** Path built with `apiPath` (path parameters already encoded). */
  path: string;
  query?: Record<string, QueryValue>;
  /** JSON body; sent for every method that has one, PATCH included. */
  body?: unknown;
  /** `text` sends `Accept: text/plain` (metrics, openapi). */
  accept?: 'json' | 'text';
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Milliseconds from sending the request to having read the whole body. */
  latencyMs: number;
}

export interface HttpClientOptions {
  host: string;
  credentials: CredentialsProvider;
  timeoutMs?: number;
  /** Sent as `x-emulator-client-region` (the emulator simulates network latency from this region). */
  clientRegion?: string;
  userAgent?: string;
  fetch?: FetchLike;
  now?: () => number;
  /** Told of every request's end (metrics); must not throw. */
  onRequestEnd?: RequestObserver;
}

/** How one `request()` ended: its 2xx status, or the error it throws (a `DatabricksApiError` has the status). */
export interface RequestEnd {
  method: HttpMethod;
  /** The path sent, with its parameters (not for metric labels: see routes.ts). */
  path: string;
  status?: number;
  error?: unknown;
  durationMs: number;
}
export type RequestObserver = (end: RequestEnd) => void;

/**
 * Builds an API path from a template; interpolated values are path parameters. They are not encoded where the SDKs
 * don't encode (`cat.sch.model` stays literal) but characters that would change the URL (`/ ? # %`, spaces, controls,
 * non-ASCII) are percent-encoded, and `.` / `..` are refused so a name can never climb the path.
 */
export function apiPath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0];
  values.forEach((value, index) => {
    const text = String(value);
    if (text === '') {
      throw new TypeError(`empty path parameter in ${strings.join('{}')}`);
    }
    if (text === '.' || text === '..') {
      // URL parsers resolve "." / ".." even when percent-encoded, so no encoding makes them safe.
      throw new TypeError(`path parameter "${text}" in ${strings.join('{}')} is not a valid name`);
    }
    out += encodeURIComponent(text) + strings[index + 1];
  });
  return out;
}

/** Headers sent on every request, OAuth discovery/token requests included. */
export function commonHeaders(options: { clientRegion?: string; userAgent?: string }): Record<string, string> {
  const headers: Record<string, string> = { 'User-Agent': options.userAgent ?? DEFAULT_USER_AGENT };
  if (options.clientRegion) headers[CLIENT_REGION_HEADER] = options.clientRegion;
  return headers;
}

export class HttpClient {
  readonly host: string;
  readonly credentials: CredentialsProvider;
  readonly timeoutMs: number;
  readonly #headers: Record<string, string>;
  readonly #fetch: FetchLike;
  readonly #now: () => number;
  readonly #options: HttpClientOptions;

  constructor(options: HttpClientOptions) {
    this.#options = options;
    this.host = options.host;
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#headers = commonHeaders(options);
  }

  /** A client for another host (a route-optimized endpoint's data plane) with other credentials, same options. */
  withHost(host: string, credentials: CredentialsProvider): HttpClient {
    return new HttpClient({ ...this.#options, host, credentials });
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.append(key, String(value));
    }
    const qs = params.toString();
    return `${this.host}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Sends one request; resolves with the 2xx response, throws the typed errors described above otherwise. */
  request(spec: RequestSpec): Promise<RawResponse> {
    return tracedCall(spec.method, spec.path, () => this.#observed(spec));
  }

  /** The request, reported to the `onRequestEnd` observer (metrics) when there is one. */
  async #observed(spec: RequestSpec): Promise<RawResponse> {
    const observer = this.#options.onRequestEnd;
    if (!observer) return this.#send(spec);
    const startedAt = this.#now();
    const end = (outcome: { status?: number; error?: unknown }) =>
      observer({ method: spec.method, path: spec.path, durationMs: this.#now() - startedAt, ...outcome });
    try {
      const response = await this.#send(spec);
      end({ status: response.status });
      return response;
    } catch (err) {
      end({ error: err });
      throw err;
    }
  }

  async #send(spec: RequestSpec): Promise<RawResponse> {
    const { method, path } = spec;
    const url = this.url(path, spec.query);
    const headers: Record<string, string> = {
      ...this.#headers,
      Accept: spec.accept === 'text' ? 'text/plain' : 'application/json',
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['Content-Type'] = 'application/json';
    }

    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const call = new CallSignal(timeoutMs, spec.signal, `${method} ${path}`);
    try {
      for (let attempt = 0; ; attempt++) {
        const auth = await raceAbort(this.credentials.authorize(call.signal), call.signal);
        const startedAt = this.#now();
        let response: Response;
        let text: string;
        try {
          response = await this.#fetch(url, {
            method,
            headers: { ...headers, Authorization: auth.header },
            body,
            signal: call.signal,
          });
          text = await response.text();
        } catch (err) {
          throw call.translate(err) ?? new DatabricksNetworkError(method, path, err);
        }
        const latencyMs = this.#now() - startedAt;

        if (auth.cached && attempt === 0 && isStaleTokenAnswer(response.status, text)) {
          this.credentials.invalidate(auth.header);
          markResend(attempt + 1);
          continue;
        }
        if (!response.ok) {
          throw apiErrorFromResponse({
            status: response.status,
            method,
            path,
            bodyText: text,
            retryAfterHeader: response.headers.get('retry-after'),
            requestIdHeader: response.headers.get('x-request-id'),
            servedModelNameHeader: response.headers.get('served-model-name'),
            secrets: this.credentials.secretValues(),
            nowMs: this.#now(),
          });
        }
        return { status: response.status, headers: response.headers, text, latencyMs };
      }
    } catch (err) {
      throw call.translate(err) ?? err;
    } finally {
      call.dispose();
    }
  }

  /** A JSON request whose 2xx body is validated with `schema`. */
  async json<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.output<S>> {
    const response = await this.request(spec);
    return parseJsonBody(spec, response, schema);
  }

  /** A request whose 2xx body we ignore (DELETE answers `{}` or nothing). */
  async empty(spec: RequestSpec): Promise<void> {
    await this.request(spec);
  }
}

export function parseJsonBody<S extends z.ZodType>(spec: RequestSpec, response: RawResponse, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    const what = response.text.trim() === '' ? 'the body is empty' : 'the body is not JSON';
    throw new DatabricksResponseError(spec.method, spec.path, response.status, [`(root): ${what}`]);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new DatabricksResponseError(spec.method, spec.path, response.status, formatIssues(parsed.error));
  }
  return parsed.data;
}

/**
 * Iterates all items of a paginated list. Keeps reading while `next_page_token` is present, even after an empty
 * page (docs §2.2); stops with a `DatabricksResponseError` if the server repeats a token (it would loop forever).
 */
export async function* paginate<P extends { next_page_token?: string }, T>(
  fetchPage: (pageToken: string | undefined) => Promise<P>,
  items: (page: P) => T[],
  describe: string,
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    yield* items(page);
    token = page.next_page_token || undefined;
    if (token !== undefined) {
      if (seen.has(token)) {
        throw new DatabricksResponseError('GET', describe, 200, [`next_page_token: "${token}" was returned twice`]);
      }
      seen.add(token);
    }
  } while (token !== undefined);
}

/**
 * The server refused our (cached) token: 401, or the 403 "Invalid access token" some workspaces answer instead.
 * Worth one refresh; any other 403 is a real permission problem.
 */
function isStaleTokenAnswer(status: number, text: string): boolean {
  return status === 401 || (status === 403 && /invalid access token/i.test(text));
}

/** Our timeout combined with the caller's signal. */
class CallSignal {
  readonly signal: AbortSignal;
  readonly #timer: NodeJS.Timeout;
  readonly #caller?: AbortSignal;
  readonly #dispose: () => void;
  /** Made when the timer fires: an error (and its stack) per call would be built for the rare call that times out. */
  #timeoutError?: DatabricksTimeoutError;

  constructor(timeoutMs: number, caller: AbortSignal | undefined, operation: string) {
    this.#caller = caller;
    const timeout = new AbortController();
    this.#timer = setTimeout(() => {
      this.#timeoutError = new DatabricksTimeoutError(operation, timeoutMs);
      timeout.abort(this.#timeoutError);
    }, timeoutMs);
    if (!caller) {
      this.signal = timeout.signal;
      this.#dispose = () => {};
    } else if (typeof AbortSignal.any === 'function') {
      this.signal = AbortSignal.any([timeout.signal, caller]);
      this.#dispose = () => {};
    } else {
      const combined = manualAnySignal([timeout.signal, caller]);
      this.signal = combined.signal;
      this.#dispose = combined.dispose;
    }
  }

  /** The error to throw instead of `err` when the call was aborted, else undefined. */
  translate(err: unknown): Error | undefined {
    if (this.#caller?.aborted) return abortReason(this.#caller);
    if (err instanceof DatabricksError) return err;
    if (this.#timeoutError) return this.#timeoutError;
    return undefined;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#dispose();
  }
}

/** `AbortSignal.any` for runtimes without it; `dispose` removes the listeners from the source signals. */
export function manualAnySignal(signals: AbortSignal[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const listeners: Array<[AbortSignal, () => void]> = [];
  const dispose = () => listeners.forEach(([s, l]) => s.removeEventListener('abort', l));
  for (const source of signals) {
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const listener = () => {
      controller.abort(source.reason);
      dispose();
    };
    source.addEventListener('abort', listener, { once: true });
    listeners.push([source, listener]);
  }
  if (controller.signal.aborted) dispose();
  return { signal: controller.signal, dispose };
}
