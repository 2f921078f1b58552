/**
 * One process, one HTTP server per region's workspace. Each request passes, in order: route lookup, injected faults,
 * the simulated network round trip, rate limits, authentication and authorization, then its handler.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, badRequest, errorBody, throttled } from './api-error';
import { Authenticator } from './auth';
import { UnityCatalog, versionStatus } from './catalog';
import { FaultRegistry } from './faults';
import { compileRoutes, matchRoute, MAX_BODY_BYTES, type CompiledRoute, type RequestContext, type Reply } from './http';
import { predictor } from './invocations';
import { liveInputs, rateAt, simulateMinute, type LiveEntity } from './live-traffic';
import { EntityMinutes, KEEP_MINUTES, MetricClock } from './metrics';
import { METRIC_MINUTE_MS } from '../databricks/metric-names';
import { CLIENT_REGION_HEADER, NetworkModel } from './network';
import { hash32, Random } from './random';
import { adminRequestProblem } from './admin-guard';
import { adminRoutes } from './routes/admin';
import type { EmulatorForRoutes, WorkspaceForRoutes } from './routes/emulator-for-routes';
import { oauthRoutes } from './routes/oauth';
import { scimRoutes } from './routes/scim';
import { errorCodeForStatus, servingRoutes } from './routes/serving';
import { sharingRoutes } from './routes/sharing';
import { unityCatalogRoutes } from './routes/unity-catalog';
import { mlflowRegistryRoutes } from './routes/mlflow-registry';
import { filesRoutes } from './routes/files';
import { schemaRoutes } from './routes/uc-schemas';
import { routeOptimizedJson } from './data-plane';
import { endpointDetailedJson, ServingEndpoints, type EndpointRecord, type EntityRecord } from './serving';
import { WorldError, type RegionSpec, type World } from './world';

/** A token bucket: `rate` per second, holding at most `burst`. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class Workspace implements WorkspaceForRoutes {
  url = '';
  port = 0;
  server: Server | undefined;
  readonly sockets = new Set<Socket>();
  readonly workspaceId: number;
  readonly metastoreId: string;
  readonly serving: ServingEndpoints;
  private readonly managementLimit?: TokenBucket;
  private readonly invocationLimit?: TokenBucket;
  private readonly invocationStreams = new Map<string, Random>();

  constructor(
    readonly spec: RegionSpec,
    private readonly emulator: Emulator,
    metastoreId: string,
  ) {
    const world = emulator.world;
    this.workspaceId =
      spec.workspace_id ?? 1_000_000_000_000_000 + (hash32(`${world.seed}:ws:${spec.name}`) % 1e9) * 1000;
    this.metastoreId = metastoreId;
    this.serving = new ServingEndpoints({
      region: spec.name,
      seed: world.seed,
      updateDuration: spec.config_update_duration ?? world.defaults.config_update_duration,
      configUpdatesPerWindow: spec.rate_limits?.config_updates_per_5_minutes ?? 50,
      catalog: emulator.catalog,
      nextUpdateOverride: (endpoint) => {
        const fault = emulator.faults.forConfigUpdate(spec.name, endpoint, emulator.now());
        if (fault?.kind === 'fail_config_updates') return { outcome: 'fail', message: fault.message };
        if (fault?.kind === 'silent_revert') return { outcome: 'silent_revert' };
        return undefined;
      },
      onSettle: (endpoint, upTo, phase) => {
        const clock = emulator.metricClock;
        // Before a change: the minutes that started before it. Now: the minutes completed by now.
        const target =
          phase === 'before-change'
            ? Math.ceil(clock.at(upTo) / METRIC_MINUTE_MS)
            : Math.floor(clock.at(upTo) / METRIC_MINUTE_MS);
        this.advanceLive(endpoint, target);
      },
    });
    const limits = spec.rate_limits;
    const now = emulator.now();
    if (limits?.management_per_second)
      this.managementLimit = new TokenBucket(
        limits.management_per_second,
        limits.management_burst ?? Math.ceil(limits.management_per_second),
        now,
      );
    if (limits?.invocations_per_second)
      this.invocationLimit = new TokenBucket(
        limits.invocations_per_second,
        limits.invocations_burst ?? Math.ceil(limits.invocations_per_second),
        now,
      );
  }

  /** One random stream per endpoint, so traffic in one endpoint does not change draws in another. */
  invocationRandom(endpoint: string): Random {
    let stream = this.invocationStreams.get(endpoint);
    if (!stream) {
      stream = Random.stream(this.emulator.world.seed, `invocations:${this.spec.name}:${endpoint}`);
      this.invocationStreams.set(endpoint, stream);
    }
    return stream;
  }

  /**
   * Simulates the endpoint's live traffic for every metric minute before `untilMinute` not simulated yet, with the
   * config it serves now: the serving state calls this before a new config takes effect, so that each minute is
   * simulated with the config in effect when it started. Minutes too old to be kept are skipped.
   */
  advanceLive(endpoint: EndpointRecord, untilMinute: number) {
    const live = endpoint.live;
    if (!live || live.nextMinute >= untilMinute) return;
    const from = Math.max(live.nextMinute, untilMinute - KEEP_MINUTES);
    live.nextMinute = untilMinute;
    const config = endpoint.config;
    if (!config) return;
    const now = this.emulator.now();
    const liveEntity = (entity: EntityRecord, percent: number): LiveEntity => ({
      name: entity.name,
      percent,
      behavior: entity.version.behavior,
      adjustment: this.emulator.faults.versionAdjustment(
        this.spec.name,
        entity.model.fullName,
        entity.version.version,
        now,
      ),
    });
    // With AI Gateway fallbacks, users' failed requests move along the served entity list: simulate in its order.
    const fallback = endpoint.aiGateway?.fallback_config?.enabled === true;
    const entities: LiveEntity[] = fallback
      ? config.entities.map((e) => liveEntity(e, config.routes.find((r) => r.entityName === e.name)?.percentage ?? 0))
      : config.routes.flatMap((route) => {
          const entity = config.entities.find((e) => e.name === route.entityName);
          return entity ? [liveEntity(entity, route.percentage)] : [];
        });
    const inputs = liveInputs(live.spec);
    const start = this.emulator.metricClock.startedAt;
    for (let minute = from; minute < untilMinute; minute++) {
      const rps = rateAt(live.spec, minute * METRIC_MINUTE_MS - start);
      const outcomes = simulateMinute(entities, rps, minute, this.emulator.world.seed, {
        key: `${this.spec.name}:${endpoint.name}`,
        inputs,
        fallback,
      });
      for (const [name, outcome] of outcomes) {
        if (outcome.requests === 0) continue;
        let minutes = endpoint.metrics.get(name);
        if (!minutes) endpoint.metrics.set(name, (minutes = new EntityMinutes()));
        minutes.add(minute, outcome);
      }
    }
  }

  checkRateLimit(scope: 'management' | 'invocations', now: number) {
    const bucket = scope === 'management' ? this.managementLimit : this.invocationLimit;
    if (bucket && !bucket.take(now))
      throw throttled(
        scope === 'management'
          ? 'Too many requests to the workspace API. Please wait a moment and try again.'
          : 'The endpoint is receiving more requests than the workspace allows; retry later.',
        this.spec.rate_limits?.retry_after_seconds ?? 1,
      );
  }
}

