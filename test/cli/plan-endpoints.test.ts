/**
 * `rollout plan --endpoints` reads each region's endpoint (over HTTP, from the emulator) and shows the new version's
 * served entity setting by setting: what the plan sets, what it inherits from the entity it replaces, what defaults.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { MODEL, SHARED_MODEL, testWorld } from '../support/emulator';
import { describeNewEntity } from '../../src/plan/entity-preview';
import { parsePlan, planInput, tempFiles } from '../plan/helpers';

let emu: RunningEmulator;
let configFile: string;

beforeEach(async () => {
  const world = testWorld({
    models: [
      {
        name: MODEL,
        versions: [
          { version: 1, behavior: 'champion' },
          { version: 2, behavior: 'challenger' },
        ],
      },
    ],
  });
  const [primary, replica] = world.regions;
  emu = await startEmulator({
    ...world,
    regions: [
      {
        ...primary,
        endpoints: [
          {
            name: 'churn',
            served_entities: [
              {
                name: 'churn-1',
                entity_name: MODEL,
                entity_version: '1',
                workload_type: 'GPU_SMALL',
                environment_vars: { TOKEN: '{{secrets/churn/token}}', PASSWORD: 'hunter2' },
                instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/churn',
                min_provisioned_concurrency: 2,
                max_provisioned_concurrency: 8,
              },
            ],
          },
        ],
      },
      // The replica's endpoint serves the model (as shared_ml.ml.churn) with the defaults.
      {
        ...replica,
        endpoints: [{ name: 'other', served_entities: [{ entity_name: SHARED_MODEL, entity_version: '1' }] }],
      },
    ],
  });
  configFile = join(tempFiles({ databrickscfg: emu.databricksConfig() }), 'databrickscfg');
});
afterEach(() => emu.close());

function planFile(eu: Record<string, unknown> = {}): string {
  const input = planInput();
  input.regions = [
    { ...input.regions[0], served_entity: { workload_type: 'GPU_MEDIUM' } },
    { ...input.regions[1], shared_catalog: 'shared_ml', endpoint: 'other', ...eu },
  ];
  return join(tempFiles({ 'plan.yaml': stringify(input) }), 'plan.yaml');
}

async function rollout(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: { DATABRICKS_CONFIG_FILE: configFile },
  });
  return { code, out, err };
}

it('shows each setting of the new entity and where it comes from; plain values are not printed', async () => {
  const run = await rollout('plan', planFile(), '--version', '2', '--endpoints');
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(run.out).toContain(
    [
      "The new version's served entity, from each endpoint now (rollout plan --endpoints)",
      '  us-east-1/churn: replaces churn-1 (v1, 100% of traffic); the new entity carries:',
      '    workload_type                GPU_MEDIUM (the plan)',
      '    scale_to_zero_enabled        false (inherited)',
      '    environment_vars             TOKEN={{secrets/churn/token}}, PASSWORD=(a plain value, not shown) (inherited)',
      '    instance_profile_arn         arn:aws:iam::123456789012:instance-profile/churn (inherited)',
      '    min_provisioned_concurrency  2 (inherited)',
      '    max_provisioned_concurrency  8 (inherited)',
      '  eu-west-1/other: replaces churn-1 (v1, 100% of traffic); the new entity carries:',
      '    workload_size                Small (inherited)',
      '    workload_type                CPU (inherited)',
      '    scale_to_zero_enabled        false (inherited)',
      '',
    ].join('\n'),
  );
  expect(run.out).not.toContain('hunter2');
});

it('a plan workload_size replaces inherited provisioned concurrency', async () => {
  const sized = planInput();
  sized.regions = [{ ...sized.regions[0], served_entity: { workload_size: 'Medium' } }];
  const file = join(tempFiles({ 'plan.yaml': stringify(sized) }), 'plan.yaml');
  const resized = await rollout('plan', file, '--version', '2', '--endpoints');
  expect(resized.code).toBe(0);
  expect(resized.out).toContain('    workload_size                Medium (the plan)\n');
  expect(resized.out).not.toContain('provisioned_concurrency');
});

it('says which endpoint it cannot read, and why, and exits 2', async () => {
  const run = await rollout('plan', planFile({ endpoint: 'missing' }), '--version', '2', '--endpoints');
  expect(run.code).toBe(2);
  expect(run.out).toContain('  us-east-1/churn: replaces churn-1');
  expect(run.out).toMatch(
    /\n {2}eu-west-1\/missing: cannot read it: .*missing.*; give this machine credentials for the workspace, or leave out --endpoints\n/,
  );
});

it('says when there is nothing to inherit from, and which settings are defaults', () => {
  const region = parsePlan(planInput()).regions[0];
  const other = { name: 'scorer-1', entity_name: 'main.ml.scorer', entity_version: '1', scale_to_zero_enabled: true };
  const config = { servedEntities: [other], routes: [{ served_entity_name: 'scorer-1', traffic_percentage: 100 }] };
  expect(describeNewEntity(region, MODEL, undefined, config)).toEqual([
    'us-east-1/churn: serves no entity of main.ml.churn to inherit from; the new entity carries:',
    '  workload_size                Small (default)',
    '  scale_to_zero_enabled        false (default)',
  ]);
});
