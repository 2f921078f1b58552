/** Model Serving: /api/2.0/serving-endpoints/... and the data-plane /serving-endpoints/{name}/invocations. */
import { setTimeout as sleep } from 'node:timers/promises';
import { fallbackOrder, fallsBack, type Caller } from '../ai-gateway';
import { ApiError, notFound } from '../api-error';
import { DATA_PLANE_PREFIX, dataPlaneInvocationsUrl, routeOptimizedJson } from '../data-plane';
import type { EmulatorForRoutes } from './emulator-for-routes';
import type { RequestContext, Route } from '../http';
import { jsonBody, jsonObjectBody } from '../http';
import { decideAnswer, parseScoringInput, predict } from '../invocations';
import { EntityMinutes, renderMetrics } from '../metrics';
import type { EndpointRecord, EntityRecord } from '../serving';
import { endpointDetailedJson, endpointSummaryJson } from '../serving';
import type { Random } from '../random';
import type { PrincipalSpec } from '../world';

const API = '/api/2.0/serving-endpoints';

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  429: 'REQUEST_LIMIT_EXCEEDED',
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'TEMPORARILY_UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function errorCodeForStatus(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}

export function servingRoutes(emulator: EmulatorForRoutes): Route[] {
  const serving = (ctx: RequestContext) => emulator.workspace(ctx.region).serving;
  const detailed = (ctx: RequestContext, endpoint: EndpointRecord) => ({
    ...endpointDetailedJson(endpoint, emulator.auth.servingPermissionLevel(ctx.principal)),
    ...routeOptimizedJson(endpoint, emulator.workspace(ctx.region).url),
  });
  const servedEntity = (ctx: RequestContext) => {
    const endpoint = serving(ctx).get(ctx.params.name, ctx.now);
    const entity = [...(endpoint.config?.entities ?? []), ...(endpoint.pending?.config.entities ?? [])].find(
      (e) => e.name === ctx.params.served,
    );
    if (!entity) throw notFound(`Served model '${ctx.params.served}' does not exist in endpoint '${ctx.params.name}'.`);
    return { endpoint, entity };
  };

  return [
    {
      method: 'GET',
      pattern: API,
      scope: 'management',
      permission: 'serving:view',
      handler: (ctx) => ({ json: { endpoints: serving(ctx).list(ctx.now).map(endpointSummaryJson) } }),
    },
    {
      method: 'POST',
      pattern: API,
      scope: 'management',
      permission: 'serving:manage',
      handler: (ctx) => ({
        json: detailed(ctx, serving(ctx).create(jsonObjectBody(ctx), ctx.principal.name, ctx.now)),
      }),
    },
    {
      method: 'GET',
      pattern: `${API}/:name`,
      scope: 'management',
      permission: 'serving:view',
      handler: (ctx) => ({ json: detailed(ctx, serving(ctx).get(ctx.params.name, ctx.now)) }),
    },
    {
      method: 'DELETE',
      pattern: `${API}/:name`,
      scope: 'management',
      permission: 'serving:manage',
      handler: (ctx) => {
        serving(ctx).delete(ctx.params.name, ctx.now);
        return { json: {} };
      },
    },
    {
      method: 'PATCH',
      pattern: `${API}/:name/tags`,
      scope: 'management',
      permission: 'serving:manage',
      handler: (ctx) => ({
        json: { tags: serving(ctx).patchTags(ctx.params.name, jsonObjectBody(ctx), ctx.now).tags },
      }),
    },
    {
      method: 'PUT',
      pattern: `${API}/:name/config`,
      scope: 'management',
      permission: 'serving:manage',
      handler: (ctx) => ({
        json: detailed(ctx, serving(ctx).updateConfig(ctx.params.name, jsonBody(ctx), ctx.principal.name, ctx.now)),
      }),
    },
    {
      method: 'PUT',
      pattern: `${API}/:name/ai-gateway`,
      scope: 'management',
      permission: 'serving:manage',
      handler: (ctx) => ({ json: serving(ctx).putAiGateway(ctx.params.name, jsonBody(ctx), ctx.now) }),
    },
    {
      method: 'GET',
      pattern: `${API}/:name/metrics`,
      scope: 'management',
      permission: 'serving:view',
      handler: (ctx) => {
        const endpoint = serving(ctx).get(ctx.params.name, ctx.now);
        return {
          text: renderMetrics(
            endpoint.metrics,
            endpoint.config?.entities ?? [],
            emulator.metricClock.minute(ctx.now),
            emulator.world.metrics_export_minutes,
          ),
          contentType: 'text/plain; version=0.0.4; charset=utf-8',
        };
      },
    },
    {
      method: 'GET',
      pattern: `${API}/:name/served-models/:served/build-logs`,
      scope: 'management',
      permission: 'serving:view',
      handler: (ctx) => {
        const { endpoint, entity } = servedEntity(ctx);
        return {
          json: {
            logs: [
              `Building environment for ${entity.entityName} version ${entity.entityVersion}`,
              ...endpoint.buildLog,
            ].join('\n'),
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: `${API}/:name/served-models/:served/logs`,
      scope: 'management',
      permission: 'serving:view',
      handler: (ctx) => {
        const { endpoint, entity } = servedEntity(ctx);
        const metrics = endpoint.metrics.get(entity.name);
        return {
          json: {
            logs: `[${entity.name}] model server running; ${metrics?.totalRequests ?? 0} requests, ${
              metrics?.totalErrors ?? 0
            } errors`,
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/serving-endpoints/:name/invocations',
      scope: 'invocations',
      permission: 'serving:query',
      handler: (ctx) => invoke(emulator, ctx, undefined),
    },
    {
      method: 'POST',
      pattern: '/serving-endpoints/:name/served-models/:served/invocations',
      scope: 'invocations',
      permission: 'serving:query',
      handler: (ctx) => invoke(emulator, ctx, ctx.params.served),
    },
    // A route-optimized endpoint's data plane (src/emulator/data-plane.ts): authenticated by the handler, which takes
    // only OAuth tokens scoped to the endpoint.
    {
      method: 'POST',
      pattern: `${DATA_PLANE_PREFIX}/:id/serving-endpoints/:name/invocations`,
      scope: 'invocations',
      permission: null,
      handler: (ctx) => invokeDataPlane(emulator, ctx, undefined),
    },
    {
      method: 'POST',
      pattern: `${DATA_PLANE_PREFIX}/:id/serving-endpoints/:name/served-models/:served/invocations`,
      scope: 'invocations',
      permission: null,
      handler: (ctx) => invokeDataPlane(emulator, ctx, ctx.params.served),
    },
  ];
}

function invokeDataPlane(emulator: EmulatorForRoutes, ctx: RequestContext, servedName: string | undefined) {
  const endpoint = emulator.workspace(ctx.region).serving.endpoints.get(ctx.params.name);
  // The data-plane host of an endpoint that is not (or no longer) there, or not route-optimized, serves nothing.
  if (!endpoint || !endpoint.routeOptimized || endpoint.id !== ctx.params.id)
    throw notFound(`Route-optimized endpoint '${ctx.params.name}' does not exist at this data-plane URL.`);
  ctx.principal = emulator.auth.authenticateDataPlane(ctx.headers.authorization, ctx.region, endpoint.id, ctx.now);
  emulator.auth.authorize(ctx.principal, 'serving:query');
  return invoke(emulator, ctx, servedName, 'data-plane');
}

async function invoke(
  emulator: EmulatorForRoutes,
  ctx: RequestContext,
  servedName: string | undefined,
  via: 'workspace' | 'data-plane' = 'workspace',
) {
  const workspace = emulator.workspace(ctx.region);
  const endpoint = workspace.serving.get(ctx.params.name, ctx.now);
  if (endpoint.routeOptimized && via === 'workspace')
    throw new ApiError(
      400,
      'BAD_REQUEST',
      `Endpoint '${endpoint.name}' is route-optimized: it is not served at the workspace URL. Query it at its ` +
        `data-plane URL ${dataPlaneInvocationsUrl(workspace.url, endpoint)} with an OAuth token requested with ` +
        `its authorization_details (GET /api/2.0/serving-endpoints/${endpoint.name}: data_plane_info.query_info).`,
    );
  const config = endpoint.config;
  if (!config) {
    if (endpoint.pending)
      throw new ApiError(503, 'TEMPORARILY_UNAVAILABLE', `Endpoint '${endpoint.name}' is not ready yet.`, {
        'Retry-After': '1',
      });
    throw new ApiError(400, 'INVALID_STATE', `Endpoint '${endpoint.name}' is not ready: it serves no config.`);
  }
  const gateway = endpoint.aiGateway;
  // Gateway rate limits apply before any served entity sees the request: a throttled call is in no entity's metrics.
  endpoint.gatewayLimiter.take(gateway?.rate_limits, callerOf(ctx.principal), ctx.now);
  const rng = workspace.invocationRandom(endpoint.name);
  let first: number;
  if (servedName !== undefined) {
    // The per-served-model route ignores traffic_config, so a challenger at 0% can be queried directly.
    first = config.entities.findIndex((e) => e.name === servedName);
    if (first < 0) throw notFound(`Served model '${servedName}' does not exist in endpoint '${endpoint.name}'.`);
  } else {
    const index = rng.weightedIndex(config.routes.map((r) => r.percentage));
    first = config.entities.findIndex((e) => e.name === config.routes[index]?.entityName);
    if (first < 0) throw new ApiError(503, 'TEMPORARILY_UNAVAILABLE', `Endpoint '${endpoint.name}' routes no traffic.`);
  }
  // Fallbacks act on the endpoint's own route only: a request to one served model asks for that model's answer.
  const order = servedName === undefined ? fallbackOrder(first, config.entities.length) : [first];
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const entity = config.entities[order[attempt]];
    try {
      return await answer(emulator, ctx, endpoint, entity, rng, started);
    } catch (err) {
      // A fallback hides the failed attempt: only the answer the caller gets is counted, under the entity that gave it.
      const retried =
        err instanceof FailedAttempt && fallsBack(gateway, err.error.status) && attempt + 1 < order.length;
      if (retried) continue;
      if (err instanceof FailedAttempt) {
        err.record();
        throw err.error;
      }
      throw err;
    }
  }
}

/** An entity's error answer, not yet counted in its metrics: a fallback may try another entity instead. */
class FailedAttempt extends Error {
  constructor(
    readonly error: ApiError,
    readonly record: () => void,
  ) {
    super(error.message);
  }
}

async function answer(
  emulator: EmulatorForRoutes,
  ctx: RequestContext,
  endpoint: EndpointRecord,
  entity: EntityRecord,
  rng: Random,
  started: number,
) {
  let metrics = endpoint.metrics.get(entity.name);
  if (!metrics) endpoint.metrics.set(entity.name, (metrics = new EntityMinutes()));
  const header = { 'served-model-name': entity.name };
  let latency = 0;
  // Counted in the metric minute it is answered in.
  const record = (status: number) =>
    metrics.record(emulator.metricClock.minute(emulator.now()), status, performance.now() - started, latency);
  try {
    const rows = parseScoringInput(jsonBody(ctx));
    const behavior = entity.version.behavior;
    const adjustment = emulator.faults.versionAdjustment(
      ctx.region,
      entity.model.fullName,
      entity.version.version,
      ctx.now,
    );
    const decided = decideAnswer(behavior, adjustment, rng);
    latency = decided.latencyMs;
    const failed = decided.failed;
    await sleep(latency);
    if (failed)
      throw new ApiError(
        behavior.error_status,
        errorCodeForStatus(behavior.error_status),
        `Model ${entity.entityName} version ${entity.entityVersion} failed to score the request.`,
      );
    const predictions = predict(behavior, rows);
    record(200);
    return { json: { predictions }, headers: header };
  } catch (err) {
    if (err instanceof ApiError)
      throw new FailedAttempt(new ApiError(err.status, err.errorCode, err.message, { ...err.headers, ...header }), () =>
        record(err.status),
      );
    throw err;
  }
}

/** The caller as AI Gateway rate limits key it: a service principal by its application id, a user by name. */
function callerOf(principal: PrincipalSpec): Caller {
  return principal.client_id !== undefined
    ? { name: principal.client_id, kind: 'service_principal', groups: ['users'] }
    : { name: principal.name, kind: 'user', groups: ['users'] };
}
