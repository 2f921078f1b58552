/**
 * Model Serving endpoints (API 2.0) and invocations, docs/databricks-api.md §1.
 */
import { z } from 'zod';
import { abortReason, raceAbort } from './auth';
import { dataPlaneCapable, DataPlaneCredentials, dataPlaneRoute, servedModelUrl } from './data-plane';
import {
  DatabricksApiError,
  DatabricksError,
  DatabricksResponseError,
  DatabricksTimeoutError,
  EndpointUpdateFailedError,
} from './errors';
import { apiPath, parseJsonBody, type CallOptions, type HttpClient } from './http';
import { parsePrometheusText, PrometheusParseError, type MetricSample, type ParsedMetrics } from './metrics';
import { readMetricMinutes, type MetricMinuteReading } from './serving-metrics';
import type { ServedEntity } from '../shared/types';
import {
  listEndpointsResponseSchema,
  logsResponseSchema,
  queryResponseSchema,
  servingEndpointDetailedSchema,
  tagsResponseSchema,
  type EndpointTag,
  type ServedEntityOutput,
  type ServingEndpointDetailed,
  type ServingEndpointSummary,
} from './schemas';

// --- request shapes -----------------------------------------------------------------------------------------------

/** Every field optional (the API fills defaults); the fields are the rollout's own served entity's (shared/types.ts). */
export type ServedEntityInput = Partial<ServedEntity> & { external_model?: Record<string, unknown> };

/** Legacy form; `scale_to_zero_enabled` is required by the API. */
export interface ServedModelInput {
  name?: string;
  model_name: string;
  model_version: string;
  scale_to_zero_enabled: boolean;
  workload_size?: string;
  workload_type?: string;
  environment_vars?: Record<string, string>;
  instance_profile_arn?: string;
}

export interface RouteInput {
  served_entity_name?: string;
  served_model_name?: string;
  traffic_percentage: number;
}

/** Body of `PUT .../config`: it REPLACES the whole config (the entity list you send is the new list). */
export interface EndpointCoreConfigInput {
  served_entities?: ServedEntityInput[];
  served_models?: ServedModelInput[];
  traffic_config?: { routes: RouteInput[] };
  auto_capture_config?: Record<string, unknown>;
}

export interface CreateServingEndpointInput {
  name: string;
  config?: EndpointCoreConfigInput;
  description?: string;
  route_optimized?: boolean;
  tags?: EndpointTag[];
  budget_policy_id?: string;
  ai_gateway?: Record<string, unknown>;
  email_notifications?: Record<string, unknown>;
  telemetry_config?: Record<string, unknown>;
}

/** Invocation body: one of the custom-model input formats, or the LLM fields; other keys are passed through. */
export interface QueryEndpointInput {
  dataframe_split?: { columns?: string[]; data: unknown[][]; index?: number[] };
  dataframe_records?: Array<Record<string, unknown>>;
  instances?: unknown[];
  inputs?: unknown;
  params?: Record<string, unknown>;
  messages?: Array<{ role: string; content: string }>;
  prompt?: unknown;
  input?: unknown;
  max_tokens?: number;
  temperature?: number;
  client_request_id?: string;
  [key: string]: unknown;
}

// --- result shapes ------------------------------------------------------------------------------------------------

export interface QueryResult {
  /** `predictions` of the answer (custom models); undefined for answers without it (LLM `choices`, `outputs`). */
  predictions: unknown;
  /** The `served-model-name` response header: which served entity answered. */
  servedModelName?: string;
  /** Client-side round trip in ms (request sent → body read). */
  latencyMs: number;
  /** The whole JSON answer. */
  raw: Record<string, unknown>;
}

export interface EndpointMetrics {
  /** The exposition text as returned. */
  raw: string;
  samples: MetricSample[];
  families: ParsedMetrics['families'];
}

