/**
 * Typed Databricks REST client used by our Temporal activities.
 *
 * Why not `@databricks/sdk-experimental` at runtime (it is only a devDependency, for a conformance test):
 * - 0.17 sends no request body on PATCH (only POST/PUT get one), so PATCH updates silently do nothing;
 * - its internal retry loop (429 only, ignores Retry-After, never retries 503, keeps going for up to 5 minutes)
 *   would hide throttling inside one Temporal activity attempt and fight heartbeat/start-to-close timeouts. We want
 *   each call to fail fast with a classified, typed error (`DatabricksError.kind`, `.retryable`, `.retryAfterMs`) so
 *   Temporal's retry policy decides, with `nextRetryDelay` taken from Retry-After;
 * - it does not validate responses; here every 2xx body goes through a zod schema;
 * - its API surface is explicitly "experimental";
 * - versions <= 0.16 dropped the port (and forced https) of the host, which breaks a local emulator.
 * A thin client with zod validation is a few hundred lines (docs/databricks-api.md is the ground truth for shapes).
 *
 * Usage, one client per region/profile:
 *   const eu = DatabricksClient.forProfile('eu-west-1', { clientRegion: 'us-east-1' });
 *   const endpoint = await eu.serving.getEndpoint('fraud-detector', { signal });
 */
import { inspect } from 'node:util';
import { createCredentials, type CredentialsProvider, type FetchLike } from './auth';
import { resolveDatabricksConfig, type DatabricksConfigOptions, type ResolvedDatabricksConfig } from './config';
import { commonHeaders, HttpClient, type RequestObserver } from './http';
import { ServingEndpointsApi } from './serving';
import { SharingApi } from './sharing';
import { UnityCatalogApi } from './unity-catalog';

export interface DatabricksClientOptions extends DatabricksConfigOptions {
  /** An already resolved config; when given, profile/host/credential options and env are not consulted. */
  config?: ResolvedDatabricksConfig;
  /** Sent as `x-emulator-client-region` (the emulator simulates latency from this region; Databricks ignores it). */
  clientRegion?: string;
  userAgent?: string;
  /** Per-call HTTP timeout (default 60s); each method also takes `{ timeoutMs, signal }`. */
  timeoutMs?: number;
  /** Replaces the credentials provider built from the config (tests, custom token sources). */
  credentials?: CredentialsProvider;
  fetch?: FetchLike;
  now?: () => number;
  /** Told of every request's end (the worker's metrics). */
  onRequestEnd?: RequestObserver;
}

export class DatabricksClient {
  readonly config: ResolvedDatabricksConfig;
  readonly host: string;
  readonly clientRegion?: string;
  readonly http: HttpClient;
  readonly serving: ServingEndpointsApi;
  readonly unityCatalog: UnityCatalogApi;
  readonly sharing: SharingApi;

  /** Resolves the config synchronously (explicit options > env > config-file profile); throws DatabricksConfigError. */
  constructor(options: DatabricksClientOptions = {}) {
    this.config = options.config ?? resolveDatabricksConfig(options);
    this.host = this.config.host;
    this.clientRegion = options.clientRegion;
    const credentials =
      options.credentials ??
      createCredentials(this.config.host, this.config.auth, {
        fetch: options.fetch,
        now: options.now,
        headers: commonHeaders(options),
      });
    this.http = new HttpClient({
      host: this.config.host,
      credentials,
      timeoutMs: options.timeoutMs,
      clientRegion: options.clientRegion,
      userAgent: options.userAgent,
      fetch: options.fetch,
      now: options.now,
      onRequestEnd: options.onRequestEnd,
    });
    this.serving = new ServingEndpointsApi(
      this.http,
      this.config.profile ? `profile "${this.config.profile}" (${this.host})` : this.host,
    );
    this.unityCatalog = new UnityCatalogApi(this.http);
    this.sharing = new SharingApi(this.http);
  }

  /** One client per region: the profile alone decides host and credentials (env DATABRICKS_* are ignored). */
  static forProfile(profile: string, options: Omit<DatabricksClientOptions, 'profile'> = {}): DatabricksClient {
    return new DatabricksClient({ ...options, profile });
  }

  toJSON(): object {
    return {
      host: this.host,
      authType: this.config.auth.type,
      profile: this.config.profile,
      clientRegion: this.clientRegion,
    };
  }

  [inspect.custom](): string {
    return `DatabricksClient ${inspect(this.toJSON())}`;
  }
}

export { Secret, redact } from './secret';
export { parseIni, IniSyntaxError, type IniSections } from './ini';
export {
  resolveDatabricksConfig,
  normalizeHost,
  SUPPORTED_AUTH_TYPES,
  type DatabricksAuthType,
  type DatabricksConfigOptions,
  type ResolvedAuth,
  type ResolvedDatabricksConfig,
} from './config';
export {
  PatCredentials,
  OAuthM2MCredentials,
  createCredentials,
  OIDC_DISCOVERY_PATH,
  JWT_BEARER_GRANT,
  type Authorization,
  type CredentialsProvider,
  type FetchLike,
  type OAuthM2MOptions,
} from './auth';
export {
  DatabricksError,
  DatabricksApiError,
  DatabricksConfigError,
  DatabricksNetworkError,
  DatabricksTimeoutError,
  DatabricksResponseError,
  EndpointUpdateFailedError,
  classifyApiError,
  isRetryableApiError,
  parseErrorBody,
  parseRetryAfter,
  parseProtoDuration,
  apiErrorFromResponse,
  type DatabricksErrorKind,
  type ErrorDetail,
  type ParsedErrorBody,
} from './errors';
export {
  HttpClient,
  apiPath,
  commonHeaders,
  paginate,
  DEFAULT_TIMEOUT_MS,
  CLIENT_REGION_HEADER,
  type CallOptions,
  type HttpMethod,
  type RequestSpec,
  type RawResponse,
  type HttpClientOptions,
} from './http';
export * from './schemas';
export {
  ServingEndpointsApi,
  toServedEntityInput,
  defaultPollBackoff,
  DEFAULT_WAIT_TIMEOUT_MS,
  type ServedEntityInput,
  type ServedModelInput,
  type RouteInput,
  type EndpointCoreConfigInput,
  type CreateServingEndpointInput,
  type QueryEndpointInput,
  type QueryResult,
  type EndpointMetrics,
  type WaitForEndpointOptions,
} from './serving';
export {
  UnityCatalogApi,
  type IncludeAliasesOptions,
  type PageOptions,
  type ListModelVersionsOptions,
  type ListRegisteredModelsOptions,
  type CreateCatalogInput,
} from './unity-catalog';
export { dataPlaneRoute, DataPlaneCredentials, type DataPlaneRoute } from './data-plane';
export { SharingApi, type GetShareOptions, type ListOptions } from './sharing';
export {
  parsePrometheusText,
  parseMetricValue,
  groupByLabel,
  findSamples,
  extractHistogram,
  histogramQuantile,
  PrometheusParseError,
  type MetricSample,
  type MetricFamilyInfo,
  type ParsedMetrics,
  type Histogram,
} from './metrics';
export {
  readMetricMinutes,
  toVersionAggregate,
  type EntityMinuteReading,
  type MetricMinuteReading,
} from './serving-metrics';
export { METRIC, LATENCY_QUANTILES, SERVED_ENTITY_LABEL, METRIC_MINUTE_MS } from './metric-names';
