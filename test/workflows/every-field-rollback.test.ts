/**
 * Issue 13, "every field kept", on a real dev server and the emulator: an endpoint whose served entities carry every
 * setting (environment variables with a secret reference, instance profile, provisioned concurrency, throughput and
 * model units, burst scaling, GPU workload types) and which carries every endpoint field we keep (tags,
 * budget_policy_id, email_notifications, telemetry_config). The new version's served entity inherits the settings of
 * the entity it replaces (the plan overrides the workload type only); a rejected canary rolls back, and the endpoint's
 * whole GET body afterwards equals the one before, except the fields a config update legitimately changes.
 */
import { checkedRollouts } from '../support/invariant';
import { MODEL, Rig, until, useRig } from '../support/temporal';
import { rejectUpdate, rolloutStatusQuery } from '../../src/shared/messages';
import { rolloutReport } from '../../src/rollouts';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

const ENDPOINT = 'every-field';
const TOKEN = 'dapi-rollout-bot-0001';

/** The entity the new version replaces (most traffic): every setting, sized by provisioned concurrency, on a GPU. */
const MAIN = {
  name: 'fraud_detector-1',
  entity_name: MODEL,
  entity_version: '1',
  workload_type: 'GPU_MEDIUM',
  scale_to_zero_enabled: false,
  environment_vars: {
    FEATURE_STORE_TOKEN: '{{secrets/feature-store/token}}',
    MODEL_MODE: 'strict',
  },
  instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/fraud-serving',
  min_provisioned_concurrency: 4,
  max_provisioned_concurrency: 16,
  min_provisioned_throughput: 0,
  max_provisioned_throughput: 200,
  provisioned_model_units: 50,
  burst_scaling_enabled: false,
};
/** A second served entity of the model, with other settings: replaced too, and restored as it was. */
const SIDE = {
  name: 'fraud_detector-side',
  entity_name: MODEL,
  entity_version: '1',
  workload_size: 'Medium',
  workload_type: 'GPU_SMALL',
  scale_to_zero_enabled: true,
  environment_vars: { SIDE: '1', DB_PASSWORD: '{{secrets/side-scope/db-password}}' },
  burst_scaling_enabled: true,
};
const ENDPOINT_FIELDS = {
  tags: [{ key: 'team', value: 'fraud' }, { key: 'cost-center', value: 'cc-42' }, { key: 'pii' }],
  budget_policy_id: 'budget-policy-fraud',
  email_notifications: { on_update_failure: ['ml-oncall@example.com'], on_update_success: ['ml@example.com'] },
  telemetry_config: { enabled: true, destination: { catalog_name: 'main', schema_name: 'serving_telemetry' } },
};

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${rig.emu.url(rig.emu.world.primary)}/api/2.0/serving-endpoints${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}
const settled = () =>
  until('the endpoint to settle', async () => {
    const endpoint = await api('GET', `/${ENDPOINT}`);
    return endpoint.state.config_update === 'NOT_UPDATING' ? endpoint : undefined;
  });

/** A served entity's settings as the API returns them, without what the server adds (creator, time, state). */
const settingsOf = (entity: Record<string, unknown>) => {
  const {
    name: _n,
    entity_name: _e,
    entity_version: _v,
    creator: _c,
    creation_timestamp: _t,
    state: _s,
    ...settings
  } = entity;
  return settings;
};

it('inherits every setting into the new version and restores the whole endpoint exactly on rollback', async () => {
  await api('POST', '', {
    name: ENDPOINT,
    config: {
      served_entities: [MAIN, SIDE],
      traffic_config: {
        routes: [
          { served_entity_name: MAIN.name, traffic_percentage: 80 },
          { served_entity_name: SIDE.name, traffic_percentage: 20 },
        ],
      },
    },
    ...ENDPOINT_FIELDS,
  });
  const before = await settled();
  expect(before).toMatchObject(ENDPOINT_FIELDS);

  const version = await rig.register('candidate-good');
  const base = rig.plan({ stages: [{ name: 'canary', traffic: 10, bake: '200ms', approval: true }] });
  const plan = {
    ...base,
    // One region; the plan overrides the workload type alone, so every other setting is inherited.
    regions: [{ ...base.regions[0], endpoint: ENDPOINT, served_entity: { workload_type: 'GPU_LARGE' as const } }],
  };
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  await until('the canary to await approval', async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions[0]?.phase === 'awaiting-approval' ? status : undefined;
  });

  // The canary: both entities as they were, and the new version with MAIN's settings but the plan's workload type.
  const canary = await api('GET', `/${ENDPOINT}`);
  const entities = canary.config.served_entities as Record<string, unknown>[];
  expect(entities.map((e) => e.name)).toEqual([MAIN.name, SIDE.name, `fraud_detector-${version}`]);
  expect(settingsOf(entities[0])).toEqual(settingsOf(MAIN));
  expect(settingsOf(entities[1])).toEqual(settingsOf(SIDE));
  expect(entities[2]).toMatchObject({ entity_name: MODEL, entity_version: String(version) });
  expect(settingsOf(entities[2])).toEqual({ ...settingsOf(MAIN), workload_type: 'GPU_LARGE' });
  // The secret reference is carried as written.
  expect((entities[2].environment_vars as Record<string, string>).FEATURE_STORE_TOKEN).toBe(
    '{{secrets/feature-store/token}}',
  );
  expect(canary.config.traffic_config.routes.map((r: any) => r.traffic_percentage)).toEqual([72, 18, 10]);

  await handle.executeUpdate(rejectUpdate, { args: [{ approver: 'carol', reason: 'exact rollback test' }] });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('rolled-back');
  expect(report.regions.map((r) => r.outcome)).toEqual(['rolled-back']);
  // The rollback point recorded every field of both entities.
  expect(report.regions[0].rollbackPoint!.servedEntities).toEqual([MAIN, SIDE]);

  const after = await settled();
  // What a config update changes by itself, and nothing else: config_version counts every update (the canary's and
  // the restore's), and last_updated_timestamp is the time of the restore. The restored entities are the ones that
  // kept running through the canary, so even their creator and creation_timestamp are as before.
  const CHANGED = ['config.config_version', 'last_updated_timestamp'];
  expect(after.config.config_version).toBe(before.config.config_version + 2);
  expect(after.last_updated_timestamp).toBeGreaterThan(before.last_updated_timestamp);
  const without = (body: any) => {
    const copy = structuredClone(body);
    for (const path of CHANGED) {
      const keys = path.split('.');
      let at = copy;
      for (const key of keys.slice(0, -1)) at = at[key];
      delete at[keys.at(-1)!];
    }
    return copy;
  };
  expect(without(after)).toEqual(without(before));
  // And the fields compared are really there (a missing one would compare equal).
  expect(after).toMatchObject(ENDPOINT_FIELDS);
  expect(after.config.served_entities.map(settingsOf)).toEqual([settingsOf(MAIN), settingsOf(SIDE)]);
  await invariantHolds();
});
