/**
 * Endpoints shared by two models (issue 11): a world where every region's endpoint serves fraud_detector v1 and
 * fraud_scorer v1 side by side, and a look at what an endpoint serves. Used by the workflow test of shared endpoints
 * and by the fault suite.
 */
import type { WorldInput } from '../../src/emulator/world';
import type { EndpointConfig } from '../../src/shared/types';

export const SCORER = 'main.ml.fraud_scorer';

/**
 * `base` with fraud_scorer v1 registered in the primary (shared to the replicas like fraud_detector) and served on
 * every endpoint: fraud_detector-1 at `detector`% and fraud_scorer-1 at the rest.
 */
export function withSharedEndpoints(base: WorldInput, detector = 70): WorldInput {
  return {
    ...base,
    models: [...base.models!, { name: SCORER, versions: [{ version: 1, behavior: 'champion' }] }],
    sharing: {
      ...base.sharing,
      shares: base.sharing!.shares!.map((s) => ({ ...s, objects: [...s.objects, { name: SCORER }] })),
    },
    regions: base.regions.map((region) => ({
      ...region,
      endpoints: region.endpoints!.map((endpoint) => {
        const [detectorEntity] = endpoint.served_entities;
        const scorer = detectorEntity.entity_name.replace(/fraud_detector$/, 'fraud_scorer');
        return {
          ...endpoint,
          served_entities: [
            { ...detectorEntity, name: 'fraud_detector-1' },
            { ...detectorEntity, name: 'fraud_scorer-1', entity_name: scorer },
          ],
          traffic_config: {
            routes: [
              { served_entity_name: 'fraud_detector-1', traffic_percentage: detector },
              { served_entity_name: 'fraud_scorer-1', traffic_percentage: 100 - detector },
            ],
          },
        };
      }),
    })),
  };
}

/** What a config serves, as "name@version:percent", sorted. */
export function servedLines(config: EndpointConfig): string[] {
  return config.servedEntities
    .map(
      (e) =>
        `${e.name}@${e.entity_version}:${config.routes.find((r) => r.served_entity_name === e.name)?.traffic_percentage ?? 0}`,
    )
    .sort();
}
