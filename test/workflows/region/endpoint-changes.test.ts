/**
 * The new version's served entity, what it is compared with, and the configs it gets on an endpoint shared with other
 * models (src/workflows/region/endpoint-changes.ts, src/shared/endpoint-config.ts).
 */
import {
  challengerTraffic,
  endpointShare,
  shareProblem,
  sharedStageConfig,
  stageConfig,
} from '../../../src/shared/endpoint-config';
import type { EndpointSnapshot, ServedEntity } from '../../../src/shared/types';
import {
  alreadyServes,
  configAt,
  currentVersionName,
  newVersionEntity,
} from '../../../src/workflows/region/endpoint-changes';
import { regionInput, rollbackPoint, stepPlan } from '../steps/harness';

it('builds the new version from the region plan, named after the model and version', () => {
  const input = regionInput(stepPlan(), 7);
  // The plan sets no served_entity: Small and scale to zero off, as rollouts before INHERIT_SETTINGS_PATCH served it
  // (after it, withInheritedSettings takes the replaced entity's settings instead).
  expect(newVersionEntity({ input })).toEqual({
    name: 'fraud_detector-7',
    entity_name: 'main.ml.fraud_detector',
    entity_version: '7',
    workload_size: 'Small',
    workload_type: undefined,
    scale_to_zero_enabled: false,
  });
  const sized = regionInput(stepPlan(), 7);
  sized.region = { ...sized.region, served_entity: { workload_size: 'Large', scale_to_zero_enabled: true } };
  expect(newVersionEntity({ input: sized })).toMatchObject({ workload_size: 'Large', scale_to_zero_enabled: true });
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
  expect(currentVersionName({ input: regionInput(stepPlan()), endpoint: { rollbackPoint: split } })).toBe(
    'fraud_detector-0',
  );
});

// ---- Shared endpoints -----------------------------------------------------------------------------------------

const entity = (name: string, model: string, version: string): ServedEntity => ({
  name,
  entity_name: model,
  entity_version: version,
  workload_size: 'Small',
  scale_to_zero_enabled: false,
});
const DETECTOR = 'main.ml.fraud_detector';
const SCORER = 'main.ml.fraud_scorer';
/** fraud-detector serving fraud_detector-1 at 70% and fraud_scorer-1 (another model) at 30%. */
const shared = (detector = 70): EndpointSnapshot => ({
  ...rollbackPoint(),
  servedEntities: [entity('fraud_detector-1', DETECTOR, '1'), entity('fraud_scorer-1', SCORER, '1')],
  routes: [
    { served_entity_name: 'fraud_detector-1', traffic_percentage: detector },
    { served_entity_name: 'fraud_scorer-1', traffic_percentage: 100 - detector },
  ],
});
const v2 = entity('fraud_detector-2', DETECTOR, '2');
/** "name@version:percent", sorted: what a config serves. */
const serves = (config: {
  servedEntities: ServedEntity[];
  routes: { served_entity_name: string; traffic_percentage: number }[];
}) =>
  config.servedEntities
    .map(
      (e) =>
        `${e.name}@${e.entity_version}:${config.routes.find((r) => r.served_entity_name === e.name)?.traffic_percentage ?? 0}`,
    )
    .sort();

it("promotes the new version within its model's share and keeps the other model, as today's stageConfig does not", () => {
  // Today's promotion drops fraud_scorer-1: the measurement.
  expect(serves(stageConfig(shared(), v2, 100))).toEqual(['fraud_detector-2@2:100']);
  expect(serves(sharedStageConfig(shared(), v2, 100))).toEqual(['fraud_detector-2@2:70', 'fraud_scorer-1@1:30']);
});

it("splits each stage inside the model's share and leaves the other model's route as it was", () => {
  expect(serves(sharedStageConfig(shared(), v2, 0))).toEqual([
    'fraud_detector-1@1:70',
    'fraud_detector-2@2:0',
    'fraud_scorer-1@1:30',
  ]);
  expect(serves(sharedStageConfig(shared(), v2, 10))).toEqual([
    'fraud_detector-1@1:63',
    'fraud_detector-2@2:7',
    'fraud_scorer-1@1:30',
  ]);
  expect(serves(sharedStageConfig(shared(), v2, 50))).toEqual([
    'fraud_detector-1@1:35',
    'fraud_detector-2@2:35',
    'fraud_scorer-1@1:30',
  ]);
  // Every stage of every share: whole routes adding up to 100, the scorer untouched.
  for (let detector = 1; detector <= 99; detector++)
    for (const weight of [0, 1, 5, 10, 25, 50, 75, 99, 100]) {
      const config = sharedStageConfig(shared(detector), v2, weight);
      const traffic = new Map(config.routes.map((r) => [r.served_entity_name, r.traffic_percentage]));
      expect([...traffic.values()].every(Number.isInteger)).toBe(true);
      expect([...traffic.values()].reduce((a, b) => a + b, 0)).toBe(100);
      expect(traffic.get('fraud_scorer-1')).toBe(100 - detector);
      expect(config.servedEntities.find((e) => e.name === 'fraud_scorer-1')).toEqual(shared().servedEntities[1]);
      expect(traffic.get('fraud_detector-2')).toBe(challengerTraffic(weight, detector));
    }
});