export interface EmulatorOptions {
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** Called with one line per request (method, path, status, ms); never with tokens. */
  log?: (line: string) => void;
  /** When set, every admin API call must send it in X-Emulator-Admin-Token (src/emulator/admin-guard.ts). */
  adminToken?: string;
  /** Overrides the world's time_scale: how many times faster than real time metric minutes pass. */
  timeScale?: number;
}

export class Emulator implements EmulatorForRoutes {
  readonly catalog: UnityCatalog;
  readonly faults: FaultRegistry;
  readonly auth: Authenticator;
  readonly network: NetworkModel;
  readonly startedAt: number;
  readonly metricClock: MetricClock;
  private readonly workspaces = new Map<string, Workspace>();
  private readonly routes: CompiledRoute[];
  private requestCounter = 0;

  constructor(
    readonly world: World,
    private readonly options: EmulatorOptions = {},
  ) {
    this.startedAt = this.now();
    const timeScale = options.timeScale ?? world.time_scale;
    if (!(timeScale > 0 && Number.isFinite(timeScale)))
      throw new WorldError('(options)', [`timeScale: ${timeScale} is not a positive number; use e.g. 60`]);
    this.metricClock = new MetricClock(this.startedAt, timeScale);
    validateBehaviors(world);
    const ids = Random.stream(world.seed, 'metastores');
    const metastoreIds = new Map(world.regions.map((r) => [r.name, ids.uuid()]));
    this.catalog = new UnityCatalog(world, metastoreIds, this.startedAt);
    this.faults = new FaultRegistry(world.seed, {
      onAdd: (fault, now) => {
        if (fault.spec.kind === 'stall_replication') this.catalog.stallReplication(fault.spec.region, now);
      },
      onRemove: (fault, now) => {
        if (fault.spec.kind === 'stall_replication') this.catalog.resumeReplication(fault.spec.region, now);
      },
    });
    this.auth = new Authenticator(world);
    this.network = new NetworkModel(world);
    for (const spec of world.regions)
      this.workspaces.set(spec.name, new Workspace(spec, this, metastoreIds.get(spec.name)!));
    this.routes = compileRoutes([
      ...servingRoutes(this),
      ...unityCatalogRoutes(this),
      ...mlflowRegistryRoutes(this),
      ...filesRoutes(this),
      ...schemaRoutes(this),
      ...sharingRoutes(this),
      ...oauthRoutes(this),
      ...scimRoutes(this),
      ...adminRoutes(this),
    ]);
    this.seedEndpoints();
    for (const fault of world.faults) this.faults.add(fault, this.startedAt);
  }