export interface WaitForEndpointOptions {
  /** Overall deadline (default 20 minutes, like the Go/Python SDK waiters). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called after every GET, e.g. to heartbeat. */
  onPoll?: (endpoint: ServingEndpointDetailed, attempt: number) => void;
  /** Delay before poll `attempt + 1` (attempt starts at 1). Default: min(attempt, 10)s + 50-750ms jitter. */
  backoff?: (attempt: number) => number;
  /** Per-GET timeout (defaults to the client's, capped by the remaining time). */
  requestTimeoutMs?: number;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 20 * 60_000;

export function defaultPollBackoff(attempt: number): number {
  return Math.min(attempt, 10) * 1000 + 50 + Math.floor(Math.random() * 700);
}

/** Converts a served entity of a GET answer into input form, e.g. to build the next config from the current one. */
export function toServedEntityInput(entity: ServedEntityOutput): ServedEntityInput {
  const {
    state: _state,
    creator: _creator,
    creation_timestamp: _created,
    foundation_model: _foundation,
    ...input
  } = entity;
  return input;
}

/** How long what GET said about an endpoint's invocation route is trusted (route_optimized is set at creation). */
export const INVOCATION_ROUTE_TTL_MS = 5 * 60_000;

/** Where an endpoint's invocations go: the workspace, or a route-optimized endpoint's data plane. */
type InvocationRoute =
  | { kind: 'workspace' }
  | { kind: 'data-plane'; http: HttpClient; invocationsUrl: string; credentials: DataPlaneCredentials }
  /** Route-optimized, but not queryable with these credentials or this GET answer: invocations throw `error`. */
  | { kind: 'refused'; error: DatabricksError };

export class ServingEndpointsApi {
  readonly #routes = new Map<string, { route: InvocationRoute; until: number }>();
  /** GETs under way to learn a route: concurrent first invocations (a load test's start) share one. */
  readonly #learning = new Map<string, Promise<InvocationRoute>>();
  /** One per authorization_details, so each endpoint's scoped token is reused across GETs. */
  readonly #dataPlanes = new Map<string, { http: HttpClient; credentials: DataPlaneCredentials }>();

  /** `workspace` names the workspace in errors (the profile and host). */
  constructor(
    private readonly http: HttpClient,
    private readonly workspace: string = http.host,
  ) {}

  /** `GET /api/2.0/serving-endpoints` (summary form: entity names/versions, state). */
  async listEndpoints(options: CallOptions = {}): Promise<ServingEndpointSummary[]> {
    const body = await this.http.json(
      { method: 'GET', path: '/api/2.0/serving-endpoints', ...options },
      listEndpointsResponseSchema,
    );
    return body.endpoints;
  }

  /** Also learns where the endpoint's invocations go (its data plane if it is route-optimized). */
  async getEndpoint(name: string, options: CallOptions = {}): Promise<ServingEndpointDetailed> {
    const endpoint = await this.http.json(
      { method: 'GET', path: apiPath`/api/2.0/serving-endpoints/${name}`, ...options },
      servingEndpointDetailedSchema,
    );
    this.#learnRoute(name, endpoint);
    return endpoint;
  }

  /**
   * Makes sure invocations of `endpoint` can be sent: reads where they go (GET, unless known), and for a
   * route-optimized endpoint checks the credentials are OAuth and obtains its data-plane token. Load tests and probe
   * rounds call it first, so that a configuration or permission problem fails the activity instead of being counted
   * as the endpoint's errors.
   */
  async prepareInvocations(endpoint: string, options: CallOptions = {}): Promise<'workspace' | 'data-plane'> {
    const route = await this.#route(endpoint, options);
    if (route.kind === 'refused') throw route.error;
    if (route.kind === 'data-plane') await route.credentials.authorize(options.signal);
    return route.kind;
  }

  /** Never throws: management calls on a route-optimized endpoint work with any credentials; invocations may not. */
  #learnRoute(name: string, endpoint: ServingEndpointDetailed): InvocationRoute {
    let route: InvocationRoute;
    try {
      route = this.#routeOf(name, endpoint);
    } catch (err) {
      if (!(err instanceof DatabricksError)) throw err;
      route = { kind: 'refused', error: err };
    }
    // A refusal is not kept: the next invocation reads GET again (the data-plane info may appear, the config change).
    this.#routes.set(name, { route, until: route.kind === 'refused' ? 0 : Date.now() + INVOCATION_ROUTE_TTL_MS });
    return route;
  }

