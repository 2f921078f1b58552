/**
 * Every setting of a served entity: the new version inherits them from the entity it replaces unless the plan sets
 * one, and `sameConfig` tells configs apart by any of them (src/shared/endpoint-config.ts).
 */
import { configOf } from '../../src/activities/databricks';
import {
  ENTITY_SETTINGS,
  entitySettingSources,
  inheritedEntity,
  replacedEntity,
  sameConfig,
} from '../../src/shared/endpoint-config';
import type { EndpointConfig, ServedEntity } from '../../src/shared/types';

const DETECTOR = 'main.ml.fraud_detector';
const SCORER = 'main.ml.fraud_scorer';

/** A served entity with every setting, sized by provisioned concurrency, on a GPU. */
const current: ServedEntity = {
  name: 'fraud_detector-3',
  entity_name: DETECTOR,
  entity_version: '3',
  workload_type: 'GPU_MEDIUM',
  scale_to_zero_enabled: false,
  environment_vars: { FEATURE_TOKEN: '{{secrets/features/token}}', MODE: 'strict' },
  instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/serving',
  min_provisioned_concurrency: 4,
  max_provisioned_concurrency: 12,
  min_provisioned_throughput: 0,
  max_provisioned_throughput: 100,
  provisioned_model_units: 50,
  burst_scaling_enabled: false,
};
const scorer: ServedEntity = {
  name: 'fraud_scorer-1',
  entity_name: SCORER,
  entity_version: '1',
  workload_size: 'Large',
  scale_to_zero_enabled: true,
  environment_vars: { SCORER_ONLY: 'yes' },
};
const identity = { name: 'fraud_detector-4', entity_name: DETECTOR, entity_version: '4' };
const config = (entities: ServedEntity[], traffic: number[]): EndpointConfig => ({
  servedEntities: entities,
  routes: entities.map((e, i) => ({ served_entity_name: e.name, traffic_percentage: traffic[i] })),
});

describe('inheritedEntity', () => {
  it('carries every setting of the entity it replaces when the plan sets none', () => {
    const entity = inheritedEntity(identity, current, {});
    const { name: _n, entity_name: _e, entity_version: _v, ...settings } = current;
    expect(entity).toEqual({ ...identity, ...settings });
    // A copy: changing the new entity's variables leaves the rollback point's alone.
    entity.environment_vars!.MODE = 'changed';
    expect(current.environment_vars!.MODE).toBe('strict');
  });

  it('takes what the plan sets over what it inherits; a workload_size replaces provisioned concurrency', () => {
    const entity = inheritedEntity(identity, current, {
      workload_size: 'Medium',
      workload_type: 'GPU_LARGE',
      scale_to_zero_enabled: true,
    });
    expect(entity).toMatchObject({
      workload_size: 'Medium',
      workload_type: 'GPU_LARGE',
      scale_to_zero_enabled: true,
      environment_vars: current.environment_vars,
      instance_profile_arn: current.instance_profile_arn,
      provisioned_model_units: 50,
      burst_scaling_enabled: false,
    });
    expect(entity).not.toHaveProperty('min_provisioned_concurrency');
    expect(entity).not.toHaveProperty('max_provisioned_concurrency');
  });

  it("takes only the identity's name, model and version", () => {
    const planned = { ...identity, workload_size: 'Small', scale_to_zero_enabled: false };
    expect(inheritedEntity(planned, current, {})).not.toHaveProperty('workload_size');
  });

  it('is Small, CPU, scale to zero off with nothing to inherit, unless the plan sets them', () => {
    expect(inheritedEntity(identity, undefined, {})).toEqual({
      ...identity,
      workload_size: 'Small',
      scale_to_zero_enabled: false,
    });
    expect(inheritedEntity(identity, undefined, { workload_type: 'GPU_SMALL' })).toMatchObject({
      workload_size: 'Small',
      workload_type: 'GPU_SMALL',
    });
  });

  it('says which settings come from the plan and which are inherited', () => {
    expect(entitySettingSources({})).toEqual({ overridden: [], inherited: [...ENTITY_SETTINGS] });
    const sources = entitySettingSources({ workload_size: 'Large', scale_to_zero_enabled: false });
    expect(sources.overridden).toEqual(['workload_size', 'scale_to_zero_enabled']);
    expect(sources.inherited).toEqual([
      'workload_type',
      'environment_vars',
      'instance_profile_arn',
      'min_provisioned_throughput',
      'max_provisioned_throughput',
      'provisioned_model_units',
      'burst_scaling_enabled',
    ]);
  });
});

