/**
 * Model Serving endpoints and their config-update state machine.
 *
 * PUT .../config stores a pending config (state.config_update IN_PROGRESS) that settles after the configured update
 * time: on success it becomes the served `config` with config_version + 1; on failure the endpoint reports
 * UPDATE_FAILED and keeps serving its previous config. State is settled lazily on every read, so there are no timers.
 */
import { parseAiGateway, GatewayRateLimiter, type AiGatewayConfig } from './ai-gateway';
import { alreadyExists, badRequest, conflict, notFound, throttled } from './api-error';
import type { UnityCatalog, ModelRecord, VersionRecord } from './catalog';
import {
  parseComputeFields,
  parseEndpointSettings,
  sameComputeFields,
  type ComputeFields,
  type EndpointSettings,
} from './entity-fields';
import type { EntityMinutes } from './metrics';
import { Random } from './random';
import { ENDPOINT_NAME } from './world';
import type { Distribution, LiveTrafficSpec } from './world';

const WORKLOAD_SIZES = new Set(['Small', 'Medium', 'Large']);
const WORKLOAD_TYPES = new Set([
  'CPU',
  'CPU_LARGE',
  'CPU_MEDIUM',
  'GPU_SMALL',
  'GPU_MEDIUM',
  'GPU_LARGE',
  'GPU_XLARGE',
  'GPU_XLARGE_8',
  'MULTIGPU_MEDIUM',
]);
const MAX_SERVED_ENTITIES = 10;
/** Databricks documents 50 create/update operations per 5 minutes per workspace. */
const CONFIG_UPDATE_WINDOW_MS = 5 * 60 * 1000;

export type DeploymentState = 'DEPLOYMENT_CREATING' | 'DEPLOYMENT_READY' | 'DEPLOYMENT_FAILED';

export interface EntityRecord {
  name: string;
  entityName: string;
  entityVersion: string;
  /** Absent when the entity sets min/max_provisioned_concurrency or provisioned_model_units instead. */
  workloadSize: string | undefined;
  workloadType: string;
  scaleToZeroEnabled: boolean;
  /** The other compute fields, as written (src/emulator/entity-fields.ts). */
  compute: ComputeFields;
  creator: string;
  createdAt: number;
  model: ModelRecord;
  version: VersionRecord;
  deployment: DeploymentState;
  deploymentMessage: string;
}

export interface RouteRecord {
  entityName: string;
  percentage: number;
}

export interface ConfigRecord {
  /** Whether the caller used the legacy served_models form (echoed back in the same form). */
  legacy: boolean;
  entities: EntityRecord[];
  routes: RouteRecord[];
  configVersion: number;
}

interface PendingUpdate {
  config: ConfigRecord;
  startTime: number;
  completesAt: number;
  outcome: 'apply' | 'fail' | 'silent_revert';
  failure?: string;
}

export interface EndpointRecord {
  name: string;
  id: string;
  creator: string;
  createdAt: number;
  updatedAt: number;
  description: string;
  tags: { key: string; value?: string }[];
  /** AI Gateway (src/emulator/ai-gateway.ts): undefined until set on create or by PUT .../ai-gateway. */
  aiGateway?: AiGatewayConfig;
  gatewayLimiter: GatewayRateLimiter;
  /** budget_policy_id, email_notifications, telemetry_config: stored and returned as written. */
  settings: EndpointSettings;
  /** Set at creation, never changed: queried at its data-plane URL only (src/emulator/data-plane.ts). */
  routeOptimized: boolean;
  config?: ConfigRecord;
  pending?: PendingUpdate;
  lastUpdateFailed: boolean;
  updateDuration?: Distribution;
  /** Per served entity, the metric minutes of its answers (src/emulator/metrics.ts). */
  metrics: Map<string, EntityMinutes>;
  /** Simulated users (world endpoints with live_traffic): the spec, and the first metric minute not yet simulated. */
  live?: { spec: LiveTrafficSpec; nextMinute: number };
  buildLog: string[];
  /** Every config update accepted through the API, in order, with its outcome (GET /__emulator/state). */
  updateLog: ConfigUpdateLogEntry[];
}

/** One accepted PUT .../config: who asked, what it asked for, and how it ended. */
export interface ConfigUpdateLogEntry {
  seq: number;
  config_version: number;
  requested_by: string;
  requested_at: string;
  served_entities: ({
    name: string;
    entity_name: string;
    entity_version: string;
    workload_size?: string;
    workload_type: string;
    scale_to_zero_enabled: boolean;
  } & ComputeFields)[];
  routes: { served_entity_name: string; traffic_percentage: number }[];
  outcome: 'in-progress' | 'applied' | 'failed' | 'reverted';
  settled_at?: string;
}

