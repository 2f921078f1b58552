/**
 * Changing the endpoint: the new version's served entity, and applying a config while recording what this rollout
 * set (so a later change can tell the rollout's own configs from someone else's). On an endpoint shared with other
 * models, every config keeps what is not the rollout's (src/shared/endpoint-config.ts, `sharedStageConfig`). Changes
 * `endpoint.keepsOthers`, `endpoint.attempted`, `endpoint.lastApplied`, `status.challengerWeight` and
 * `status.configVersion`.
 */
import * as wf from '@temporalio/workflow';
import {
  challengerName,
  describeConfig,
  endpointShare,
  inheritedEntity,
  replacedEntity,
  shareProblem,
  sharedStageConfig,
  stageConfig,
} from '../../shared/endpoint-config';
import type { EndpointConfig, EndpointSnapshot, ServedEntity } from '../../shared/types';
import type { RegionContext } from './context';

/** The patch behind keeping other models' served entities: rollouts started before it replay without it. */
export const SHARED_ENDPOINT_PATCH = 'shared-endpoint-entities';

export type ChangeContext = Pick<
  RegionContext,
  'input' | 'target' | 'status' | 'endpoint' | 'activities' | 'guarded' | 'member'
>;

/** The patch behind the new version inheriting the replaced entity's settings: rollouts before it replay without. */
export const INHERIT_SETTINGS_PATCH = 'served-entity-inherits-settings';

/**
 * The new version as a served entity with only the plan's settings for this region (what rollouts started before
 * `INHERIT_SETTINGS_PATCH` serve; its name, model and version are all that the share decisions read).
 */
export function newVersionEntity({ input }: Pick<RegionContext, 'input'>): ServedEntity {
  const { served_entity } = input.region;
  return {
    name: challengerName(input.model, input.version),
    entity_name: input.model,
    entity_version: String(input.version),
    workload_size: served_entity.workload_size ?? 'Small',
    workload_type: served_entity.workload_type,
    scale_to_zero_enabled: served_entity.scale_to_zero_enabled ?? false,
  };
}

/**
 * The new version's served entity as it is rolled out (`patched(INHERIT_SETTINGS_PATCH)`): every setting of the
 * entity it replaces at the rollback point (environment variables and secret references, instance profile,
 * concurrency and scaling, workload type and size, provisioned units), except those the plan's `served_entity` sets.
 * Decided after `shareEndpoint`, which says which entities it replaces. Rollouts before the patch keep `entity`.
 */
export function withInheritedSettings(
  { input, endpoint }: Pick<RegionContext, 'input' | 'endpoint'>,
  entity: ServedEntity,
): ServedEntity {
  if (!wf.patched(INHERIT_SETTINGS_PATCH)) return entity;
  const replaced = replacedEntity(
    endpoint.rollbackPoint!,
    entity,
    endpoint.keepsOthers ?? false,
    input.region.replaces,
  );
  return inheritedEntity(entity, replaced, input.region.served_entity);
}

/**
 * Decides, once and before the first change, whether this rollout keeps what is not its own on the endpoint
 * (`patched(SHARED_ENDPOINT_PATCH)`), and returns why it cannot roll out there (a config problem: `replaces` names no
 * entity or another model's, or the kept entities hold all the traffic), or undefined.
 */
export function shareEndpoint(
  { input, target, endpoint }: Pick<RegionContext, 'input' | 'target' | 'endpoint'>,
  entity: ServedEntity,
): string | undefined {
  endpoint.keepsOthers = wf.patched(SHARED_ENDPOINT_PATCH);
  if (!endpoint.keepsOthers) return undefined;
  return shareProblem(endpoint.rollbackPoint!, entity, input.region.replaces, `${target.region}/${target.endpoint}`);
}

/** The config for the new version at `weight`% of the model's traffic, from the rollback point. Pure. */
export function configAt(
  { input, endpoint }: Pick<RegionContext, 'input' | 'endpoint'>,
  entity: ServedEntity,
  weight: number,
): EndpointConfig {
  const point = endpoint.rollbackPoint!;
  return endpoint.keepsOthers
    ? sharedStageConfig(point, entity, weight, input.region.replaces)
    : stageConfig(point, entity, weight);
}

/**
 * The endpoint already serves exactly this version, alone (with `keepsOthers`: alone among the entities the rollout
 * replaces, next to the ones it keeps): there is nothing to roll out.
 */
export function alreadyServes(
  rollbackPoint: EndpointSnapshot,
  entity: ServedEntity,
  keepsOthers = false,
  replaces?: string,
): boolean {
  const { kept } = endpointShare(rollbackPoint, entity, replaces);
  const served = keepsOthers
    ? rollbackPoint.servedEntities.filter((e) => !kept.includes(e))
    : rollbackPoint.servedEntities;
  return (
    served.length === 1 &&
    served[0].entity_version === entity.entity_version &&
    served[0].entity_name === entity.entity_name
  );
}

/**
 * The served entity that takes most traffic at the rollback point: what the new version is compared with. With
 * `keepsOthers`, only among the entities the rollout replaces (never another model's).
 */
export function currentVersionName({ input, endpoint }: Pick<RegionContext, 'input' | 'endpoint'>): string {
  const point = endpoint.rollbackPoint!;
  let routes = point.routes;
  if (endpoint.keepsOthers) {
    const { replaced } = endpointShare(point, newVersionEntity({ input }), input.region.replaces);
    const names = new Set(replaced.map((e) => e.name));
    if (routes.some((r) => names.has(r.served_entity_name)))
      routes = routes.filter((r) => names.has(r.served_entity_name));
  }
  return routes.reduce((a, b) => (b.traffic_percentage > a.traffic_percentage ? b : a)).served_entity_name;
}

/** Applies `config` (PUT only if needed, wait, verify), first checking the endpoint still serves what we set. */
export async function applyConfig(
  { input, target, status, endpoint, activities, guarded, member }: ChangeContext,
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
  // A release member's weight shows in its own entry; the region's is its lead model's.
  const shown = member ?? status;
  shown.challengerWeight = weight;
  shown.configVersion = configVersion;
}

/** Serves the new version at `weight`% next to the configs at the rollback point. */
export async function setNewVersionWeight(
  ctx: ChangeContext,
  entity: ServedEntity,
  weight: number,
  purpose: string,
): Promise<void> {
  await applyConfig(ctx, configAt(ctx, entity, weight), purpose, weight);
}
