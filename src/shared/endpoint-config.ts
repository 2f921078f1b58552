/**
 * Pure helpers for endpoint configs: the canary and promotion configs a rollout sets, and the comparison that tells
 * whether an endpoint serves exactly a given config. Used by workflows (deterministic) and activities alike.
 */
import type { EndpointConfig, ServedEntity, TrafficRoute } from './types';

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

function entityKey(e: ServedEntity): string {
  return [
    e.name,
    e.entity_name,
    e.entity_version,
    e.workload_size,
    e.workload_type ?? 'CPU',
    e.scale_to_zero_enabled,
  ].join('|');
}

function routeMap(routes: TrafficRoute[]): Map<string, number> {
  return new Map(
    routes.filter((r) => r.traffic_percentage > 0).map((r) => [r.served_entity_name, r.traffic_percentage]),
  );
}

/** Whether two configs serve the same entities (name, model, version, size) with the same traffic split. */
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
