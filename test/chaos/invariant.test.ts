/**
 * The update-log checks of the invariant checker on hand-made logs: they must fail on a stale re-apply, a foreign
 * config, interleaved rollouts and a change to another model's served entity on a shared endpoint, not only pass on
 * good logs.
 */
import { planSchema } from '../../src/plan/schema';
import { stageConfig } from '../../src/shared/endpoint-config';
import type { EndpointConfig } from '../../src/shared/types';
import {
  challengerFor,
  checkNoInterleaving,
  checkUpdateLog,
  otherModelsProblems,
  plannedConfigs,
  type LoggedUpdate,
} from '../support/invariant';

const plan = planSchema.parse({
  model: 'main.ml.fraud_detector',
  primary: 'us-east-1',
  regions: [{ name: 'us-east-1', workspace: { profile: 'us-east-1' }, endpoint: 'fraud-detector' }],
  stages: [
    { name: 'canary', traffic: 10 },
    { name: 'half', traffic: 50 },
  ],
});
const otherModel = { ...plan, model: 'main.ml.fraud_scorer' };
const pre: EndpointConfig = {
  servedEntities: [
    {
      name: 'fraud_detector-1',
      entity_name: 'main.ml.fraud_detector',
      entity_version: '1',
      workload_size: 'Small',
      workload_type: 'CPU',
      scale_to_zero_enabled: false,
    },
  ],
  routes: [{ served_entity_name: 'fraud_detector-1', traffic_percentage: 100 }],
};
const [canary, half, promoted, restored] = plannedConfigs(plan, 'us-east-1', 2, pre);

/** The endpoint shared with another model: fraud_detector-1 at 70%, fraud_scorer-1 at 30%. */
const scorer = { ...pre.servedEntities[0], name: 'fraud_scorer-1', entity_name: 'main.ml.fraud_scorer' };
const sharedPre: EndpointConfig = {
  servedEntities: [pre.servedEntities[0], scorer],
  routes: [
    { served_entity_name: 'fraud_detector-1', traffic_percentage: 70 },
    { served_entity_name: 'fraud_scorer-1', traffic_percentage: 30 },
  ],
};

let seq = 0;
const logged = (config: EndpointConfig, outcome: LoggedUpdate['outcome'] = 'applied'): LoggedUpdate => ({
  seq: ++seq,
  config_version: seq + 1,
  requested_by: 'rollout-bot',
  requested_at: new Date(0).toISOString(),
  served_entities: config.servedEntities,
  routes: config.routes,
  outcome,
});
const planned = plannedConfigs(plan, 'us-east-1', 2, pre);

it('accepts a rollout that walks its stages and promotes, or rolls back, and retries a failed update', () => {
  expect(checkUpdateLog([logged(canary), logged(half), logged(promoted)], planned)).toEqual([]);
  expect(checkUpdateLog([logged(canary), logged(half, 'failed'), logged(restored)], planned)).toEqual([]);
  expect(checkUpdateLog([logged(canary), logged(restored, 'failed'), logged(restored)], planned)).toEqual([]);
});

it('flags an older stage applied after a newer one, a re-applied config and a foreign config', () => {
  expect(checkUpdateLog([logged(canary), logged(half), logged(canary)], planned)).toEqual([
    expect.stringMatching(/older step applied again/),
  ]);
  expect(checkUpdateLog([logged(canary), logged(canary)], planned)).toEqual([expect.stringMatching(/re-applies/)]);
  const foreign = { ...pre, servedEntities: [{ ...pre.servedEntities[0], workload_size: 'Medium' }] };
  expect(checkUpdateLog([logged(canary), logged(foreign)], planned)).toEqual([
    expect.stringMatching(/not one of the rollout’s configs/),
  ]);
});

it('tells two rollouts in two blocks from interleaved ones', () => {
  // Two models on one endpoint: each rollout's plan starts from what the endpoint serves when it starts.
  const first = plannedConfigs(plan, 'us-east-1', 2, sharedPre);
  const second = plannedConfigs(otherModel, 'us-east-1', 2, first[2]);
  const a = { name: 'a', planned: first };
  const b = { name: 'b', planned: second };
  expect(checkNoInterleaving([logged(first[0]), logged(first[2]), logged(second[0]), logged(second[2])], a, b)).toEqual(
    [],
  );
  expect(
    checkNoInterleaving([logged(first[0]), logged(second[0]), logged(first[2]), logged(second[2])], a, b).length,
  ).toBeGreaterThan(0);
});

describe('on an endpoint shared with another model', () => {
  const others = { pre: sharedPre, model: 'main.ml.fraud_detector' };
  const sharedPlanned = plannedConfigs(plan, 'us-east-1', 2, sharedPre);

  it('plans stages and a promotion that keep the other model at its share', () => {
    for (const config of sharedPlanned) expect(otherModelsProblems(config, others)).toEqual([]);
    expect(
      checkUpdateLog(
        sharedPlanned.slice(0, 3).map((c) => logged(c)),
        sharedPlanned,
        others,
      ),
    ).toEqual([]);
  });

  it("flags today's promotion, which removes the other model, and any change to its entity or traffic", () => {
    const today = stageConfig(sharedPre, challengerFor(plan, 'us-east-1', 2), 100);
    expect(otherModelsProblems(today, others)).toEqual([
      "removed fraud_scorer-1 (main.ml.fraud_scorer v1), another model's",
    ]);
    expect(checkUpdateLog([logged(sharedPlanned[0]), logged(today)], [...sharedPlanned, today], others)).toEqual([
      expect.stringMatching(/^update #\d+ removed fraud_scorer-1/),
    ]);
    // The same entities with the other model's traffic moved, a changed size, and a new entity of another model.
    const moved = {
      ...sharedPlanned[2],
      routes: sharedPlanned[2].routes.map((r) => ({
        ...r,
        traffic_percentage: r.served_entity_name === 'fraud_scorer-1' ? 20 : r.traffic_percentage + 10,
      })),
    };
    expect(otherModelsProblems(moved, others)).toEqual([
      "moved traffic of fraud_scorer-1, another model's: 30% became 20%",
    ]);
    const resized = { ...sharedPre, servedEntities: [pre.servedEntities[0], { ...scorer, workload_size: 'Large' }] };
    expect(otherModelsProblems(resized, others)).toEqual([expect.stringMatching(/^changed fraud_scorer-1/)]);
    const added = {
      ...sharedPre,
      servedEntities: [...sharedPre.servedEntities, { ...scorer, name: 'fraud_scorer-2' }],
    };
    expect(otherModelsProblems(added, others)).toEqual([
      "added fraud_scorer-2 (main.ml.fraud_scorer), another model's",
    ]);
  });

  it('plans nothing but the rollback point where the other model holds all the traffic', () => {
    const full = { ...sharedPre, routes: [{ served_entity_name: 'fraud_scorer-1', traffic_percentage: 100 }] };
    expect(plannedConfigs(plan, 'us-east-1', 2, full)).toEqual([full]);
  });
});
