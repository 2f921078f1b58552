/**
 * Release members (issue 14): a world where every region also serves fraud_features v1 (shared to the replicas like
 * fraud_detector) on an endpoint of its own, and fraud_detector on a second endpoint. Used by the release workflow
 * test and the replay fixtures' recorder.
 */
import type { WorldInput } from '../../src/emulator/world';

export const FEATURES = 'main.ml.fraud_features';
export const FEATURES_ENDPOINT = 'fraud-features';
/** fraud_detector served by a second endpoint in every region (a release of one model on two endpoints). */
export const BATCH_ENDPOINT = 'fraud-detector-batch';

/** `base` with fraud_features v1 (shared to the replicas) on an endpoint of its own, and a second detector endpoint. */
export function withReleaseEndpoints(base: WorldInput): WorldInput {
  return {
    ...base,
    models: [
      ...base.models!,
      { name: FEATURES, versions: [{ version: 1, behavior: 'champion', aliases: ['champion'] }] },
    ],
    sharing: {
      ...base.sharing,
      shares: base.sharing!.shares!.map((s) => ({ ...s, objects: [...s.objects, { name: FEATURES }] })),
    },
    regions: base.regions.map((region) => {
      const [detector] = region.endpoints!;
      const entity = detector.served_entities[0];
      return {
        ...region,
        endpoints: [
          detector,
          {
            ...detector,
            name: FEATURES_ENDPOINT,
            served_entities: [
              { ...entity, entity_name: entity.entity_name.replace(/fraud_detector$/, 'fraud_features') },
            ],
          },
          { ...detector, name: BATCH_ENDPOINT },
        ],
      };
    }),
  };
}
