/**
 * Model Serving endpoints (API 2.0) and invocations, docs/databricks-api.md §1.
 */
import { z } from 'zod';
import { abortReason } from './auth';
import { DatabricksResponseError, DatabricksTimeoutError, EndpointUpdateFailedError } from './errors';
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

export class ServingEndpointsApi {
  constructor(private readonly http: HttpClient) {}

  /** `GET /api/2.0/serving-endpoints` (summary form: entity names/versions, state). */
  async listEndpoints(options: CallOptions = {}): Promise<ServingEndpointSummary[]> {
    const body = await this.http.json(
      { method: 'GET', path: '/api/2.0/serving-endpoints', ...options },
      listEndpointsResponseSchema,
    );
    return body.endpoints;
  }

  async getEndpoint(name: string, options: CallOptions = {}): Promise<ServingEndpointDetailed> {
    return this.http.json(
      { method: 'GET', path: apiPath`/api/2.0/serving-endpoints/${name}`, ...options },
      servingEndpointDetailedSchema,
    );
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
    return this.invoke(apiPath`/serving-endpoints/${endpoint}/invocations`, body, options);
  }

  /** `POST /serving-endpoints/{name}/served-models/{served_model_name}/invocations`: one served entity directly. */
  async queryServedModel(
    endpoint: string,
    servedModelName: string,
    body: QueryEndpointInput,
    options: CallOptions = {},
  ): Promise<QueryResult> {
    return this.invoke(
      apiPath`/serving-endpoints/${endpoint}/served-models/${servedModelName}/invocations`,
      body,
      options,
    );
  }

  private async invoke(path: string, body: QueryEndpointInput, options: CallOptions): Promise<QueryResult> {
    const spec = { method: 'POST' as const, path, body, ...options };
    const response = await this.http.request(spec);
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
