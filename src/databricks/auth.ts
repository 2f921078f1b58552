/**
 * Credential providers: PAT and OAuth M2M (client credentials), docs/databricks-api.md §5.
 *
 * OAuth M2M: discover `GET {host}/oidc/.well-known/oauth-authorization-server` (needs `token_endpoint`), then
 * `POST token_endpoint` with `grant_type=client_credentials&scope=all-apis` and HTTP Basic client authentication.
 * The access token is cached until shortly before `expires_in`; concurrent callers share one in-flight request.
 * A caller's abort signal only stops that caller's wait, never the shared request other callers are waiting on.
 */
import { inspect } from 'node:util';
import { z } from 'zod';
import type { ResolvedAuth } from './config';
import {
  apiErrorFromResponse,
  DatabricksApiError,
  DatabricksNetworkError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from './errors';
import { formatIssues } from './schemas';
import { REDACTED, Secret } from './secret';

/** The subset of `fetch` the client uses (injectable for tests). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface Authorization {
  /** Value of the Authorization header. Secret: never log it. */
  readonly header: string;
  /** True when the value came from a cache, so a 401 may mean it went stale and one refresh is worth trying. */
  readonly cached: boolean;
}

export interface CredentialsProvider {
  readonly authType: string;
  authorize(signal?: AbortSignal): Promise<Authorization>;
  /** The server rejected `header` (401, or 403 "Invalid access token"): forget it if it is still the cached one. */
  invalidate(header: string): void;
  /** Current secret values, to scrub from error messages. */
  secretValues(): string[];
}

export class PatCredentials implements CredentialsProvider {
  readonly authType = 'pat';
  readonly #token: Secret;

  constructor(token: Secret | string) {
    this.#token = typeof token === 'string' ? new Secret(token) : token;
  }

  async authorize(): Promise<Authorization> {
    return { header: `Bearer ${this.#token.reveal()}`, cached: false };
  }

  invalidate(): void {}

  secretValues(): string[] {
    return [this.#token.reveal()];
  }

  toJSON(): object {
    return { authType: this.authType, token: REDACTED };
  }

  [inspect.custom](): string {
    return `PatCredentials { token: ${REDACTED} }`;
  }
}

export interface OAuthM2MOptions {
  host: string;
  clientId: string;
  clientSecret: Secret | string;
  fetch?: FetchLike;
  /** Timeout of each discovery / token request (default 30s). */
  timeoutMs?: number;
  /** Refresh this long before expiry (default 60s, at most half the token's lifetime). */
  refreshMarginMs?: number;
  /** Extra headers for discovery and token requests (the client passes x-emulator-client-region, User-Agent). */
  headers?: Record<string, string>;
  now?: () => number;
}

const discoverySchema = z.object({ token_endpoint: z.string().min(1) });
const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

/** Token lifetime assumed when the token response has no expires_in (a 401 still triggers a refresh). */
const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;
export const OIDC_DISCOVERY_PATH = '/oidc/.well-known/oauth-authorization-server';

export interface CachedToken {
  token: Secret;
  header: string;
  refreshAtMs: number;
}

/** A token for a route-optimized endpoint's data plane; `header` is secret, never log it. */
export type ScopedToken = CachedToken;

/** The grant the SDKs exchange a workspace OAuth token with for a data-plane one (RFC 7523). */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * One token at a time: reused until its refresh time; when it is due, one request fetches the next, shared by every
 * caller waiting. A caller's abort signal only stops that caller's wait.
 */
export class TokenCache {
  #cached?: CachedToken;
  #inflight?: Promise<CachedToken>;

  constructor(
    private readonly fetchToken: () => Promise<CachedToken>,
    private readonly now: () => number,
  ) {}

