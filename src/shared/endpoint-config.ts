/**
 * Pure helpers for endpoint configs: the canary and promotion configs a rollout sets, and the comparison that tells
 * whether an endpoint serves exactly a given config. Used by workflows (deterministic) and activities alike.
 */
import type { EndpointConfig, ServedEntity, ServedEntitySettings, TrafficRoute } from './types';

/** Databricks' default served entity name: the model's last name part and the version ("fraud_detector-5"). */
export function challengerName(model: string, version: number): string {
  return `${model.split('.').pop()}-${version}`;
}

/** Splits `total` percent across weights in proportion, in whole percents that add up to `total` (largest remainder). */
export function apportion(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (w / sum) * total);
  const floors = exact.map(Math.floor);
  let left = total - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    floors[i]++;
    left--;
  }
  return floors;
}

/**
 * The config for a stage: the rollback point's entities keep their relative weights within (100 - weight)%, and the
 * challenger gets weight%. At 100% the champions are removed (promotion).
 */
export function stageConfig(base: EndpointConfig, challenger: ServedEntity, weight: number): EndpointConfig {
  const champions = base.servedEntities.filter((e) => e.name !== challenger.name);
  if (weight >= 100 || champions.length === 0)
    return { servedEntities: [challenger], routes: [{ served_entity_name: challenger.name, traffic_percentage: 100 }] };
  const baseWeight = (name: string) => base.routes.find((r) => r.served_entity_name === name)?.traffic_percentage ?? 0;
  const shares = apportion(
    champions.map((e) => baseWeight(e.name)),
    100 - weight,
  );
  return {
    servedEntities: [...champions, challenger],
    routes: [
      ...champions.map((e, i) => ({ served_entity_name: e.name, traffic_percentage: shares[i] })),
      { served_entity_name: challenger.name, traffic_percentage: weight },
    ],
  };
}

/**
 * Every setting a served entity can carry besides its name and model version, in a fixed order: what `sameConfig`
 * compares, what the new version inherits from the entity it replaces, and what a rollback restores.
 */
export const ENTITY_SETTINGS = [
  'workload_size',
  'workload_type',
  'scale_to_zero_enabled',
  'environment_vars',
  'instance_profile_arn',
  'min_provisioned_concurrency',
  'max_provisioned_concurrency',
  'min_provisioned_throughput',
  'max_provisioned_throughput',
  'provisioned_model_units',
  'burst_scaling_enabled',
] as const satisfies readonly (keyof ServedEntitySettings)[];

