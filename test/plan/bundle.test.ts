import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { describePlan } from '../../src/plan/describe';
import { loadPlan, PlanError } from '../../src/plan/load';
import { planSchema, type PlanFileInput } from '../../src/plan/schema';
import { planInput, tempFiles } from './helpers';

const root = join(__dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

function loadProblems(path: string): string[] {
  try {
    loadPlan(path);
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected the plan to be refused');
}

/** planInput() with each region's workspace given by `workspaces` (in order) and the plan's bundle. */
function bundlePlan(bundle: string | undefined, ...workspaces: PlanFileInput['regions'][number]['workspace'][]) {
  const plan = planInput();
  const file: PlanFileInput = {
    ...plan,
    ...(bundle === undefined ? {} : { bundle }),
    regions: plan.regions.map((region, i) => ({ ...region, workspace: workspaces[i] ?? region.workspace })),
  };
  return stringify(file);
}

const BUNDLE = {
  bundle: { name: 'churn' },
  workspace: { host: 'https://adb-999.9.azuredatabricks.net' },
  targets: {
    'dev-us': { default: true, workspace: { profile: 'us-profile' } },
    'prod-eu': { workspace: { host: 'https://adb-2.3.azuredatabricks.net' } },
    both: { workspace: { profile: 'both-profile', host: 'https://adb-4.5.azuredatabricks.net' } },
    bare: { mode: 'production' },
    empty: null,
  },
};

describe('plans that take workspaces from a Databricks Asset Bundle', () => {
  it('resolves each bundle_target to the target profile or host, a profile winning, else the top-level workspace', () => {
    const dir = tempFiles({
      'plan.yaml': bundlePlan(
        'bundle/databricks.yml',
        { bundle_target: 'dev-us' },
        { bundle_target: 'both' },
        { bundle_target: 'prod-eu' },
      ),
    });
    mkdirSync(join(dir, 'bundle'));
    writeFileSync(join(dir, 'bundle', 'databricks.yml'), stringify(BUNDLE));
    const loaded = loadPlan(join(dir, 'plan.yaml'));
    expect(loaded.plan.regions.map((r) => r.workspace)).toEqual([
      { profile: 'us-profile' },
      { profile: 'both-profile' },
      { host: 'https://adb-2.3.azuredatabricks.net' },
    ]);
    // The plan the workflows get is a plain plan: no bundle, no bundle_target, and planSchema (strict) accepts it.
    expect(loaded.plan).not.toHaveProperty('bundle');
    expect(planSchema.parse(loaded.plan)).toEqual(loaded.plan);
    expect(loaded.workspaceSources).toEqual({
      'us-east-1': { bundle: 'bundle/databricks.yml', target: 'dev-us', from: 'target' },
      'eu-west-1': { bundle: 'bundle/databricks.yml', target: 'both', from: 'target' },
      'ap-south-1': { bundle: 'bundle/databricks.yml', target: 'prod-eu', from: 'target' },
    });

    const fallback = tempFiles({
      'plan.yaml': bundlePlan('databricks.yml', { bundle_target: 'bare' }, { bundle_target: 'empty' }),
      'databricks.yml': stringify(BUNDLE),
    });
    const { plan, workspaceSources } = loadPlan(join(fallback, 'plan.yaml'));
    // Regions that write their own workspace keep it, and have no source.
    expect(plan.regions.map((r) => r.workspace)).toEqual([
      { host: 'https://adb-999.9.azuredatabricks.net' },
      { host: 'https://adb-999.9.azuredatabricks.net' },
      { host: 'https://adb-1.2.azuredatabricks.net' },
    ]);
    expect(workspaceSources).toEqual({
      'us-east-1': { bundle: 'databricks.yml', target: 'bare', from: 'bundle' },
      'eu-west-1': { bundle: 'databricks.yml', target: 'empty', from: 'bundle' },
    });
    // A top-level profile wins over a top-level host too.
    const profiled = tempFiles({
      'plan.yaml': bundlePlan('databricks.yml', { bundle_target: 'bare' }),
      'databricks.yml': stringify({
        ...BUNDLE,
        workspace: { host: 'https://adb-7.azuredatabricks.net', profile: 'p' },
      }),
    });
    expect(loadPlan(join(profiled, 'plan.yaml')).plan.regions[0].workspace).toEqual({ profile: 'p' });
  });

  it('says in rollout plan which target a workspace came from', () => {
    const dir = tempFiles({
      'plan.yaml': bundlePlan('databricks.yml', { bundle_target: 'dev-us' }, { bundle_target: 'bare' }),
      'databricks.yml': stringify(BUNDLE),
    });
    const { plan, edgeCases, workspaceSources } = loadPlan(join(dir, 'plan.yaml'));
    const text = describePlan(plan, edgeCases, {}, workspaceSources);
    expect(text).toContain(
      '    workspace:     profile us-profile (~/.databrickscfg; from target dev-us of the bundle databricks.yml)\n',
    );
    expect(text).toContain(
      "    workspace:     host https://adb-999.9.azuredatabricks.net (credentials from the worker's DATABRICKS_* environment; from the top-level workspace of the bundle databricks.yml (its target bare sets none))\n",
    );
    expect(text).toContain(
      "    workspace:     host https://adb-1.2.azuredatabricks.net (credentials from the worker's DATABRICKS_* environment)\n",
    );
  });

  it('names the target and lists the bundle targets when a target is missing', () => {
    const dir = tempFiles({
      'plan.yaml': bundlePlan('databricks.yml', { bundle_target: 'dev-us' }, { bundle_target: 'prod-eu' }),
      'databricks.yml': stringify({ targets: { dev: { workspace: { profile: 'd' } }, 'prod-us': null } }),
      'included.yaml': bundlePlan('included.yml', { bundle_target: 'prod' }),
      'included.yml': stringify({ include: ['targets/*.yml'], workspace: { profile: 'x' } }),
    });
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      'regions[0].workspace.bundle_target: target "dev-us" is not in databricks.yml (targets: dev, prod-us)',
      'regions[1].workspace.bundle_target: target "prod-eu" is not in databricks.yml (targets: dev, prod-us)',
    ]);
    expect(loadProblems(join(dir, 'included.yaml'))).toEqual([
      'regions[0].workspace.bundle_target: target "prod" is not in included.yml (it has no targets); files under its include: are not read, so a target must be in included.yml itself',
    ]);
  });

  it('reports an unreadable, missing, directory, non-YAML or malformed bundle once, under bundle', () => {
    const dir = tempFiles({
      'missing.yaml': bundlePlan('nope/databricks.yml', { bundle_target: 'a' }, { bundle_target: 'b' }),
      'dir.yaml': bundlePlan('.', { bundle_target: 'a' }),
      'yaml.yaml': bundlePlan('bad.yml', { bundle_target: 'a' }),
      'bad.yml': 'targets:\n  dev: [unclosed\n',
      'multi.yaml': bundlePlan('multi.yml', { bundle_target: 'a' }),
      'multi.yml': 'targets: {}\n---\ntargets: {}\n',
      'list.yaml': bundlePlan('list.yml', { bundle_target: 'a' }),
      'list.yml': '- dev\n- prod\n',
      'targets.yaml': bundlePlan('targets.yml', { bundle_target: 'a' }),
      'targets.yml': 'targets: [dev, prod]\n',
      'shape.yaml': bundlePlan('shape.yml', { bundle_target: 'a' }, { bundle_target: 'b' }, { bundle_target: 'c' }),
      'shape.yml': stringify({
        targets: { a: 'prod', b: { workspace: 'https://adb-1.azuredatabricks.net' }, c: { workspace: { host: 7 } } },
      }),
      'big.yaml': bundlePlan('big.yml', { bundle_target: 'a' }),
      'big.yml': `# ${'x'.repeat(1024 * 1024)}\n`,
    });
    expect(loadProblems(join(dir, 'missing.yaml'))).toEqual([
      `bundle: cannot read ${join(dir, 'nope/databricks.yml')}: ENOENT: no such file or directory, open '${join(dir, 'nope/databricks.yml')}'`,
    ]);
    expect(loadProblems(join(dir, 'dir.yaml'))).toEqual([
      `bundle: ${dir} is a directory; write the path of the bundle's configuration file, e.g. bundle: databricks.yml`,
    ]);
    expect(loadProblems(join(dir, 'yaml.yaml'))).toEqual([
      expect.stringMatching(
        new RegExp(`^bundle: ${join(dir, 'bad.yml')}: not valid YAML: .* at line \\d+, column \\d+$`),
      ),
    ]);
    expect(loadProblems(join(dir, 'multi.yaml'))).toEqual([
      `bundle: ${join(dir, 'multi.yml')}: not valid YAML: the file holds several documents (separated by ---); a bundle configuration is one document`,
    ]);
    expect(loadProblems(join(dir, 'list.yaml'))).toEqual([
      'bundle: list.yml is not a bundle configuration: a databricks.yml is a YAML mapping (bundle, workspace, targets, ...)',
    ]);
    expect(loadProblems(join(dir, 'targets.yaml'))).toEqual([
      'bundle: targets.yml: targets: targets must be a mapping of target names',
    ]);
    expect(loadProblems(join(dir, 'shape.yaml'))).toEqual([
      'regions[0].workspace.bundle_target: shape.yml: targets.a: a target must be a mapping (workspace, mode, ...)',
      'regions[1].workspace.bundle_target: shape.yml: targets.b.workspace: workspace must be a mapping (profile, host, ...)',
      'regions[2].workspace.bundle_target: shape.yml: targets.c.workspace.host: write the workspace URL as a string',
    ]);
    expect(loadProblems(join(dir, 'big.yaml'))).toEqual([
      `bundle: ${join(dir, 'big.yml')} is ${1024 * 1024 + 3} bytes, over the limit of 1 MiB (1048576); a bundle configuration is a few KiB`,
    ]);
  });

  it('refuses a bundle_target without the plan-level bundle, and a bad bundle field', () => {
    const dir = tempFiles({
      'none.yaml': bundlePlan(undefined, { bundle_target: 'dev-us' }),
      'empty.yaml': bundlePlan('', { bundle_target: 'dev-us' }),
      'number.yaml': bundlePlan(undefined, { bundle_target: 'dev-us' }).replace(/^/, 'bundle: 3\n'),
    });
    expect(loadProblems(join(dir, 'none.yaml'))).toEqual([
      "regions[0].workspace.bundle_target: the plan names no bundle; add bundle: <path of the bundle's databricks.yml, relative to the plan> at the top of the plan, or write the workspace's profile or host",
    ]);
    expect(loadProblems(join(dir, 'empty.yaml'))).toEqual([
      "bundle: write the path of the bundle's databricks.yml, relative to the plan, e.g. bundle: ../databricks.yml",
    ]);
    expect(loadProblems(join(dir, 'number.yaml'))).toEqual([
      "bundle: write the path of the bundle's databricks.yml, relative to the plan, e.g. bundle: ../databricks.yml",
    ]);
  });

  it('refuses a workspace that mixes bundle_target with profile or host, or has other keys', () => {
    const dir = tempFiles({
      'plan.yaml': bundlePlan('databricks.yml', { bundle_target: 'dev-us', profile: 'x' }, { bundle_target: '' }, {
        bundle_target: 'dev-us',
        target: 'x',
      } as any),
      'databricks.yml': stringify(BUNDLE),
    });
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      'regions[0].workspace: give exactly one of profile, host or bundle_target',
      'regions[1].workspace.bundle_target: write the name of a target of the bundle, e.g. bundle_target: prod-eu',
      'regions[2].workspace.target: unknown field; remove it or correct its spelling',
    ]);
  });

  it('refuses bundle variables, empty values and a host that is not a workspace URL', () => {
    const dir = tempFiles({
      'plan.yaml': bundlePlan(
        'databricks.yml',
        { bundle_target: 'var-host' },
        { bundle_target: 'var-profile' },
        { bundle_target: 'bad-host' },
      ),
      'more.yaml': bundlePlan('databricks.yml', { bundle_target: 'empty-profile' }, { bundle_target: 'top' }),
      'databricks.yml': stringify({
        workspace: { host: '${var.default_host}' },
        targets: {
          'var-host': { workspace: { host: '${var.eu_host}' } },
          'var-profile': { workspace: { profile: 'ws-${bundle.target}' } },
          'bad-host': { workspace: { host: 'https://token:dapi123@adb-1.azuredatabricks.net' } },
          'empty-profile': { workspace: { profile: ' ' } },
          top: {},
        },
      }),
    });
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      'regions[0].workspace.bundle_target: databricks.yml: targets.var-host.workspace.host is "${var.eu_host}": bundle variables and substitutions (${var.eu_host}) are not resolved by rollout; write the workspace URL itself in databricks.yml',
      'regions[1].workspace.bundle_target: databricks.yml: targets.var-profile.workspace.profile is "ws-${bundle.target}": bundle variables and substitutions (${bundle.target}) are not resolved by rollout; write the profile name itself in databricks.yml',
      'regions[2].workspace.bundle_target: databricks.yml: targets.bad-host.workspace.host: write the workspace URL, e.g. https://adb-123.4.azuredatabricks.net (scheme and host only): no user or password in the URL',
    ]);
    expect(loadProblems(join(dir, 'more.yaml'))).toEqual([
      'regions[0].workspace.bundle_target: databricks.yml: targets.empty-profile.workspace.profile is empty; write the profile name',
      'regions[1].workspace.bundle_target: databricks.yml: workspace.host is "${var.default_host}": bundle variables and substitutions (${var.default_host}) are not resolved by rollout; write the workspace URL itself in databricks.yml',
    ]);
  });

  it('names a target with no workspace anywhere', () => {
    const dir = tempFiles({
      'plan.yaml': bundlePlan('databricks.yml', { bundle_target: 'bare' }),
      'databricks.yml': stringify({ bundle: { name: 'x' }, targets: { bare: { mode: 'development' } } }),
    });
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      'regions[0].workspace.bundle_target: target "bare" in databricks.yml sets neither workspace.profile nor workspace.host, and neither does the bundle\'s top-level workspace; add targets.bare.workspace.profile (a ~/.databrickscfg profile) or targets.bare.workspace.host',
    ]);
  });

  it('reports bundle problems together with the rest of the plan', () => {
    const dir = tempFiles({
      'plan.yaml': stringify({
        ...(planInput() as any),
        bundle: 'databricks.yml',
        primary: 'us-west-2',
        regions: [
          { name: 'us-east-1', workspace: { bundle_target: 'missing' }, endpoint: 'churn' },
          { name: 'eu-west-1', workspace: { bundle_target: 'dev-us' }, endpoint: 'churn', shared_catalog: 'ml_shared' },
        ],
      }),
      'databricks.yml': stringify(BUNDLE),
    });
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      'regions[0].shared_catalog: name the Delta Sharing catalog through which us-east-1 reads the model (only the primary may omit it)',
      'primary: "us-west-2" is not one of regions[].name',
      'regions[0].workspace.bundle_target: target "missing" is not in databricks.yml (targets: dev-us, prod-eu, both, bare, empty)',
    ]);
  });

  it('loads the example bundle plan as the three-regions plan', () => {
    const bundled = loadPlan(join(root, 'examples/plans/bundle/plan.yaml'));
    const plain = loadPlan(join(root, 'examples/plans/three-regions.yaml'));
    // The same plan, but for the edge-case file's path, which is relative to each plan.
    expect(bundled.plan).toEqual({
      ...plain.plan,
      tests: {
        ...plain.plan.tests,
        edge_cases: { ...plain.plan.tests.edge_cases, file: '../fraud-detector-edge-cases.jsonl' },
      },
    });
    expect(bundled.edgeCases).toEqual(plain.edgeCases);
    expect(bundled.workspaceSources).toEqual({
      'us-east-1': { bundle: 'databricks.yml', target: 'dev-us', from: 'target' },
      'eu-west-1': { bundle: 'databricks.yml', target: 'dev-eu', from: 'target' },
      'ap-southeast-1': { bundle: 'databricks.yml', target: 'dev-ap', from: 'target' },
    });
    expect(plain.workspaceSources).toEqual({});
  });

  it('validates the example bundle plan with the CLI (exit 0)', async () => {
    const path = 'examples/plans/bundle/plan.yaml';
    // execFile rejects on any exit code but 0.
    const { stdout, stderr } = await promisify(execFile)(tsx, ['src/client.ts', 'validate', path], { cwd: root });
    expect(stderr).toBe('');
    expect(stdout).toBe(
      `OK ${path}: main.ml.fraud_detector, 3 regions in 2 waves, 2 stages, 8 edge cases; worst case 1.76h\n`,
    );
  });
});