  now(): number {
    return Date.now();
  }

  hasRegion(region: string): boolean {
    return this.workspaces.has(region);
  }

  workspace(region: string): Workspace {
    const workspace = this.workspaces.get(region);
    if (!workspace) throw new Error(`unknown region ${region}`);
    return workspace;
  }

  get regions(): string[] {
    return [...this.workspaces.keys()];
  }

  sampleRegistration(model: string): number {
    const count = this.catalog.models.get(model)?.versions.size ?? 0;
    return Random.stream(this.world.seed, `registration:${model}:${count}`).sample(
      this.world.defaults.registration_duration,
    );
  }

  /** Endpoints declared in the world start READY, serving their config as config_version 1. */
  private seedEndpoints() {
    for (const spec of this.world.regions) {
      const workspace = this.workspace(spec.name);
      spec.endpoints.forEach((endpoint, index) => {
        try {
          workspace.serving.create(
            {
              name: endpoint.name,
              route_optimized: endpoint.route_optimized,
              config: { served_entities: endpoint.served_entities, traffic_config: endpoint.traffic_config },
              ai_gateway: endpoint.ai_gateway,
              tags: endpoint.tags,
              budget_policy_id: endpoint.budget_policy_id,
              email_notifications: endpoint.email_notifications,
              telemetry_config: endpoint.telemetry_config,
            },
            'admins',
            this.startedAt,
            { updateDuration: endpoint.config_update_duration, immediate: true },
          );
          // Its users have been calling it already: the minute in progress at the start is simulated whole.
          if (endpoint.live_traffic)
            workspace.serving.endpoints.get(endpoint.name)!.live = {
              spec: endpoint.live_traffic,
              nextMinute: this.metricClock.minute(this.startedAt),
            };
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          const regionIndex = this.world.regions.indexOf(spec);
          throw new WorldError('(world)', [`regions[${regionIndex}].endpoints[${index}]: ${err.message}`]);
        }
      });
    }
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    for (const workspace of this.workspaces.values()) {
      const server = createServer((req, res) => void this.handle(workspace, req, res));
      server.on('connection', (socket) => {
        workspace.sockets.add(socket);
        socket.on('close', () => workspace.sockets.delete(socket));
      });
      server.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            err.code === 'EADDRINUSE'
              ? new Error(
                  `port ${workspace.spec.port} for region ${workspace.spec.name} is in use; pick another in the world file`,
                )
              : err,
          ),
        );
        server.listen(workspace.spec.port, host, () => resolve());
      });
      const address = server.address();
      workspace.port = typeof address === 'object' && address ? address.port : workspace.spec.port;
      workspace.url = `http://${host.includes(':') ? `[${host}]` : host}:${workspace.port}`;
      workspace.server = server;
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.workspaces.values()].map(async (workspace) => {
        if (!workspace.server) return;
        const server = workspace.server;
        workspace.server = undefined;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of workspace.sockets) socket.destroy();
        await closed;
      }),
    );
  }

  private async handle(workspace: Workspace, req: IncomingMessage, res: ServerResponse) {
    const region = workspace.spec.name;
    const requestId = Random.stream(this.world.seed, `req:${region}:${++this.requestCounter}`).uuid();
    const started = performance.now();
    let status = 200;
    try {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const method = (req.method ?? 'GET').toUpperCase();
      const match = matchRoute(this.routes, method, url.pathname);
      if (!match.route) {
        req.resume();
        throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API found for '${method} ${url.pathname}'`);
      }
      const route = match.route;
      if (route.scope === 'admin') {
        const problem = adminRequestProblem(req.headers, method, this.options.adminToken);
        if (problem) {
          req.resume();
          throw new ApiError(403, 'PERMISSION_DENIED', problem);
        }
      } else {
        const scope = route.scope === 'invocations' ? 'invocations' : 'management';
        const fault = this.faults.forRequest(region, scope, this.now());
        if (fault?.kind === 'drop_connections') {
          status = 0;
          req.socket.destroy();
          return;
        }
        if (fault?.kind === 'hang_connections') {
          status = 0;
          req.resume();
          return; // never answered; the socket closes when the client gives up or the emulator stops
        }
        if (fault?.kind === 'storm') {
          req.resume();
          const headers: Record<string, string> =
            fault.status === 429 || fault.status === 503 ? { 'Retry-After': String(fault.retry_after_seconds) } : {};
          throw new ApiError(
            fault.status,
            errorCodeForStatus(fault.status),
            fault.status === 429
              ? 'Too many requests. Please wait a moment and try again.'
              : 'The service is temporarily unavailable. Please try again later.',
            headers,
          );
        }
        const clientRegion = req.headers[CLIENT_REGION_HEADER];
        if (typeof clientRegion === 'string') {
          if (!this.network.isRegion(clientRegion))
            throw badRequest(
              `${CLIENT_REGION_HEADER}: unknown region '${clientRegion}'; use one of ${this.regions.join(', ')}.`,
            );
          await sleep(this.network.sampleRttMs(clientRegion, region));
        }
        if (route.scope !== 'oauth') workspace.checkRateLimit(scope, this.now());
      }
      const rawBody = await readBody(req);
      const ctx: RequestContext = {
        region,
        method,
        path: url.pathname,
        params: match.params,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        now: this.now(),
        requestId,
        principal: undefined as never,
      };
      if (route.permission !== null) {
        ctx.principal = this.auth.authenticate(req.headers.authorization, region, ctx.now);
        this.auth.authorize(ctx.principal, route.permission);
      }
      const reply = await route.handler(ctx);
      status = reply.status ?? 200;
      send(res, status, reply, requestId);
    } catch (err) {
      const error =
        err instanceof ApiError ? err : new ApiError(500, 'INTERNAL_ERROR', 'The emulator hit an unexpected error.');
      if (!(err instanceof ApiError)) this.options.log?.(`[${region}] internal error: ${(err as Error).stack}`);
      status = error.status;
      send(res, error.status, { json: errorBody(error, requestId), headers: error.headers }, requestId);
    } finally {
      this.options.log?.(
        `[${region}] ${req.method} ${(req.url ?? '').split('?')[0]} ${status || 'dropped'} ${Math.round(performance.now() - started)}ms`,
      );
    }
  }

  /** Everything the emulator holds, for tests and invariant checks (GET /__emulator/state). */
  snapshot(now: number) {
    return {
      now,
      seed: this.world.seed,
      primary: this.world.primary,
      regions: Object.fromEntries(
        [...this.workspaces.values()].map((workspace) => {
          const replication = this.catalog.replication.get(workspace.spec.name)!;
          const endpoints = workspace.serving.list(now);
          return [
            workspace.spec.name,
            {
              url: workspace.url,
              workspace_id: workspace.workspaceId,
              replication: {
                stalled: replication.stalledSince !== undefined,
                visible_at: Object.fromEntries(replication.visibleAt),
              },
              endpoints: endpoints.map((e) => ({
                ...endpointDetailedJson(e, 'CAN_MANAGE'),
                ...routeOptimizedJson(e, workspace.url),
              })),
              update_log: Object.fromEntries(endpoints.map((e) => [e.name, e.updateLog])),
            },
          ];
        }),
      ),
      models: [...this.catalog.models.values()].map((model) => ({
        full_name: model.fullName,
        aliases: Object.fromEntries(model.aliases),
        versions: [...model.versions.values()].map((v) => ({ version: v.version, status: versionStatus(v, now) })),
      })),
      faults: this.faults.list(now),
    };
  }
}

const payloadTooLarge = () =>
  new ApiError(
    413,
    'REQUEST_ENTITY_TOO_LARGE',
    `The request body is larger than the ${MAX_BODY_BYTES / 1024 / 1024} MB payload limit; send at most ${MAX_BODY_BYTES} bytes (split a scoring batch into smaller requests).`,
  );

/**
 * Reads the body up to the payload limit. A declared Content-Length over it is refused before reading; a chunked body
 * is refused as soon as it passes the limit. The rest is drained, not kept, so that the 413 reaches the client.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(payloadTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        over = true;
        chunks.length = 0;
        reject(payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, reply: Reply, requestId: string) {
  if (res.headersSent || res.destroyed) return;
  const body = reply.bytes ?? reply.text ?? JSON.stringify(reply.json ?? {});
  res.writeHead(status, {
    'Content-Type':
      reply.contentType ??
      (reply.bytes !== undefined
        ? 'application/octet-stream'
        : reply.text !== undefined
          ? 'text/plain; charset=utf-8'
          : 'application/json'),
    'Content-Length': Buffer.byteLength(body),
    'x-request-id': requestId,
    ...reply.headers,
  });
  res.end(body);
}

/** Compiles every prediction formula up front, so a typo fails at start-up with its path, not at the first query. */
function validateBehaviors(world: World) {
  const problems: string[] = [];
  for (const [name, behavior] of Object.entries(world.behaviors)) {
    try {
      predictor(behavior);
    } catch (err) {
      problems.push(`behaviors.${name}.prediction: ${(err as Error).message}`);
    }
  }
  world.models.forEach((model, m) =>
    model.versions.forEach((version, v) => {
      if (typeof version.behavior === 'string') return;
      try {
        predictor(version.behavior);
      } catch (err) {
        problems.push(`models[${m}].versions[${v}].behavior.prediction: ${(err as Error).message}`);
      }
    }),
  );
  if (problems.length) throw new WorldError('(world)', problems);
}
