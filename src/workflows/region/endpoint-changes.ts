/**
 * Changing the endpoint: the new version's served entity, and applying a config while recording what this rollout
 * set (so a later change can tell the rollout's own configs from someone else's). Changes `endpoint.attempted`,
 * `endpoint.lastApplied`, `status.challengerWeight` and `status.configVersion`.
 */
import { challengerName, describeConfig, stageConfig } from '../../shared/endpoint-config';
import type { EndpointConfig, EndpointSnapshot, ServedEntity } from '../../shared/types';
import type { RegionContext } from './context';

export type ChangeContext = Pick<RegionContext, 'input' | 'target' | 'status' | 'endpoint' | 'activities' | 'guarded'>;

/** The new version as a served entity, with the plan's settings for this region. */
export function newVersionEntity({ input }: Pick<RegionContext, 'input'>): ServedEntity {
  const { served_entity } = input.region;
  return {
    name: challengerName(input.model, input.version),
    entity_name: input.model,
    entity_version: String(input.version),
    workload_size: served_entity.workload_size,
    workload_type: served_entity.workload_type,
    scale_to_zero_enabled: served_entity.scale_to_zero_enabled,
  };
}

/** The endpoint already serves exactly this version, alone: there is nothing to roll out. */
export function alreadyServes(rollbackPoint: EndpointSnapshot, entity: ServedEntity): boolean {
  const served = rollbackPoint.servedEntities;
  return (
    served.length === 1 &&
    served[0].entity_version === entity.entity_version &&
    served[0].entity_name === entity.entity_name
  );
}

/** The served entity that takes most traffic at the rollback point: what the new version is compared with. */
export function currentVersionName({ endpoint }: Pick<RegionContext, 'endpoint'>): string {
  return endpoint.rollbackPoint!.routes.reduce((a, b) => (b.traffic_percentage > a.traffic_percentage ? b : a))
    .served_entity_name;
}

/** Applies `config` (PUT only if needed, wait, verify), first checking the endpoint still serves what we set. */
export async function applyConfig(
  { input, target, status, endpoint, activities, guarded }: ChangeContext,
  config: EndpointConfig,
  purpose: string,
  weight: number,
): Promise<void> {
  endpoint.attempted = config;
  const { configVersion } = await activities.updates.applyEndpointConfig.executeWithOptions(
    { summary: `${target.region}: ${purpose} (${describeConfig(config)})` },
    [
      {
        ...target,
        desired: config,
        timeoutMs: input.timeouts.config_update,
        purpose,
        ...(guarded && endpoint.lastApplied ? { expected: [endpoint.lastApplied] } : {}),
      },
    ],
  );
  endpoint.lastApplied = config;
  status.challengerWeight = weight;
  status.configVersion = configVersion;
}

/** Serves the new version at `weight`% next to the configs at the rollback point. */
export async function setNewVersionWeight(
  ctx: ChangeContext,
  entity: ServedEntity,
  weight: number,
  purpose: string,
): Promise<void> {
  await applyConfig(ctx, stageConfig(ctx.endpoint.rollbackPoint!, entity, weight), purpose, weight);
}
