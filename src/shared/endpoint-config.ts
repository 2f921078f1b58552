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