/** What a fault hook says about the next config update of an endpoint. */
export type UpdateOutcomeOverride = { outcome: 'fail'; message?: string } | { outcome: 'silent_revert' } | undefined;

export interface ServingOptions {
  region: string;
  seed: number;
  updateDuration: Distribution;
  configUpdatesPerWindow: number;
  catalog: UnityCatalog;
  /** Consulted once per config update (fail_config_updates, silent_revert faults). */
  nextUpdateOverride: (endpoint: string) => UpdateOutcomeOverride;
  /**
   * Called as an endpoint is settled, with the real time up to which its state is now known: first with the moment a
   * finished update takes effect (before it is applied, so what passed until then is seen with the old config), then
   * with `now`. Live traffic advances on it.
   */
  onSettle?: (endpoint: EndpointRecord, upTo: number, phase: 'before-change' | 'now') => void;
}

export class ServingEndpoints {
  readonly endpoints = new Map<string, EndpointRecord>();
  private readonly ids: Random;
  private readonly recentUpdates: number[] = [];

  constructor(private readonly options: ServingOptions) {
    this.ids = Random.stream(options.seed, `endpoint-ids:${options.region}`);
  }

  get(name: string, now: number): EndpointRecord {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) throw notFound(`Endpoint with name '${name}' does not exist.`);
    this.settle(endpoint, now);
    return endpoint;
  }

  list(now: number): EndpointRecord[] {
    return [...this.endpoints.values()].map((endpoint) => {
      this.settle(endpoint, now);
      return endpoint;
    });
  }

  create(
    body: Record<string, unknown>,
    creator: string,
    now: number,
    extra: { updateDuration?: Distribution; immediate?: boolean } = {},
  ): EndpointRecord {
    const name = body.name;
    if (typeof name !== 'string' || !ENDPOINT_NAME.test(name))
      throw badRequest(
        "'name' must be 1-63 characters of letters, digits, '-' and '_' (for example \"fraud-detector\").",
      );
    if (this.endpoints.has(name)) throw alreadyExists(`Endpoint with name '${name}' already exists.`);
    if (body.description !== undefined && typeof body.description !== 'string')
      throw badRequest("'description' must be a string.");
    const tags = parseTags(body.tags);
    const aiGateway = body.ai_gateway === undefined ? undefined : parseAiGateway(body.ai_gateway, 'ai_gateway');
    const settings = parseEndpointSettings(body);
    if (body.route_optimized !== undefined && typeof body.route_optimized !== 'boolean')
      throw badRequest("'route_optimized' must be true or false.");
    const config = body.config === undefined ? undefined : this.parseConfig(body.config, creator, now, 0);
    // Endpoints the world declares already exist; only API calls count against the limit.
    if (config && !extra.immediate) this.countConfigUpdate(now);
    const endpoint: EndpointRecord = {
      name,
      id: this.ids.hex(32),
      creator,
      createdAt: now,
      updatedAt: now,
      description: body.description ?? '',
      tags,
      aiGateway,
      gatewayLimiter: new GatewayRateLimiter(),
      settings,
      routeOptimized: body.route_optimized === true,
      lastUpdateFailed: false,
      updateDuration: extra.updateDuration,
      metrics: new Map(),
      buildLog: [],
      updateLog: [],
    };
    this.endpoints.set(name, endpoint);
    if (config) this.startUpdate(endpoint, config, now, extra.immediate, creator);
    return endpoint;
  }

  /** PATCH .../tags: sets (adds or overwrites) `add_tags`, then removes the keys in `delete_tags`. */
  patchTags(name: string, body: Record<string, unknown>, now: number): EndpointRecord {
    const endpoint = this.get(name, now);
    const add = parseTags(body.add_tags, 'add_tags');
    const remove = body.delete_tags ?? [];
    if (!Array.isArray(remove) || remove.some((key) => typeof key !== 'string'))
      throw badRequest("'delete_tags' must be an array of tag keys (strings).");
    const tags = new Map(endpoint.tags.map((t) => [t.key, t]));
    for (const tag of add) tags.set(tag.key, tag);
    for (const key of remove as string[]) tags.delete(key);
    endpoint.tags = [...tags.values()];
    return endpoint;
  }

  delete(name: string, now: number) {
    this.get(name, now);
    this.endpoints.delete(name);
  }

  /** PUT .../ai-gateway: replaces the whole AI Gateway config (fields not sent are cleared), effective at once. */
  putAiGateway(name: string, body: unknown, now: number): AiGatewayConfig {
    const endpoint = this.get(name, now);
    endpoint.aiGateway = parseAiGateway(body);
    endpoint.updatedAt = now;
    return endpoint.aiGateway;
  }

  updateConfig(name: string, body: unknown, creator: string, now: number): EndpointRecord {
    const endpoint = this.get(name, now);
    if (endpoint.pending)
      throw conflict(
        `Endpoint ${name} is currently updating. Wait for the update to complete before updating its configuration.`,
      );
    const config = this.parseConfig(body, creator, now, endpoint.config?.configVersion ?? 0, endpoint.config);
    this.countConfigUpdate(now);
    this.startUpdate(endpoint, config, now, false, creator);
    return endpoint;
  }

  private countConfigUpdate(now: number) {
    while (this.recentUpdates.length && this.recentUpdates[0] <= now - CONFIG_UPDATE_WINDOW_MS)
      this.recentUpdates.shift();
    if (this.recentUpdates.length >= this.options.configUpdatesPerWindow) {
      const retryAfter = Math.ceil((this.recentUpdates[0] + CONFIG_UPDATE_WINDOW_MS - now) / 1000);
      throw throttled(
        `Exceeded the limit of ${this.options.configUpdatesPerWindow} serving endpoint create/update operations per 5 minutes in this workspace.`,
        Math.max(1, retryAfter),
      );
    }
    this.recentUpdates.push(now);
  }

  private startUpdate(
    endpoint: EndpointRecord,
    config: ConfigRecord,
    now: number,
    immediate = false,
    requestedBy = 'admins',
  ) {
    const override = this.options.nextUpdateOverride(endpoint.name);
    const failingEntity = config.entities.find(
      (e) => e.version.behavior.deploy === 'fail' && !endpoint.config?.entities.some((old) => sameDeployment(old, e)),
    );
    const duration = immediate
      ? 0
      : Random.stream(
          this.options.seed,
          `update:${this.options.region}:${endpoint.name}:${config.configVersion}`,
        ).sample(endpoint.updateDuration ?? this.options.updateDuration);
    let outcome: PendingUpdate['outcome'] = 'apply';
    let failure: string | undefined;
    if (override?.outcome === 'fail') {
      outcome = 'fail';
      failure = override.message ?? 'Served entity deployment failed: the container failed to start (injected fault).';
    } else if (failingEntity) {
      outcome = 'fail';
      failure = `Served entity '${failingEntity.name}' failed to build: model environment could not be created for ${failingEntity.entityName} version ${failingEntity.entityVersion}.`;
    } else if (override?.outcome === 'silent_revert') outcome = 'silent_revert';
    endpoint.pending = { config, startTime: now, completesAt: now + duration, outcome, failure };
    endpoint.lastUpdateFailed = false;
    endpoint.updatedAt = now;
    endpoint.buildLog.push(`${new Date(now).toISOString()} config_version ${config.configVersion}: update started`);
    // The world's own endpoints are not updates; everything that came through the API is logged.
    if (!immediate)
      endpoint.updateLog.push({
        seq: endpoint.updateLog.length + 1,
        config_version: config.configVersion,
        requested_by: requestedBy,
        requested_at: new Date(now).toISOString(),
        served_entities: config.entities.map((e) => ({
          name: e.name,
          entity_name: e.entityName,
          entity_version: e.entityVersion,
          workload_size: e.workloadSize,
          workload_type: e.workloadType,
          scale_to_zero_enabled: e.scaleToZeroEnabled,
          ...structuredClone(e.compute),
        })),
        routes: config.routes.map((r) => ({ served_entity_name: r.entityName, traffic_percentage: r.percentage })),
        outcome: 'in-progress',
      });
    this.settle(endpoint, now);
  }

  /** Applies a finished update. Called on every read, so the state machine needs no timers. */
  settle(endpoint: EndpointRecord, now: number) {
    const pending = endpoint.pending;
    if (pending && now >= pending.completesAt) {
      this.options.onSettle?.(endpoint, pending.completesAt, 'before-change');
      this.apply(endpoint, pending);
    }
    this.options.onSettle?.(endpoint, now, 'now');
  }

  private apply(endpoint: EndpointRecord, pending: PendingUpdate) {
    endpoint.pending = undefined;
    endpoint.updatedAt = pending.completesAt;
    const stamp = new Date(pending.completesAt).toISOString();
    const logged = endpoint.updateLog.at(-1);
    if (logged?.outcome === 'in-progress') {
      logged.outcome =
        pending.outcome === 'fail' ? 'failed' : pending.outcome === 'silent_revert' ? 'reverted' : 'applied';
      logged.settled_at = stamp;
    }
    if (pending.outcome === 'fail') {
      endpoint.lastUpdateFailed = true;
      endpoint.buildLog.push(
        `${stamp} config_version ${pending.config.configVersion}: UPDATE_FAILED: ${pending.failure}`,
      );
      return;
    }
    if (pending.outcome === 'silent_revert' && endpoint.config) {
      endpoint.config = { ...endpoint.config, configVersion: pending.config.configVersion };
      endpoint.buildLog.push(
        `${stamp} config_version ${pending.config.configVersion}: reverted to the previous entities`,
      );
      return;
    }
    for (const entity of pending.config.entities) {
      entity.deployment = 'DEPLOYMENT_READY';
      entity.deploymentMessage = '';
    }
    endpoint.config = pending.config;
    endpoint.buildLog.push(`${stamp} config_version ${pending.config.configVersion}: ready`);
  }

  /** Validates an EndpointCoreConfigInput against this workspace; nothing is changed when it throws. */
  private parseConfig(
    input: unknown,
    creator: string,
    now: number,
    currentVersion: number,
    current?: ConfigRecord,
  ): ConfigRecord {
    if (!isObject(input)) throw badRequest("The config must be a JSON object with 'served_entities'.");
    const { served_entities: entitiesInput, served_models: modelsInput, traffic_config: trafficInput } = input;
    if (entitiesInput !== undefined && modelsInput !== undefined)
      throw badRequest("Use either 'served_entities' or the deprecated 'served_models', not both.");
    const legacy = modelsInput !== undefined;
    const list = legacy ? modelsInput : entitiesInput;
    const field = legacy ? 'served_models' : 'served_entities';
    if (!Array.isArray(list) || list.length === 0)
      throw badRequest(`'${field}' must be a non-empty array of served entities.`);
    if (list.length > MAX_SERVED_ENTITIES)
      throw badRequest(`An endpoint can serve at most ${MAX_SERVED_ENTITIES} entities; '${field}' has ${list.length}.`);
    const entities = list.map((item, index) =>
      this.parseEntity(item, `${field}[${index}]`, legacy, creator, now, current),
    );
    const names = new Set<string>();
    for (const entity of entities) {
      if (names.has(entity.name))
        throw badRequest(`Served entity name '${entity.name}' is used twice; names must be unique within an endpoint.`);
      names.add(entity.name);
    }
    return { legacy, entities, routes: parseTraffic(trafficInput, entities), configVersion: currentVersion + 1 };
  }

  private parseEntity(
    item: unknown,
    path: string,
    legacy: boolean,
    creator: string,
    now: number,
    current?: ConfigRecord,
  ): EntityRecord {
    if (!isObject(item)) throw badRequest(`'${path}' must be an object.`);
    const nameField = legacy ? 'model_name' : 'entity_name';
    const versionField = legacy ? 'model_version' : 'entity_version';
    const entityName = item[nameField];
    const entityVersion = item[versionField];
    if (typeof entityName !== 'string' || !entityName)
      throw badRequest(`'${path}.${nameField}' is required: the Unity Catalog model as catalog.schema.model.`);
    if (typeof entityVersion !== 'string' || !/^\d+$/.test(entityVersion))
      throw badRequest(`'${path}.${versionField}' must be the model version as a string, for example "3".`);
    if (item.external_model !== undefined)
      throw badRequest(`'${path}.external_model' is not supported by this emulator; serve a Unity Catalog model.`);
    const compute = parseComputeFields(item, path);
    // Provisioned concurrency or model units size the entity instead; then there is no default size.
    const sizedOtherwise =
      compute.min_provisioned_concurrency !== undefined ||
      compute.max_provisioned_concurrency !== undefined ||
      compute.provisioned_model_units !== undefined;
    const workloadSize = item.workload_size ?? (sizedOtherwise ? undefined : 'Small');
    if (workloadSize !== undefined && (typeof workloadSize !== 'string' || !WORKLOAD_SIZES.has(workloadSize)))
      throw badRequest(`'${path}.workload_size' must be one of Small, Medium, Large.`);
    const workloadType = item.workload_type ?? 'CPU';
    if (typeof workloadType !== 'string' || !WORKLOAD_TYPES.has(workloadType))
      throw badRequest(`'${path}.workload_type' must be one of ${[...WORKLOAD_TYPES].join(', ')}.`);
    const scaleToZero = item.scale_to_zero_enabled;
    if (legacy && typeof scaleToZero !== 'boolean')
      throw badRequest('scaleToZeroEnabled is undefined. Please set it to either true or false.');
    if (scaleToZero !== undefined && typeof scaleToZero !== 'boolean')
      throw badRequest(`'${path}.scale_to_zero_enabled' must be true or false.`);
    const modelShortName = entityName.split('.').pop()!;
    const name = item.name ?? `${modelShortName}-${entityVersion}`;
    if (typeof name !== 'string' || !ENDPOINT_NAME.test(name))
      throw badRequest(`'${path}.name' may contain only letters, digits, '-' and '_' (at most 63).`);
    const view = this.options.catalog.resolveModel(this.options.region, entityName);
    const version = this.options.catalog.findVersion(view, Number(entityVersion), now);
    if (version.status !== 'READY')
      throw badRequest(
        `Model version ${entityVersion} of '${entityName}' is in status ${version.status}; only READY versions can be served.`,
      );
    const entity: EntityRecord = {
      name,
      entityName,
      entityVersion,
      workloadSize,
      workloadType,
      scaleToZeroEnabled: scaleToZero ?? false,
      compute,
      creator,
      createdAt: now,
      model: version.model,
      version: version.record,
      deployment: 'DEPLOYMENT_CREATING',
      deploymentMessage: 'Creating the model serving container.',
    };
    // An entity that is already deployed with the same model keeps running while the rest of the config changes.
    const running = current?.entities.find((old) => sameDeployment(old, entity));
    if (running) return { ...entity, createdAt: running.createdAt, creator: running.creator };
    return entity;
  }
}