  async authorize(signal?: AbortSignal): Promise<Authorization> {
    signal?.throwIfAborted();
    const cached = this.#cached;
    if (cached && this.now() < cached.refreshAtMs) return { header: cached.header, cached: true };
    if (!this.#inflight) {
      this.#inflight = this.fetchToken()
        .then((token) => (this.#cached = token))
        .finally(() => {
          this.#inflight = undefined;
        });
    }
    const fresh = await raceAbort(this.#inflight, signal);
    return { header: fresh.header, cached: false };
  }

  invalidate(header: string): void {
    if (this.#cached?.header === header) this.#cached = undefined;
  }

  /** The cached token's value, to scrub from error messages. */
  secretValues(): string[] {
    return this.#cached ? [this.#cached.token.reveal()] : [];
  }
}

export class OAuthM2MCredentials implements CredentialsProvider {
  readonly authType = 'oauth-m2m';
  readonly host: string;
  readonly clientId: string;
  readonly #clientSecret: Secret;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #refreshMarginMs: number;
  readonly #headers: Record<string, string>;
  readonly #now: () => number;
  #tokenEndpoint?: Promise<string>;
  readonly #tokens: TokenCache;
  /** Number of token requests sent (for tests and metrics). */
  tokenRequests = 0;

  constructor(options: OAuthM2MOptions) {
    this.host = options.host;
    this.clientId = options.clientId;
    this.#clientSecret =
      typeof options.clientSecret === 'string' ? new Secret(options.clientSecret) : options.clientSecret;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#refreshMarginMs = options.refreshMarginMs ?? 60_000;
    this.#headers = options.headers ?? {};
    this.#now = options.now ?? Date.now;
    this.#tokens = new TokenCache(() => this.#requestToken('grant_type=client_credentials&scope=all-apis'), this.#now);
  }

  authorize(signal?: AbortSignal): Promise<Authorization> {
    return this.#tokens.authorize(signal);
  }

  invalidate(header: string): void {
    this.#tokens.invalidate(header);
  }

  secretValues(): string[] {
    return [this.#clientSecret.reveal(), ...this.#tokens.secretValues()];
  }

  toJSON(): object {
    return { authType: this.authType, host: this.host, clientId: this.clientId, clientSecret: REDACTED };
  }

  [inspect.custom](): string {
    return `OAuthM2MCredentials { host: '${this.host}', clientId: '${this.clientId}', clientSecret: ${REDACTED} }`;
  }

  /**
   * A token scoped by `authorizationDetails` (a route-optimized endpoint's `data_plane_info.query_info`), for its
   * data-plane URL: this client's workspace token exchanged with the JWT bearer grant, client credentials included,
   * as the SDKs' data-plane clients do. Not cached here (DataPlaneCredentials caches per endpoint). When the exchange
   * refuses a cached workspace token (expired or revoked early), that token is refreshed and the exchange sent once more.
   */
  async exchangeToken(authorizationDetails: string, signal?: AbortSignal): Promise<ScopedToken> {
    for (let attempt = 0; ; attempt++) {
      const assertion = await this.authorize(signal);
      const form = new URLSearchParams({
        grant_type: JWT_BEARER_GRANT,
        assertion: assertion.header.replace(/^Bearer /, ''),
        authorization_details: authorizationDetails,
      });
      try {
        const entry = await raceAbort(this.#requestToken(form.toString()), signal);
        return { token: entry.token, header: entry.header, refreshAtMs: entry.refreshAtMs };
      } catch (err) {
        if (attempt === 0 && assertion.cached && err instanceof DatabricksApiError && [400, 401].includes(err.status)) {
          this.invalidate(assertion.header);
          continue;
        }
        throw err;
      }
    }
  }

  async #requestToken(body: string): Promise<CachedToken> {
    const tokenEndpoint = await this.#discover();
    const basic = Buffer.from(`${this.clientId}:${this.#clientSecret.reveal()}`).toString('base64');
    const startedAt = this.#now();
    this.tokenRequests++;
    const response = await this.#send('POST', tokenEndpoint, 'OAuth token request', {
      Authorization: `Basic ${basic}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      body,
    });
    const parsed = tokenSchema.safeParse(response.json);
    if (!parsed.success) {
      throw new DatabricksResponseError('POST', pathOf(tokenEndpoint), response.status, formatIssues(parsed.error));
    }
    const lifetimeMs = parsed.data.expires_in !== undefined ? parsed.data.expires_in * 1000 : DEFAULT_TOKEN_LIFETIME_MS;
    const margin = Math.min(this.#refreshMarginMs, lifetimeMs / 2);
    const token = new Secret(parsed.data.access_token);
    return { token, header: `Bearer ${token.reveal()}`, refreshAtMs: startedAt + lifetimeMs - margin };
  }

  #discover(): Promise<string> {
    if (!this.#tokenEndpoint) {
      const discovery = (async () => {
        const url = `${this.host}${OIDC_DISCOVERY_PATH}`;
        const response = await this.#send('GET', url, 'OAuth endpoint discovery', {});
        const parsed = discoverySchema.safeParse(response.json);
        if (!parsed.success) {
          throw new DatabricksResponseError('GET', OIDC_DISCOVERY_PATH, response.status, formatIssues(parsed.error));
        }
        // A relative token_endpoint is resolved against the host.
        return new URL(parsed.data.token_endpoint, `${this.host}/`).toString();
      })();
      this.#tokenEndpoint = discovery;
      discovery.catch(() => {
        if (this.#tokenEndpoint === discovery) this.#tokenEndpoint = undefined; // retry discovery next time
      });
    }
    return this.#tokenEndpoint;
  }

  async #send(
    method: 'GET' | 'POST',
    url: string,
    context: string,
    extra: { Authorization?: string; 'Content-Type'?: string; body?: string },
  ): Promise<{ status: number; json: unknown }> {
    const { body, ...headers } = extra;
    const path = pathOf(url);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(url, {
          method,
          headers: { Accept: 'application/json', ...this.#headers, ...headers },
          body,
          signal: controller.signal,
        });
        text = await response.text();
      } catch (err) {
        if (controller.signal.aborted)
          throw new DatabricksTimeoutError(`${context} ${method} ${path}`, this.#timeoutMs);
        throw new DatabricksNetworkError(method, path, err);
      }
      if (!response.ok) {
        throw apiErrorFromResponse({
          status: response.status,
          method,
          path,
          bodyText: text,
          retryAfterHeader: response.headers.get('retry-after'),
          requestIdHeader: response.headers.get('x-request-id'),
          secrets: this.secretValues(),
          context,
        });
      }
      try {
        return { status: response.status, json: JSON.parse(text) as unknown };
      } catch {
        throw new DatabricksResponseError(method, path, response.status, ['(root): the body is not JSON']);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Resolves like `promise` but rejects with the signal's reason as soon as the signal aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The caller's abort reason, or a standard AbortError when the signal was aborted without one. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'This operation was aborted', 'AbortError');
}

export interface CredentialsOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
  headers?: Record<string, string>;
  now?: () => number;
}

/** The provider for a resolved config. */
export function createCredentials(
  host: string,
  auth: ResolvedAuth,
  options: CredentialsOptions = {},
): CredentialsProvider {
  if (auth.type === 'pat') return new PatCredentials(auth.token);
  return new OAuthM2MCredentials({ host, clientId: auth.clientId, clientSecret: auth.clientSecret, ...options });
}
