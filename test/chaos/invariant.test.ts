/**
 * The update-log checks of the invariant checker on hand-made logs: they must fail on a stale re-apply, a foreign
 * config and interleaved rollouts, not only pass on good logs.
 */
import { planSchema } from '../../src/plan/schema';
import type { EndpointConfig } from '../../src/shared/types';
import { checkNoInterleaving, checkUpdateLog, plannedConfigs, type LoggedUpdate } from '../support/invariant';

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
  const second = plannedConfigs(otherModel, 'us-east-1', 2, promoted);
  const a = { name: 'a', planned };
  const b = { name: 'b', planned: second };
  expect(checkNoInterleaving([logged(canary), logged(promoted), logged(second[0]), logged(second[2])], a, b)).toEqual(
    [],
  );
  expect(
    checkNoInterleaving([logged(canary), logged(second[0]), logged(promoted), logged(second[2])], a, b).length,
  ).toBeGreaterThan(0);
});