function sameDeployment(a: EntityRecord, b: EntityRecord) {
  return (
    a.name === b.name &&
    a.entityName === b.entityName &&
    a.entityVersion === b.entityVersion &&
    a.workloadSize === b.workloadSize &&
    a.workloadType === b.workloadType &&
    a.scaleToZeroEnabled === b.scaleToZeroEnabled &&
    sameComputeFields(a.compute, b.compute)
  );
}

function parseTraffic(input: unknown, entities: EntityRecord[]): RouteRecord[] {
  if (input === undefined) {
    if (entities.length === 1) return [{ entityName: entities[0].name, percentage: 100 }];
    throw badRequest(
      `'traffic_config' is required when an endpoint serves more than one entity (${entities.map((e) => e.name).join(', ')}).`,
    );
  }
  if (!isObject(input) || !Array.isArray(input.routes))
    throw badRequest("'traffic_config' must be an object with a 'routes' array.");
  const names = new Set(entities.map((e) => e.name));
  const seen = new Set<string>();
  const routes = input.routes.map((route: unknown, index): RouteRecord => {
    if (!isObject(route)) throw badRequest(`'traffic_config.routes[${index}]' must be an object.`);
    const target = route.served_entity_name ?? route.served_model_name;
    if (typeof target !== 'string')
      throw badRequest(`'traffic_config.routes[${index}].served_entity_name' is required.`);
    if (!names.has(target))
      throw badRequest(
        `'traffic_config.routes[${index}]' routes to '${target}', which is not a served entity of this config (${[...names].join(', ')}).`,
      );
    if (seen.has(target)) throw badRequest(`'traffic_config.routes' names '${target}' twice.`);
    seen.add(target);
    const percentage = route.traffic_percentage;
    if (typeof percentage !== 'number' || !Number.isInteger(percentage) || percentage < 0 || percentage > 100)
      throw badRequest(
        `'traffic_config.routes[${index}].traffic_percentage' must be an integer between 0 and 100 inclusive.`,
      );
    return { entityName: target, percentage };
  });
  const total = routes.reduce((sum, r) => sum + r.percentage, 0);
  if (total !== 100)
    throw badRequest(
      `The traffic_percentage values of 'traffic_config.routes' must add up to 100; they add up to ${total}.`,
    );
  return routes;
}