  #routeOf(name: string, endpoint: ServingEndpointDetailed): InvocationRoute {
    const found = dataPlaneRoute(endpoint);
    let route: InvocationRoute = { kind: 'workspace' };
    if (found) {
      let plane = this.#dataPlanes.get(found.authorizationDetails);
      if (!plane) {
        const credentials = new DataPlaneCredentials(
          dataPlaneCapable(this.http.credentials, name, this.workspace),
          found.authorizationDetails,
        );
        plane = { http: this.http.withHost(new URL(found.invocationsUrl).origin, credentials), credentials };
        this.#dataPlanes.set(found.authorizationDetails, plane);
      }
      route = { kind: 'data-plane', invocationsUrl: found.invocationsUrl, ...plane };
    }
    return route;
  }

  async #route(name: string, options: CallOptions): Promise<InvocationRoute> {
    const known = this.#routes.get(name);
    if (known && Date.now() < known.until) return known.route;
    let learning = this.#learning.get(name);
    if (!learning) {
      // Not tied to one caller's signal: other callers share it.
      learning = this.http
        .json({ method: 'GET', path: apiPath`/api/2.0/serving-endpoints/${name}` }, servingEndpointDetailedSchema)
        .then((endpoint) => this.#learnRoute(name, endpoint))
        .finally(() => this.#learning.delete(name));
      this.#learning.set(name, learning);
    }
    return raceAbort(learning, options.signal);
  }

  /** Does not wait: use `waitForEndpointNotUpdating` (or your own poll loop) for the config to be served. */
  async createEndpoint(input: CreateServingEndpointInput, options: CallOptions = {}): Promise<ServingEndpointDetailed> {
    return this.http.json(
      { method: 'POST', path: '/api/2.0/serving-endpoints', body: input, ...options },
      servingEndpointDetailedSchema,
    );
  }

  async deleteEndpoint(name: string, options: CallOptions = {}): Promise<void> {
    await this.http.empty({ method: 'DELETE', path: apiPath`/api/2.0/serving-endpoints/${name}`, ...options });
  }

  /** `PUT .../config`: REPLACES the config. Returns at once with config_update IN_PROGRESS. */
  async updateEndpointConfig(
    name: string,
    config: EndpointCoreConfigInput,
    options: CallOptions = {},
  ): Promise<ServingEndpointDetailed> {
    return this.http.json(
      { method: 'PUT', path: apiPath`/api/2.0/serving-endpoints/${name}/config`, body: config, ...options },
      servingEndpointDetailedSchema,
    );
  }

  /** `PATCH .../tags`: adds/overwrites and deletes tags; returns all tags. */
  async updateEndpointTags(
    name: string,
    changes: { add_tags?: EndpointTag[]; delete_tags?: string[] },
    options: CallOptions = {},
  ): Promise<EndpointTag[]> {
    const body = await this.http.json(
      { method: 'PATCH', path: apiPath`/api/2.0/serving-endpoints/${name}/tags`, body: changes, ...options },
      tagsResponseSchema,
    );
    return body.tags;
  }

  /** `POST /serving-endpoints/{name}/invocations` (traffic split applies). */
  async query(endpoint: string, body: QueryEndpointInput, options: CallOptions = {}): Promise<QueryResult> {
    return this.invoke(endpoint, undefined, body, options);
  }

  /** `POST /serving-endpoints/{name}/served-models/{served_model_name}/invocations`: one served entity directly. */
  async queryServedModel(
    endpoint: string,
    servedModelName: string,
    body: QueryEndpointInput,
    options: CallOptions = {},
  ): Promise<QueryResult> {
    return this.invoke(endpoint, servedModelName, body, options);
  }

  /**
   * At the workspace URL, or at a route-optimized endpoint's data-plane URL (read from GET the first time) with its
   * scoped OAuth token. A 404 from the data plane forgets the route (the endpoint may have been re-created).
   */
  private async invoke(
    endpoint: string,
    servedModel: string | undefined,
    body: QueryEndpointInput,
    options: CallOptions,
  ): Promise<QueryResult> {
    const route = await this.#route(endpoint, options);
    if (route.kind === 'refused') throw route.error;
    let http = this.http;
    let path =
      servedModel === undefined
        ? apiPath`/serving-endpoints/${endpoint}/invocations`
        : apiPath`/serving-endpoints/${endpoint}/served-models/${servedModel}/invocations`;
    if (route.kind === 'data-plane') {
      http = route.http;
      const url = new URL(
        servedModel === undefined ? route.invocationsUrl : servedModelUrl(route.invocationsUrl, servedModel),
      );
      path = `${url.pathname}${url.search}`;
    }
    const spec = { method: 'POST' as const, path, body, ...options };
    let response;
    try {
      response = await http.request(spec);
    } catch (err) {
      if (route.kind === 'data-plane' && err instanceof DatabricksApiError && err.status === 404)
        this.#routes.delete(endpoint);
      throw err;
    }
    const raw = parseJsonBody(spec, response, queryResponseSchema);
    return {
      predictions: raw.predictions,
      servedModelName: response.headers.get('served-model-name') ?? undefined,
      latencyMs: response.latencyMs,
      raw,
    };
  }

  /** `GET .../metrics` with `Accept: text/plain`: the exposition text and its samples. */
  async getMetrics(endpoint: string, options: CallOptions = {}): Promise<EndpointMetrics> {
    const spec = {
      method: 'GET' as const,
      path: apiPath`/api/2.0/serving-endpoints/${endpoint}/metrics`,
      accept: 'text' as const,
      ...options,
    };
    const response = await this.http.request(spec);
    let raw = response.text;
    // The docs page shows the answer as {"contents": "..."}; accept that form too.
    if (raw.trimStart().startsWith('{')) {
      raw = parseJsonBody(spec, response, z.object({ contents: z.string() })).contents;
    }
    try {
      const parsed = parsePrometheusText(raw);
      return { raw, samples: parsed.samples, families: parsed.families };
    } catch (err) {
      if (err instanceof PrometheusParseError) {
        throw new DatabricksResponseError(spec.method, spec.path, response.status, [err.message]);
      }
      throw err;
    }
  }

  /**
   * The metrics export as per-minute readings per served entity (serving-metrics.ts), oldest first: normally one,
   * the last completed minute. Samples without a timestamp are attributed to the minute completed before now.
   */
  async getMetricMinutes(endpoint: string, options: CallOptions = {}): Promise<MetricMinuteReading[]> {
    return readMetricMinutes((await this.getMetrics(endpoint, options)).samples, Date.now());
  }

  /** Container build logs of a served entity. */
  async getBuildLogs(endpoint: string, servedModelName: string, options: CallOptions = {}): Promise<string> {
    const body = await this.http.json(
      {
        method: 'GET',
        path: apiPath`/api/2.0/serving-endpoints/${endpoint}/served-models/${servedModelName}/build-logs`,
        ...options,
      },
      logsResponseSchema,
    );
    return body.logs;
  }

  /** Most recent model-server log lines of a served entity. */
  async getLogs(endpoint: string, servedModelName: string, options: CallOptions = {}): Promise<string> {
    const body = await this.http.json(
      {
        method: 'GET',
        path: apiPath`/api/2.0/serving-endpoints/${endpoint}/served-models/${servedModelName}/logs`,
        ...options,
      },
      logsResponseSchema,
    );
    return body.logs;
  }

  /**
   * Polls GET until `state.config_update` is NOT_UPDATING (returns the endpoint), like the SDK waiter (§1.6).
   * Throws `EndpointUpdateFailedError` on UPDATE_FAILED / UPDATE_CANCELED, `DatabricksTimeoutError` when the overall
   * deadline passes, the signal's reason when aborted, and any error of a GET as is (no retry inside: the caller's
   * retry policy decides).
   */
  async waitForEndpointNotUpdating(
    name: string,
    options: WaitForEndpointOptions = {},
  ): Promise<ServingEndpointDetailed> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    const backoff = options.backoff ?? defaultPollBackoff;
    const deadline = Date.now() + timeoutMs;
    const operation = `waiting for serving endpoint ${name} to reach NOT_UPDATING`;
    let lastState = 'unknown';
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new DatabricksTimeoutError(operation, timeoutMs, `last config_update: ${lastState}`);
      const requestTimeoutMs = Math.min(options.requestTimeoutMs ?? this.http.timeoutMs, remaining);
      let endpoint: ServingEndpointDetailed;
      try {
        endpoint = await this.getEndpoint(name, { signal: options.signal, timeoutMs: requestTimeoutMs });
      } catch (err) {
        // A GET cut short by the overall deadline is the waiter's timeout, not the GET's.
        if (err instanceof DatabricksTimeoutError && Date.now() >= deadline) {
          throw new DatabricksTimeoutError(operation, timeoutMs, `last config_update: ${lastState}`);
        }
        throw err;
      }
      lastState = endpoint.state.config_update;
      options.onPoll?.(endpoint, attempt);
      switch (endpoint.state.config_update) {
        case 'NOT_UPDATING':
          return endpoint;
        case 'UPDATE_FAILED':
        case 'UPDATE_CANCELED':
          throw new EndpointUpdateFailedError(name, endpoint.state.config_update, endpoint);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new DatabricksTimeoutError(operation, timeoutMs, `last config_update: ${lastState}`);
      await sleep(Math.min(Math.max(0, backoff(attempt)), left), options.signal);
    }
  }
}

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