it("rounds the new version's part half up, and keeps both versions serving between 0 and 100", () => {
  expect(challengerTraffic(10, 100)).toBe(10); // an endpoint of its own: the stage's weight itself
  expect(challengerTraffic(10, 70)).toBe(7);
  expect(challengerTraffic(10, 35)).toBe(4); // 3.5 rounds up
  expect(challengerTraffic(10, 34)).toBe(3); // 3.4 rounds down
  expect(challengerTraffic(1, 30)).toBe(1); // 0.3 would send it nothing: at least 1
  expect(challengerTraffic(99, 30)).toBe(29); // 29.7 would leave the current version nothing: at most share - 1
  expect(challengerTraffic(50, 1)).toBe(1);
  expect(challengerTraffic(0, 30)).toBe(0);
  expect(challengerTraffic(100, 30)).toBe(30);
});

it("is today's stageConfig on an endpoint that serves only the model", () => {
  const point = rollbackPoint();
  for (const weight of [0, 1, 10, 50, 99, 100])
    expect(sharedStageConfig(point, v2, weight)).toEqual(stageConfig(point, v2, weight));
});

it("replaces the served entity the plan names, and keeps the model's others with their traffic", () => {
  const point: EndpointSnapshot = {
    ...shared(),
    servedEntities: [...shared().servedEntities, entity('fraud_detector-eu', DETECTOR, '1')],
    routes: [
      { served_entity_name: 'fraud_detector-1', traffic_percentage: 50 },
      { served_entity_name: 'fraud_scorer-1', traffic_percentage: 30 },
      { served_entity_name: 'fraud_detector-eu', traffic_percentage: 20 },
    ],
  };
  expect(endpointShare(point, v2, 'fraud_detector-1')).toMatchObject({ share: 50 });
  expect(serves(sharedStageConfig(point, v2, 100, 'fraud_detector-1'))).toEqual([
    'fraud_detector-2@2:50',
    'fraud_detector-eu@1:20',
    'fraud_scorer-1@1:30',
  ]);
  // By default every entity of the model is replaced.
  expect(serves(sharedStageConfig(point, v2, 100))).toEqual(['fraud_detector-2@2:70', 'fraud_scorer-1@1:30']);
});

it('names the field and the fix when replaces is wrong, and the endpoint when the model has no share', () => {
  const where = 'eu-west-1/fraud-detector';
  expect(shareProblem(shared(), v2, undefined, where)).toBeUndefined();
  expect(shareProblem(shared(), v2, 'fraud_detector-1', where)).toBeUndefined();
  expect(shareProblem(shared(), v2, 'fraud_detector-9', where)).toBe(
    'replaces: eu-west-1/fraud-detector serves no entity named "fraud_detector-9" (it serves fraud_detector-1 (main.ml.fraud_detector v1), fraud_scorer-1 (main.ml.fraud_scorer v1)); write the name of the served entity of main.ml.fraud_detector this version replaces, or remove replaces to replace every entity of main.ml.fraud_detector',
  );
  expect(shareProblem(shared(), v2, 'fraud_scorer-1', where)).toMatch(
    /^replaces: "fraud_scorer-1" on eu-west-1\/fraud-detector serves main.ml.fraud_scorer, another model; .*name one of those, or remove replaces$/,
  );
  const scorerOnly: EndpointSnapshot = {
    ...shared(),
    servedEntities: [entity('fraud_scorer-1', SCORER, '1')],
    routes: [{ served_entity_name: 'fraud_scorer-1', traffic_percentage: 100 }],
  };
  expect(shareProblem(scorerOnly, v2, undefined, where)).toMatch(
    /^eu-west-1\/fraud-detector gives all its traffic to served entities this rollout keeps \(fraud_scorer-1 100%\), leaving none for main.ml.fraud_detector/,
  );
  expect(shareProblem(shared(0), v2, undefined, where)).toMatch(/leaving none for main.ml.fraud_detector/);
  expect(() => sharedStageConfig(scorerOnly, v2, 10)).toThrow(/hold all its traffic/);
});

it("uses the shared configs, the share-aware comparison and the model's current version once keepsOthers is decided", () => {
  const input = regionInput(stepPlan(), 2);
  const point = {
    ...shared(),
    routes: [
      { served_entity_name: 'fraud_detector-1', traffic_percentage: 20 },
      { served_entity_name: 'fraud_scorer-1', traffic_percentage: 80 },
    ],
  };
  const newVersion = newVersionEntity({ input });
  // Before the patch (rollouts in flight): today's behaviour.
  expect(serves(configAt({ input, endpoint: { rollbackPoint: point } }, newVersion, 100))).toEqual([
    'fraud_detector-2@2:100',
  ]);
  expect(currentVersionName({ input, endpoint: { rollbackPoint: point } })).toBe('fraud_scorer-1');
  // With it: the scorer stays, and the new version is compared with the detector, not with the scorer.
  const endpoint = { rollbackPoint: point, keepsOthers: true };
  expect(serves(configAt({ input, endpoint }, newVersion, 100))).toEqual([
    'fraud_detector-2@2:20',
    'fraud_scorer-1@1:80',
  ]);
  expect(currentVersionName({ input, endpoint })).toBe('fraud_detector-1');
  const promoted = { ...point, ...configAt({ input, endpoint }, newVersion, 100) };
  expect(alreadyServes(promoted, newVersion)).toBe(false);
  expect(alreadyServes(promoted, newVersion, true)).toBe(true);
  expect(alreadyServes(point, newVersion, true)).toBe(false);
});