function parseTags(input: unknown, field = 'tags'): { key: string; value?: string }[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw badRequest(`'${field}' must be an array of {key, value}.`);
  const keys = new Set<string>();
  return input.map((tag: unknown, index) => {
    if (
      !isObject(tag) ||
      typeof tag.key !== 'string' ||
      tag.key === '' ||
      (tag.value !== undefined && typeof tag.value !== 'string')
    )
      throw badRequest(`'${field}[${index}]' must be {"key": non-empty string, "value"?: string}.`);
    if (keys.has(tag.key)) throw badRequest(`'${field}' names the key '${tag.key}' twice.`);
    keys.add(tag.key);
    return tag.value === undefined ? { key: tag.key } : { key: tag.key, value: tag.value };
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- JSON renderings -------------------------------------------------------------------------------------------

function entityJson(entity: EntityRecord, legacy: boolean) {
  const common = {
    name: entity.name,
    workload_size: entity.workloadSize,
    workload_type: entity.workloadType,
    scale_to_zero_enabled: entity.scaleToZeroEnabled,
    ...structuredClone(entity.compute),
    creator: entity.creator,
    creation_timestamp: entity.createdAt,
    state: { deployment: entity.deployment, deployment_state_message: entity.deploymentMessage },
  };
  return legacy
    ? { ...common, model_name: entity.entityName, model_version: entity.entityVersion }
    : { ...common, entity_name: entity.entityName, entity_version: entity.entityVersion };
}

function trafficJson(config: ConfigRecord) {
  return {
    routes: config.routes.map((r) => ({
      served_model_name: r.entityName,
      served_entity_name: r.entityName,
      traffic_percentage: r.percentage,
    })),
  };
}

function configJson(config: ConfigRecord) {
  const key = config.legacy ? 'served_models' : 'served_entities';
  return { [key]: config.entities.map((e) => entityJson(e, config.legacy)), traffic_config: trafficJson(config) };
}

export function endpointState(endpoint: EndpointRecord) {
  return {
    ready:
      endpoint.config && endpoint.config.entities.every((e) => e.deployment === 'DEPLOYMENT_READY')
        ? 'READY'
        : 'NOT_READY',
    config_update: endpoint.pending ? 'IN_PROGRESS' : endpoint.lastUpdateFailed ? 'UPDATE_FAILED' : 'NOT_UPDATING',
  };
}

/** ServingEndpointDetailed (GET, POST, PUT responses). */
export function endpointDetailedJson(endpoint: EndpointRecord, permissionLevel: string) {
  return {
    name: endpoint.name,
    id: endpoint.id,
    creator: endpoint.creator,
    creation_timestamp: endpoint.createdAt,
    last_updated_timestamp: endpoint.updatedAt,
    state: endpointState(endpoint),
    config: endpoint.config && { ...configJson(endpoint.config), config_version: endpoint.config.configVersion },
    pending_config: endpoint.pending && {
      ...configJson(endpoint.pending.config),
      config_version: endpoint.pending.config.configVersion,
      start_time: endpoint.pending.startTime,
    },
    tags: endpoint.tags.length ? endpoint.tags : undefined,
    ...structuredClone(endpoint.settings),
    description: endpoint.description,
    ai_gateway: endpoint.aiGateway,
    permission_level: permissionLevel,
    route_optimized: endpoint.routeOptimized,
  };
}

/** ServingEndpoint, the summary form of the list call. */
export function endpointSummaryJson(endpoint: EndpointRecord) {
  const config = endpoint.config;
  return {
    name: endpoint.name,
    id: endpoint.id,
    creator: endpoint.creator,
    creation_timestamp: endpoint.createdAt,
    last_updated_timestamp: endpoint.updatedAt,
    state: endpointState(endpoint),
    config: config && {
      [config.legacy ? 'served_models' : 'served_entities']: config.entities.map((e) =>
        config.legacy
          ? { name: e.name, model_name: e.entityName, model_version: e.entityVersion }
          : { name: e.name, entity_name: e.entityName, entity_version: e.entityVersion },
      ),
    },
    tags: endpoint.tags.length ? endpoint.tags : undefined,
    budget_policy_id: endpoint.settings.budget_policy_id,
    telemetry_config: endpoint.settings.telemetry_config && structuredClone(endpoint.settings.telemetry_config),
    description: endpoint.description,
    ai_gateway: endpoint.aiGateway,
  };
}
