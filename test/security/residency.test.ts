/**
 * Data residency pieces on their own: the rule (src/shared/residency.ts), the plan field, and model version tags in
 * the emulator (world file, admin API, the MLflow Unity Catalog API a real client uses) and the typed client.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { DatabricksClient, DatabricksApiError } from '../../src/databricks';
import { planSchema } from '../../src/plan/schema';
import { allowedJurisdictions, RESIDENCY_TAG, residencyProblems, residencyTagValues } from '../../src/shared/residency';
import { ADMIN_TOKEN, call, MODEL, QUERY_TOKEN, SHARED_MODEL, testWorld } from '../support/emulator';

describe('residencyProblems', () => {
  const regions = [
    { region: 'us-east-1', jurisdiction: 'US' },
    { region: 'eu-west-1', jurisdiction: 'EU' },
  ];

  it('allows a version whose tag lists every region’s jurisdiction, in any case and spacing, or "*"', () => {
    expect(residencyProblems(MODEL, 3, { [RESIDENCY_TAG]: ' eu , US ' }, regions)).toEqual([]);
    expect(residencyProblems(MODEL, 3, { [RESIDENCY_TAG]: '*' }, [...regions, { region: 'x-1' }])).toEqual([]);
    expect(allowedJurisdictions('EU,UK')).toEqual(new Set(['EU', 'UK']));
  });

  it('names the version, the region, its jurisdiction and the tag for each region refused', () => {
    expect(residencyProblems(MODEL, 3, { [RESIDENCY_TAG]: 'EU' }, regions)).toEqual([
      `${MODEL} v3 may not be served in us-east-1 (jurisdiction US): its ${RESIDENCY_TAG} tag allows EU ("EU")`,
    ]);
  });

  it('refuses a tagged version in a region with no jurisdiction, and an untagged one where there is one', () => {
    expect(residencyProblems(MODEL, 3, { [RESIDENCY_TAG]: 'EU' }, [{ region: 'ap-southeast-1' }])[0]).toMatch(
      /restricted to EU .* the plan gives ap-southeast-1 no jurisdiction; set regions\[\]\.jurisdiction/,
    );
    expect(residencyProblems(MODEL, 3, {}, regions)).toHaveLength(2);
    expect(residencyProblems(MODEL, 3, {}, regions)[1]).toBe(
      `${MODEL} v3 may not be served in eu-west-1 (jurisdiction EU): the version has no ${RESIDENCY_TAG} tag in Unity Catalog; tag it, e.g. ${RESIDENCY_TAG} = EU`,
    );
    // Plans without jurisdictions and untagged versions: as before residency existed.
    expect(residencyProblems(MODEL, 3, {}, [{ region: 'us-east-1' }])).toEqual([]);
  });

  it('finds the tag whatever its case or surrounding spaces, and every such tag must allow the region', () => {
    const regions = [
      { region: 'us-east-1', jurisdiction: 'US' },
      { region: 'eu-west-1', jurisdiction: 'EU' },
    ];
    // Before: an EU-only version tagged with another spelling of the key passed into us-east-1.
    for (const key of [
      'Serving_Jurisdictions',
      'SERVING_JURISDICTIONS',
      'serving_jurisdictions ',
      ' serving_jurisdictions',
    ])
      expect(residencyProblems(MODEL, 3, { [key]: 'EU' }, regions)).toEqual([
        `${MODEL} v3 may not be served in us-east-1 (jurisdiction US): its ${RESIDENCY_TAG} tag allows EU ("EU")`,
      ]);
    expect(residencyTagValues({ Serving_Jurisdictions: 'EU', serving_jurisdictions: '*', other: 'US' })).toEqual([
      'EU',
      '*',
    ]);
    // A permissive spelling does not override a restrictive one.
    expect(
      residencyProblems(MODEL, 3, { Serving_Jurisdictions: 'EU', serving_jurisdictions: '*' }, regions),
    ).toHaveLength(1);
    expect(residencyProblems(MODEL, 3, { 'Serving_Jurisdictions ': 'eu,us' }, regions)).toEqual([]);
    // Keys that merely contain the name are other tags.
    expect(residencyTagValues({ serving_jurisdictions_old: 'EU', 'serving jurisdictions': 'EU' })).toEqual([]);
  });

  it('plans carry a jurisdiction per region', () => {
    const plan = planSchema.parse({
      model: MODEL,
      primary: 'us-east-1',
      regions: [{ name: 'us-east-1', workspace: { profile: 'p' }, endpoint: 'e', jurisdiction: 'US' }],
      stages: [{ name: 'canary', traffic: 10 }],
    });
    expect(plan.regions[0].jurisdiction).toBe('US');
  });
});

describe('model version tags in the emulator', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    const world = testWorld();
    world.models![0].versions = [
      { version: 1, behavior: 'champion', aliases: ['champion'], tags: { [RESIDENCY_TAG]: 'US' } },
    ];
    emu = await startEmulator(world);
  });
  afterAll(() => emu.close());
  const client = (region: string, token = ADMIN_TOKEN) =>
    new DatabricksClient({ host: emu.url(region), token, env: {} }).unityCatalog;

  it('reads tags from the world file and through the MLflow UC API, in its shape', async () => {
    expect(await client('us-east-1').getModelVersionTags(MODEL, 1)).toEqual({ [RESIDENCY_TAG]: 'US' });
    const raw = await call(
      emu,
      'us-east-1',
      'GET',
      `/api/2.0/mlflow/unity-catalog/model-versions/get?name=${MODEL}&version=1`,
    );
    expect(raw.status).toBe(200);
    expect(raw.body.model_version).toMatchObject({
      name: MODEL,
      version: '1',
      status: 'READY',
      tags: [{ key: RESIDENCY_TAG, value: 'US' }],
    });
    // Replicas see the primary's tags through the share.
    expect(await client('eu-west-1').getModelVersionTags(SHARED_MODEL, 1)).toEqual({ [RESIDENCY_TAG]: 'US' });
  });

  it('sets and deletes tags in the primary; a shared catalog is read-only; readers cannot write', async () => {
    await client('us-east-1').setModelVersionTag(MODEL, 1, RESIDENCY_TAG, 'US,EU');
    expect(await client('us-east-1').getModelVersionTags(MODEL, 1)).toEqual({ [RESIDENCY_TAG]: 'US,EU' });
    const removed = await call(emu, 'us-east-1', 'DELETE', '/api/2.0/mlflow/unity-catalog/model-versions/delete-tag', {
      body: { name: MODEL, version: '1', key: RESIDENCY_TAG },
    });
    expect(removed.status).toBe(200);
    expect(await client('us-east-1').getModelVersionTags(MODEL, 1)).toEqual({});
    await expect(client('eu-west-1').setModelVersionTag(SHARED_MODEL, 1, 'k', 'v')).rejects.toThrow(/read-only/);
    const denied = await client('us-east-1', QUERY_TOKEN)
      .setModelVersionTag(MODEL, 1, 'k', 'v')
      .catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(DatabricksApiError);
    expect((denied as DatabricksApiError).status).toBe(403);
  });

  it('answers bad requests naming the field, and unknown versions with 404', async () => {
    const missingName = await call(
      emu,
      'us-east-1',
      'GET',
      '/api/2.0/mlflow/unity-catalog/model-versions/get?version=1',
    );
    expect([missingName.status, missingName.body.message]).toEqual([
      400,
      "'name' is required: the model's catalog.schema.model.",
    ]);
    const badVersion = await call(emu, 'us-east-1', 'POST', '/api/2.0/mlflow/unity-catalog/model-versions/set-tag', {
      body: { name: MODEL, version: 'one', key: 'k', value: 'v' },
    });
    expect([badVersion.status, badVersion.body.message]).toEqual([
      400,
      "'version' must be a positive integer, got 'one'.",
    ]);
    const unknown = await call(
      emu,
      'us-east-1',
      'GET',
      `/api/2.0/mlflow/unity-catalog/model-versions/get?name=${MODEL}&version=99`,
    );
    expect(unknown.status).toBe(404);
  });

  it('registers versions with tags through the admin API', async () => {
    const res = await call(emu, 'us-east-1', 'POST', `/__emulator/models/${MODEL}/versions`, {
      token: null,
      body: { behavior: 'challenger', tags: { [RESIDENCY_TAG]: 'EU' } },
    });
    expect(res.status).toBe(200);
    expect(await client('us-east-1').getModelVersionTags(MODEL, res.body.version)).toEqual({ [RESIDENCY_TAG]: 'EU' });
  });
});
