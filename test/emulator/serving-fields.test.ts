/**
 * Every served-entity and endpoint field round-trips through the emulator's HTTP API exactly as written: create,
 * PUT .../config, GET, the pending config, PATCH .../tags. Secret references come back as written, never resolved.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import type { WorldInput } from '../../src/emulator/world';
import { call, eventually, MODEL, testWorld } from '../support/emulator';

let emu: RunningEmulator;

beforeEach(async () => {
  emu = await startEmulator(
    testWorld({
      models: [
        {
          name: MODEL,
          versions: [
            { version: 1, behavior: 'champion', aliases: ['champion'] },
            { version: 2, behavior: 'challenger' },
          ],
        },
      ],
    }),
  );
});
afterEach(() => emu.close());

const API = '/api/2.0/serving-endpoints';
const get = (name: string) => call(emu, 'us-east-1', 'GET', `${API}/${name}`);
const create = (body: unknown) => call(emu, 'us-east-1', 'POST', API, { body });
const settled = (name: string) =>
  eventually(async () => {
    const e = await get(name);
    return e.body.state.config_update === 'NOT_UPDATING' ? e : undefined;
  });

/** Every compute field a served entity can carry, with a GPU workload type and a secret reference. */
const FULL_ENTITY = {
  name: 'churn-1',
  entity_name: MODEL,
  entity_version: '1',
  workload_type: 'GPU_MEDIUM',
  scale_to_zero_enabled: false,
  environment_vars: {
    FEATURE_STORE_TOKEN: '{{secrets/feature-store/token}}',
    MODE: 'strict',
    EMPTY: '',
  },
  instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/serving-gpu',
  min_provisioned_concurrency: 4,
  max_provisioned_concurrency: 12,
  provisioned_model_units: 50,
  burst_scaling_enabled: true,
};

const ENDPOINT_FIELDS = {
  tags: [{ key: 'team', value: 'fraud' }, { key: 'cost-center' }],
  budget_policy_id: 'budget-policy-0042',
  email_notifications: { on_update_failure: ['ml-oncall@example.com'], on_update_success: ['ml@example.com'] },
  telemetry_config: { enabled: true, destination: { catalog_name: 'main', schema_name: 'telemetry' } },
};

const inputFields = (entity: Record<string, unknown>) => {
  const { creator: _c, creation_timestamp: _t, state: _s, ...rest } = entity;
  return rest;
};

