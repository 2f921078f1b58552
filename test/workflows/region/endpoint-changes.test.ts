/** The new version's served entity and what it is compared with (src/workflows/region/endpoint-changes.ts). */
import { alreadyServes, currentVersionName, newVersionEntity } from '../../../src/workflows/region/endpoint-changes';
import { regionInput, rollbackPoint, stepPlan } from '../steps/harness';

it('builds the new version from the region plan, named after the model and version', () => {
  const input = regionInput(stepPlan(), 7);
  expect(newVersionEntity({ input })).toEqual({
    name: 'fraud_detector-7',
    entity_name: 'main.ml.fraud_detector',
    entity_version: '7',
    workload_size: input.region.served_entity.workload_size,
    workload_type: input.region.served_entity.workload_type,
    scale_to_zero_enabled: input.region.served_entity.scale_to_zero_enabled,
  });
});

it('sees nothing to do only when the endpoint serves exactly this version, alone', () => {
  const point = rollbackPoint();
  const v1 = { ...point.servedEntities[0] };
  expect(alreadyServes(point, v1)).toBe(true);
  expect(alreadyServes(point, { ...v1, entity_version: '2' })).toBe(false);
  expect(alreadyServes({ ...point, servedEntities: [v1, { ...v1, name: 'other', entity_name: 'x.y.z' }] }, v1)).toBe(
    false,
  );
});

it('compares the new version with the served entity that took most traffic at the rollback point', () => {
  const point = rollbackPoint();
  const split = {
    ...point,
    routes: [
      { served_entity_name: 'fraud_detector-1', traffic_percentage: 30 },
      { served_entity_name: 'fraud_detector-0', traffic_percentage: 70 },
    ],
  };
  expect(currentVersionName({ endpoint: { rollbackPoint: split } })).toBe('fraud_detector-0');
});