/** Environment variables in name order (their order in a JSON object carries no meaning); none is the same as {}. */
function sortedVars(vars: Record<string, string> | undefined): [string, string][] | undefined {
  const entries = Object.entries(vars ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries : undefined;
}

/** The entity with every field, normalized where the API's defaults make two forms the same (CPU, empty vars). */
function entityKey(e: ServedEntity): string {
  const settings = ENTITY_SETTINGS.map((key) => {
    if (key === 'workload_type') return e.workload_type ?? 'CPU';
    if (key === 'environment_vars') return sortedVars(e.environment_vars) ?? null;
    return e[key] ?? null;
  });
  return JSON.stringify([e.name, e.entity_name, e.entity_version, ...settings]);
}

function routeMap(routes: TrafficRoute[]): Map<string, number> {
  return new Map(
    routes.filter((r) => r.traffic_percentage > 0).map((r) => [r.served_entity_name, r.traffic_percentage]),
  );
}

/** Whether two configs serve the same entities (name, model, version and every setting) with the same traffic split. */
export function sameConfig(a: EndpointConfig, b: EndpointConfig): boolean {
  const ea = a.servedEntities.map(entityKey).sort();
  const eb = b.servedEntities.map(entityKey).sort();
  if (ea.length !== eb.length || ea.some((k, i) => k !== eb[i])) return false;
  const ra = routeMap(a.routes);
  const rb = routeMap(b.routes);
  return ra.size === rb.size && [...ra].every(([name, pct]) => rb.get(name) === pct);
}

/** Human-readable one-liner, e.g. "fraud_detector-1 (v1) 90%, fraud_detector-2 (v2) 10%". */
export function describeConfig(config: EndpointConfig): string {
  const routes = routeMap(config.routes);
  return config.servedEntities.map((e) => `${e.name} (v${e.entity_version}) ${routes.get(e.name) ?? 0}%`).join(', ');
}

// ---- Shared endpoints: served entities that are not the rollout's own ------------------------------------------

/**
 * How a rollout of `challenger` divides an endpoint it may share with other models:
 * - `replaced`: the served entities it replaces: the one `replaces` names, else every entity of the challenger's model
 *   (same `entity_name`). The challenger's own name is never in it.
 * - `kept`: every other served entity (other models', and ours that `replaces` does not name): served as they are, at
 *   the traffic they have, through every stage, the promotion and the restore.
 * - `share`: the traffic the rollout divides between the challenger and `replaced`: 100 minus what `kept` holds.
 */
export interface EndpointShare {
  replaced: ServedEntity[];
  kept: ServedEntity[];
  share: number;
}

const trafficOf = (config: EndpointConfig, name: string) =>
  config.routes.find((r) => r.served_entity_name === name)?.traffic_percentage ?? 0;

export function endpointShare(base: EndpointConfig, challenger: ServedEntity, replaces?: string): EndpointShare {
  const others = base.servedEntities.filter((e) => e.name !== challenger.name);
  const isReplaced = (e: ServedEntity) =>
    replaces !== undefined ? e.name === replaces : e.entity_name === challenger.entity_name;
  const kept = others.filter((e) => !isReplaced(e));
  return {
    replaced: others.filter(isReplaced),
    kept,
    share: 100 - kept.reduce((sum, e) => sum + trafficOf(base, e.name), 0),
  };
}

/**
 * Why a rollout of `challenger` cannot share `base` (undefined when it can): `replaces` names no served entity, or
 * another model's; or the entities it keeps hold all the traffic, leaving none for its model. `where` names the
 * endpoint in the message (e.g. "eu-west-1/fraud-detector").
 */
export function shareProblem(
  base: EndpointConfig,
  challenger: ServedEntity,
  replaces: string | undefined,
  where: string,
): string | undefined {
  const served = base.servedEntities.map((e) => `${e.name} (${e.entity_name} v${e.entity_version})`).join(', ');
  if (replaces !== undefined) {
    const named = base.servedEntities.find((e) => e.name === replaces);
    if (!named)
      return `replaces: ${where} serves no entity named "${replaces}" (it serves ${served}); write the name of the served entity of ${challenger.entity_name} this version replaces, or remove replaces to replace every entity of ${challenger.entity_name}`;
    if (named.entity_name !== challenger.entity_name)
      return `replaces: "${replaces}" on ${where} serves ${named.entity_name}, another model; a rollout of ${challenger.entity_name} replaces only its own model's served entity: name one of those, or remove replaces`;
  }
  const { kept, share } = endpointShare(base, challenger, replaces);
  if (share <= 0)
    return `${where} gives all its traffic to served entities this rollout keeps (${kept.map((e) => `${e.name} ${trafficOf(base, e.name)}%`).join(', ')}), leaving none for ${challenger.entity_name}; give ${challenger.entity_name} a share of the endpoint's traffic first, or roll it out to an endpoint of its own`;
  return undefined;
}

/**
 * The challenger's part of the rollout's share `share` at stage weight `weight` (a percentage of the model's own
 * traffic). Rounding rule: `weight`% of `share`, rounded half up to a whole percent, then held within 1 ..
 * `share` - 1 so that a stage between 0 and 100 always sends the challenger and the replaced versions some traffic
 * (with `share` 1 the challenger gets it). Weight 0 gives 0 and weight 100 gives all of `share`. With `share` 100
 * this is `weight` itself, as on an endpoint of its own.
 */
export function challengerTraffic(weight: number, share: number): number {
  if (weight <= 0) return 0;
  if (weight >= 100) return share;
  const rounded = Math.floor((weight * share + 50) / 100);
  return Math.max(1, Math.min(rounded, Math.max(share - 1, 1)));
}

/**
 * The config for a stage on an endpoint the rollout may share: the kept entities (`endpointShare`) stay as they are,
 * at their traffic; the challenger takes `challengerTraffic(weight, share)`; the replaced entities divide the rest of
 * the share by their weights at `base` (largest remainder). At 100% the replaced entities are removed (promotion),
 * and the kept ones stay. Routes are whole percents adding up to 100. Without kept entities it equals `stageConfig`.
 */
export function sharedStageConfig(
  base: EndpointConfig,
  challenger: ServedEntity,
  weight: number,
  replaces?: string,
): EndpointConfig {
  const { replaced, kept, share } = endpointShare(base, challenger, replaces);
  if (share <= 0) throw new Error(`the entities kept on the endpoint hold all its traffic; nothing is left to divide`);
  const mine = replaced.length === 0 ? share : challengerTraffic(weight, share);
  const stays = weight >= 100 || replaced.length === 0 ? [] : replaced;
  const shares = apportion(
    stays.map((e) => trafficOf(base, e.name)),
    share - mine,
  );
  const entities = base.servedEntities.filter((e) => kept.includes(e) || stays.includes(e));
  const traffic = (e: ServedEntity) => (kept.includes(e) ? trafficOf(base, e.name) : shares[stays.indexOf(e)]);
  return {
    servedEntities: [...entities, challenger],
    routes: [
      ...entities.map((e) => ({ served_entity_name: e.name, traffic_percentage: traffic(e) })),
      { served_entity_name: challenger.name, traffic_percentage: mine },
    ],
  };
}

// ---- The new version's settings: inherited from the entity it replaces, unless the plan overrides one -------------

/** The settings a plan can write for the new version's served entity (plan `served_entity`); unset ones inherit. */
export interface EntityOverrides {
  workload_size?: string;
  workload_type?: string;
  scale_to_zero_enabled?: boolean;
}

/**
 * The served entity the new version replaces, whose settings it inherits: among the entities it replaces (with
 * `keepsOthers`, `endpointShare`'s `replaced`; without, every other entity), the one with most traffic at `base`
 * (the first of equals). Undefined when it replaces none.
 */
export function replacedEntity(
  base: EndpointConfig,
  challenger: Pick<ServedEntity, 'name' | 'entity_name'>,
  keepsOthers: boolean,
  replaces?: string,
): ServedEntity | undefined {
  const candidates = keepsOthers
    ? endpointShare(base, challenger as ServedEntity, replaces).replaced
    : base.servedEntities.filter((e) => e.name !== challenger.name);
  let best: ServedEntity | undefined;
  for (const e of candidates) if (!best || trafficOf(base, e.name) > trafficOf(base, best.name)) best = e;
  return best;
}

/**
 * The new version's served entity: `identity` (name, model, version) with every setting of `replaced`, except those
 * `overrides` sets. A plan's workload_size replaces inherited min/max_provisioned_concurrency (the API takes one or
 * the other). Without `replaced`, or when nothing sizes the entity, it is Small; scale to zero is off unless set.
 */
export function inheritedEntity(
  identity: Pick<ServedEntity, 'name' | 'entity_name' | 'entity_version'>,
  replaced: ServedEntity | undefined,
  overrides: EntityOverrides,
): ServedEntity {
  const settings: ServedEntitySettings = { scale_to_zero_enabled: false };
  if (replaced)
    for (const key of ENTITY_SETTINGS) {
      const value = replaced[key];
      if (value !== undefined) Object.assign(settings, { [key]: typeof value === 'object' ? { ...value } : value });
    }
  if (overrides.workload_size !== undefined) {
    delete settings.min_provisioned_concurrency;
    delete settings.max_provisioned_concurrency;
  }
  if (overrides.workload_size !== undefined) settings.workload_size = overrides.workload_size;
  if (overrides.workload_type !== undefined) settings.workload_type = overrides.workload_type;
  if (overrides.scale_to_zero_enabled !== undefined) settings.scale_to_zero_enabled = overrides.scale_to_zero_enabled;
  const sizedOtherwise =
    settings.min_provisioned_concurrency !== undefined ||
    settings.max_provisioned_concurrency !== undefined ||
    settings.provisioned_model_units !== undefined;
  if (settings.workload_size === undefined && !sizedOtherwise) settings.workload_size = 'Small';
  const { name, entity_name, entity_version } = identity;
  return { name, entity_name, entity_version, ...settings };
}

export type EntitySetting = (typeof ENTITY_SETTINGS)[number];

/**
 * Which settings of the new version come from the plan (`overridden`) and which from the entity it replaces
 * (`inherited`; a plan's workload_size leaves out min/max_provisioned_concurrency, which it replaces).
 */
export function entitySettingSources(overrides: EntityOverrides): {
  overridden: EntitySetting[];
  inherited: EntitySetting[];
} {
  const overridden = ENTITY_SETTINGS.filter((key) => (overrides as Record<string, unknown>)[key] !== undefined);
  const dropped: EntitySetting[] =
    overrides.workload_size !== undefined ? ['min_provisioned_concurrency', 'max_provisioned_concurrency'] : [];
  return {
    overridden,
    inherited: ENTITY_SETTINGS.filter((key) => !overridden.includes(key) && !dropped.includes(key)),
  };
}