describe('replacedEntity', () => {
  const older = { ...current, name: 'fraud_detector-2', entity_version: '2' };

  it('is the replaced entity with most traffic, never another model', () => {
    const base = config([scorer, older, current], [50, 10, 40]);
    expect(replacedEntity(base, identity, true)?.name).toBe('fraud_detector-3');
    expect(replacedEntity(base, identity, true, 'fraud_detector-2')?.name).toBe('fraud_detector-2');
    // Before shared endpoints every other entity was replaced, the other model's too.
    expect(replacedEntity(base, identity, false)?.name).toBe('fraud_scorer-1');
  });

  it('is undefined when the endpoint serves none of the model', () => {
    expect(replacedEntity(config([scorer], [100]), identity, true)).toBeUndefined();
  });
});

describe('sameConfig compares every field', () => {
  const base = config([current, scorer], [70, 30]);

  it.each(ENTITY_SETTINGS.map((key) => [key]))('tells configs apart by %s', (key) => {
    const changed: Record<string, unknown> = {
      workload_size: 'Small',
      workload_type: 'GPU_SMALL',
      scale_to_zero_enabled: true,
      environment_vars: { ...current.environment_vars, MODE: 'lenient' },
      instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/other',
      min_provisioned_concurrency: 8,
      max_provisioned_concurrency: 16,
      min_provisioned_throughput: 10,
      max_provisioned_throughput: 200,
      provisioned_model_units: 100,
      burst_scaling_enabled: true,
    };
    const other = config([{ ...current, [key]: changed[key] }, scorer], [70, 30]);
    expect(sameConfig(base, other)).toBe(false);
    // And by the field's absence.
    const { [key]: _dropped, ...without } = current;
    if (key !== 'scale_to_zero_enabled' && key !== 'workload_type' && key !== 'workload_size')
      expect(sameConfig(base, config([without as ServedEntity, scorer], [70, 30]))).toBe(false);
  });

  it('tells a secret reference from its resolved value', () => {
    const resolved = { ...current, environment_vars: { ...current.environment_vars, FEATURE_TOKEN: 's3cr3t' } };
    expect(sameConfig(base, config([resolved, scorer], [70, 30]))).toBe(false);
  });

  it('ignores the order of environment variables and entities, and the API defaults', () => {
    const reordered = { ...current, environment_vars: { MODE: 'strict', FEATURE_TOKEN: '{{secrets/features/token}}' } };
    expect(sameConfig(base, config([scorer, reordered], [30, 70]))).toBe(true);
    const cpu = { ...scorer, workload_type: 'CPU' };
    expect(sameConfig(base, config([current, cpu], [70, 30]))).toBe(true);
    const { environment_vars: _vars, ...plain } = scorer;
    expect(sameConfig(config([plain], [100]), config([{ ...plain, environment_vars: {} }], [100]))).toBe(true);
  });

  it('configOf records every field the API returns, and makes none up', () => {
    const { name, entity_name, entity_version, ...settings } = current;
    const recorded = configOf({
      served_entities: [
        {
          name,
          entity_name,
          entity_version,
          ...settings,
          creator: 'someone',
          creation_timestamp: 1,
          state: { deployment: 'DEPLOYMENT_READY' },
        },
      ],
      served_models: [],
      traffic_config: { routes: [{ served_entity_name: name, traffic_percentage: 100 }] },
    });
    expect(recorded.servedEntities).toEqual([current]);
    expect(recorded.servedEntities[0]).not.toHaveProperty('workload_size');
  });
});