describe('served-entity fields', () => {
  it('returns every field of the create body as written, in config and pending_config', async () => {
    const created = await create({ name: 'full', config: { served_entities: [FULL_ENTITY] }, ...ENDPOINT_FIELDS });
    expect(created.status).toBe(200);
    expect(inputFields(created.body.pending_config.served_entities[0])).toEqual(FULL_ENTITY);

    const served = await settled('full');
    expect(inputFields(served.body.config.served_entities[0])).toEqual(FULL_ENTITY);
    // Provisioned concurrency sizes the entity: no workload_size is made up.
    expect(served.body.config.served_entities[0]).not.toHaveProperty('workload_size');
    // The secret reference is kept as written, not resolved.
    expect(served.body.config.served_entities[0].environment_vars.FEATURE_STORE_TOKEN).toBe(
      '{{secrets/feature-store/token}}',
    );
  });

  it('keeps the fields through PUT .../config and redeploys an entity whose fields change', async () => {
    await create({ name: 'full', config: { served_entities: [FULL_ENTITY] } });
    const first = await settled('full');
    const createdAt = first.body.config.served_entities[0].creation_timestamp;

    // The same entity again: it keeps running (same creation time).
    const same = await call(emu, 'us-east-1', 'PUT', `${API}/full/config`, {
      body: { served_entities: [FULL_ENTITY] },
    });
    expect(same.status).toBe(200);
    const kept = await settled('full');
    expect(kept.body.config.served_entities[0].creation_timestamp).toBe(createdAt);

    await new Promise((resolve) => setTimeout(resolve, 5));
    const changed = { ...FULL_ENTITY, environment_vars: { ...FULL_ENTITY.environment_vars, MODE: 'lenient' } };
    expect(
      (await call(emu, 'us-east-1', 'PUT', `${API}/full/config`, { body: { served_entities: [changed] } })).status,
    ).toBe(200);
    const after = await settled('full');
    expect(inputFields(after.body.config.served_entities[0])).toEqual(changed);
    expect(after.body.config.served_entities[0].creation_timestamp).toBeGreaterThan(createdAt);
  });

  it('keeps the fields in the legacy served_models form too', async () => {
    const { entity_name: _n, entity_version: _v, ...compute } = FULL_ENTITY;
    const model = { ...compute, model_name: MODEL, model_version: '1' };
    expect((await create({ name: 'legacy', config: { served_models: [model] } })).status).toBe(200);
    const served = await settled('legacy');
    expect(inputFields(served.body.config.served_models[0])).toEqual(model);
  });

  it.each([
    [{ environment_vars: ['A=1'] }, "'served_entities[0].environment_vars' must be an object"],
    [{ environment_vars: { '1BAD': 'x' } }, `has the name "1BAD"`],
    [{ environment_vars: { PORT: 8080 } }, "'served_entities[0].environment_vars.PORT' must be a string"],
    [{ environment_vars: { KEY: '{{secrets/only-scope}}' } }, 'write it as {{secrets/<scope>/<key>}}'],
    [{ instance_profile_arn: 'serving-gpu' }, "'served_entities[0].instance_profile_arn' must be an instance profile"],
    [{ min_provisioned_concurrency: -1 }, "'served_entities[0].min_provisioned_concurrency' must be a whole number"],
    [{ max_provisioned_concurrency: 2.5 }, "'served_entities[0].max_provisioned_concurrency' must be a whole number"],
    [{ provisioned_model_units: '50' }, "'served_entities[0].provisioned_model_units' must be a whole number"],
    [
      { min_provisioned_concurrency: 8, max_provisioned_concurrency: 4 },
      "'served_entities[0].min_provisioned_concurrency' (8) must not be above",
    ],
    [
      { workload_size: 'Small', min_provisioned_concurrency: 4, max_provisioned_concurrency: 8 },
      'sets both workload_size and min/max_provisioned_concurrency',
    ],
    [{ burst_scaling_enabled: 'yes' }, "'served_entities[0].burst_scaling_enabled' must be true or false"],
    [{ workload_type: 'GPU_HUGE' }, "'served_entities[0].workload_type' must be one of"],
  ])('refuses %j with 400 INVALID_PARAMETER_VALUE naming the field', async (fields, message) => {
    const answer = await create({
      name: 'bad',
      config: { served_entities: [{ entity_name: MODEL, entity_version: '1', ...fields }] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(answer.body.message).toContain(message);
    // Nothing half-applied: the endpoint was not created.
    expect((await get('bad')).status).toBe(404);
  });

  it('accepts every GPU workload type', async () => {
    const types = ['GPU_SMALL', 'GPU_MEDIUM', 'GPU_LARGE', 'GPU_XLARGE', 'GPU_XLARGE_8', 'MULTIGPU_MEDIUM'];
    for (const [i, workload_type] of types.entries()) {
      const answer = await create({
        name: `gpu-${i}`,
        config: { served_entities: [{ entity_name: MODEL, entity_version: '1', workload_type }] },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.pending_config.served_entities[0].workload_type).toBe(workload_type);
    }
  });
});

describe('endpoint fields', () => {
  it('returns tags, budget_policy_id, email_notifications and telemetry_config on create and GET', async () => {
    const created = await create({ name: 'full', config: { served_entities: [FULL_ENTITY] }, ...ENDPOINT_FIELDS });
    expect(created.body).toMatchObject(ENDPOINT_FIELDS);
    const served = await settled('full');
    expect(served.body).toMatchObject(ENDPOINT_FIELDS);
    expect(served.body.tags).toEqual(ENDPOINT_FIELDS.tags);
    // The list form carries the summary fields.
    const list = await call(emu, 'us-east-1', 'GET', API);
    const summary = list.body.endpoints.find((e: any) => e.name === 'full');
    expect(summary).toMatchObject({
      tags: ENDPOINT_FIELDS.tags,
      budget_policy_id: ENDPOINT_FIELDS.budget_policy_id,
      telemetry_config: ENDPOINT_FIELDS.telemetry_config,
    });
  });

  it('keeps the endpoint fields through config updates', async () => {
    await create({ name: 'full', config: { served_entities: [FULL_ENTITY] }, ...ENDPOINT_FIELDS });
    await settled('full');
    const other = { entity_name: MODEL, entity_version: '2', workload_size: 'Medium' };
    await call(emu, 'us-east-1', 'PUT', `${API}/full/config`, { body: { served_entities: [other] } });
    const after = await settled('full');
    expect(after.body).toMatchObject(ENDPOINT_FIELDS);
  });

  it.each([
    [{ budget_policy_id: 42 }, "'budget_policy_id' must be the id of a budget policy"],
    [{ email_notifications: ['a@example.com'] }, "'email_notifications' must be an object"],
    [{ email_notifications: { on_update_failure: 'a@example.com' } }, "'email_notifications.on_update_failure'"],
    [{ email_notifications: { on_failure: ['a@example.com'] } }, "'email_notifications.on_failure' is not a field"],
    [{ telemetry_config: 'on' }, "'telemetry_config' must be a JSON object"],
    [{ tags: [{ key: 'a' }, { key: 'a' }] }, "'tags' names the key 'a' twice"],
    [{ tags: [{ key: 'a', value: 1 }] }, "'tags[0]' must be"],
  ])('refuses %j with 400 naming the field', async (fields, message) => {
    const answer = await create({ name: 'bad', ...fields });
    expect(answer.status).toBe(400);
    expect(answer.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(answer.body.message).toContain(message);
    expect((await get('bad')).status).toBe(404);
  });

  it('PATCH .../tags adds, overwrites and deletes tags, and returns them all', async () => {
    await create({
      name: 'full',
      tags: [
        { key: 'team', value: 'fraud' },
        { key: 'tier', value: 'gold' },
      ],
    });
    const patched = await call(emu, 'us-east-1', 'PATCH', `${API}/full/tags`, {
      body: {
        add_tags: [
          { key: 'team', value: 'risk' },
          { key: 'owner', value: 'ana' },
        ],
        delete_tags: ['tier'],
      },
    });
    expect(patched.status).toBe(200);
    const expected = [
      { key: 'team', value: 'risk' },
      { key: 'owner', value: 'ana' },
    ];
    expect(patched.body).toEqual({ tags: expected });
    expect((await get('full')).body.tags).toEqual(expected);

    const bad = await call(emu, 'us-east-1', 'PATCH', `${API}/full/tags`, { body: { delete_tags: 'team' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("'delete_tags' must be an array");
    expect((await get('full')).body.tags).toEqual(expected);
  });
});

type WorldEndpoint = NonNullable<WorldInput['regions'][number]['endpoints']>[number];

describe('world endpoints', () => {
  const seeded = (
    entity: WorldEndpoint['served_entities'][number],
    fields: Partial<WorldEndpoint> = {},
  ): WorldInput => {
    const world = testWorld();
    return {
      ...world,
      regions: [
        { ...world.regions[0], endpoints: [{ name: 'seeded', served_entities: [entity], ...fields }] },
        world.regions[1],
      ],
    };
  };

  it('start serving every field the world gives them', async () => {
    const { name: _name, ...entity } = FULL_ENTITY;
    const seededEmu = await startEmulator(seeded(entity, ENDPOINT_FIELDS));
    try {
      const answer = await call(seededEmu, 'us-east-1', 'GET', `${API}/seeded`);
      expect(answer.body).toMatchObject(ENDPOINT_FIELDS);
      const { name: _n, ...served } = inputFields(answer.body.config.served_entities[0]);
      expect(served).toEqual(entity);
    } finally {
      await seededEmu.close();
    }
  });

  it('refuse a bad field at start, naming the endpoint and the field', async () => {
    const bad = seeded({ entity_name: MODEL, entity_version: '1', instance_profile_arn: 'nope' });
    await expect(startEmulator(bad)).rejects.toThrow(
      /regions\[0\]\.endpoints\[0\]: 'served_entities\[0\]\.instance_profile_arn' must be an instance profile ARN/,
    );
  });
});
