/**
 * `rollout plan --endpoints`: the new version's served entity in a region, from what its endpoint serves now, each
 * setting with where it comes from (the plan, or the entity it replaces), as the region workflow will build it
 * (src/shared/endpoint-config.ts `replacedEntity`, `inheritedEntity`). Reads nothing itself.
 */
import {
  challengerName,
  ENTITY_SETTINGS,
  entitySettingSources,
  inheritedEntity,
  replacedEntity,
} from '../shared/endpoint-config';
import type { EndpointConfig, ServedEntity } from '../shared/types';
import type { PlanRegion } from './schema';

const SECRET_REFERENCE = /^\{\{secrets\/[^/{}\s]+\/[^/{}\s]+\}\}$/;

/** Secret references as written; plain values are not printed (they may be secrets written in the clear). */
function settingText(key: (typeof ENTITY_SETTINGS)[number], entity: ServedEntity): string | undefined {
  const value = entity[key];
  if (value === undefined) return undefined;
  if (typeof value === 'object') {
    const vars = Object.entries(value);
    if (vars.length === 0) return undefined;
    return vars
      .map(([name, v]) => (SECRET_REFERENCE.test(v) ? `${name}=${v}` : `${name}=(a plain value, not shown)`))
      .join(', ');
  }
  return String(value);
}

/**
 * Lines describing the served entity a rollout of `model` (`version`, when known) adds to `region`'s endpoint, which
 * serves `current` now.
 */
export function describeNewEntity(
  region: PlanRegion,
  model: string,
  version: number | undefined,
  current: EndpointConfig,
): string[] {
  const identity = {
    name: challengerName(model, version ?? 0),
    entity_name: model,
    entity_version: String(version ?? '?'),
  };
  const replaced = replacedEntity(current, identity, true, region.replaces);
  const entity = inheritedEntity(identity, replaced, region.served_entity);
  const { overridden } = entitySettingSources(region.served_entity);
  const where = `${region.name}/${region.endpoint}`;
  const traffic = (name: string) => current.routes.find((r) => r.served_entity_name === name)?.traffic_percentage ?? 0;
  const head = replaced
    ? `${where}: replaces ${replaced.name} (v${replaced.entity_version}, ${traffic(replaced.name)}% of traffic); the new entity carries:`
    : `${where}: serves no entity of ${model} to inherit from; the new entity carries:`;
  const width = Math.max(...ENTITY_SETTINGS.map((key) => key.length));
  const lines = ENTITY_SETTINGS.flatMap((key) => {
    const text = settingText(key, entity);
    if (text === undefined) return [];
    const from = overridden.includes(key) ? 'the plan' : replaced?.[key] !== undefined ? 'inherited' : 'default';
    return [`  ${key.padEnd(width)}  ${text} (${from})`];
  });
  return [head, ...lines];
}
