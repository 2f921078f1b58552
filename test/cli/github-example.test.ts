/**
 * The example GitHub Actions workflow: its structure, the `rollout` commands and flags it uses (only ones the CLI has),
 * and its shell steps run for real under bash, as GitHub runs them, with fake `npx`, `gh` and `sleep` on PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadPlan } from '../../src/plan/load';

const root = join(__dirname, '../..');
const FILE = join(root, 'examples/github-actions/rollout.yml');
const text = readFileSync(FILE, 'utf8');
const workflow = parse(text);

/** Subcommands the example may use, with their flags. */
const ALLOWED: Record<string, string[]> = {
  start: ['--plan', '--version', '--alias', '--wait', '--timeout', '--json'],
  approve: ['--region', '--reason', '--as'],
  reject: ['--region', '--reason', '--as'],
  status: ['--json', '--once'],
};

type Step = { name?: string; id?: string; uses?: string; run?: string; with?: any; env?: Record<string, string> };
const steps = (job: string): Step[] => workflow.jobs[job].steps;
const step = (job: string, pattern: RegExp): Step => {
  const found = steps(job).find((s) => s.run !== undefined && pattern.test(s.run));
  if (!found) throw new Error(`no step of ${job} runs ${pattern}`);
  return found;
};

/** Every `npx rollout <command> ...` in the file (scripts and comments), continuation lines joined. */
function rolloutCommands(): { command: string; flags: string[]; line: string }[] {
  const joined = text.replace(/\s*\\\n\s*/g, ' ');
  return [...joined.matchAll(/npx rollout\s+([a-z-]+)([^\n]*)/g)].map((m) => ({
    command: m[1],
    flags: [...m[2].matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((f) => f[1]),
    line: m[0],
  }));
}

describe('examples/github-actions/rollout.yml', () => {
  it('is triggered by repository_dispatch (model-version-ready) and workflow_dispatch with a version', () => {
    expect(workflow.on.repository_dispatch).toEqual({ types: ['model-version-ready'] });
    expect(workflow.on.workflow_dispatch.inputs.version).toMatchObject({ required: true, type: 'string' });
    expect(workflow.permissions).toEqual({ contents: 'read' });
    // npx must never fetch a registry package in place of the local CLI.
    expect(workflow.env.npm_config_yes).toBe('false');
    // The plan it rolls out exists and is valid.
    expect(loadPlan(join(root, workflow.env.PLAN)).plan.model).toBe('main.ml.fraud_detector');
  });

  it('has prepare, rollout and approve jobs that check out, set up Node 20 and npm ci', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['prepare', 'rollout', 'approve']);
    for (const job of ['prepare', 'rollout', 'approve']) {
      const uses = steps(job).map((s) => s.uses ?? s.run);
      expect(uses.slice(0, 3)).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'npm ci']);
      expect(steps(job)[1].with['node-version']).toBe(20);
    }
    expect(workflow.jobs.rollout.needs).toBe('prepare');
    expect(workflow.jobs.approve.needs).toBe('prepare');
  });

  it('starts with --wait --timeout 2h and the Temporal connection from secrets', () => {
    const start = step('rollout', /npx rollout start/);
    expect(start.run).toContain('npx rollout start --plan "$PLAN" --version "$VERSION" --wait --timeout 2h');
    expect(start.env).toMatchObject({
      TEMPORAL_ADDRESS: '${{ secrets.TEMPORAL_ADDRESS }}',
      TEMPORAL_NAMESPACE: '${{ secrets.TEMPORAL_NAMESPACE }}',
      TEMPORAL_API_KEY: '${{ secrets.TEMPORAL_API_KEY }}',
      VERSION: '${{ needs.prepare.outputs.version }}',
    });
    // GitHub sets GITHUB_STEP_SUMMARY itself; the workflow must not point it elsewhere.
    expect(text).not.toMatch(/GITHUB_STEP_SUMMARY\s*:/);
  });

  it('approves in the production-approval environment, as the reviewer, with a reason', () => {
    expect(workflow.jobs.approve.environment).toBe('production-approval');
    expect(workflow.jobs.approve.if).toBe("needs.prepare.outputs.approval == 'true'");
    expect(workflow.jobs.approve.permissions).toEqual({ contents: 'read', actions: 'read' });
    const approve = step('approve', /npx rollout approve/);
    expect(approve.run!.replace(/\s*\\\n\s*/g, ' ')).toContain(
      'npx rollout approve "$ROLLOUT_ID" --region "$1" --as "$REVIEWER" --reason "Approved in GitHub by $REVIEWER ($RUN_URL)"',
    );
    expect(approve.env!.REVIEWER).toBe('${{ steps.reviewer.outputs.login }}');
  });

  it('uses only rollout commands and flags the CLI has', () => {
    const commands = rolloutCommands();
    expect(new Set(commands.map((c) => c.command))).toEqual(new Set(['start', 'approve', 'status']));
    for (const { command, flags, line } of commands) {
      expect({ line, known: command in ALLOWED }).toEqual({ line, known: true });
      for (const flag of flags)
        expect({ line, flag, allowed: ALLOWED[command].includes(flag) }).toMatchObject({ allowed: true });
    }
  });

  it('never expands event data or inputs inside a script (script injection)', () => {
    const scripts = Object.values<any>(workflow.jobs).flatMap((job) => (job.steps as Step[]).map((s) => s.run ?? ''));
    expect(scripts.join('\n')).not.toContain('${{');
  });
});

// ---- the scripts, run -------------------------------------------------------------------------------------------

/** A directory with fake commands: each logs its arguments to `calls`, and answers from `codes/<name>-<sub>`. */
function fakes(codes: Record<string, number[]> = {}, approvals?: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'gha-'));
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  for (const [key, list] of Object.entries(codes)) writeFileSync(join(dir, `codes-${key}`), list.join('\n') + '\n');
  const script = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  // The next exit code for this command: one line per call, the last one repeating.
  const answer = (key: string) => `f="${dir}/codes-${key}"
if [ -s "$f" ]; then
  code=$(head -n1 "$f"); if [ "$(wc -l < "$f")" -gt 1 ]; then sed -i 1d "$f"; fi; exit "$code"
fi
exit 0`;
  script('npx', `echo "npx $*" >> "${calls}"\n${answer('$1-$2')}`);
  script('sleep', `echo "sleep $*" >> "${calls}"`);
  writeFileSync(join(dir, 'approvals.json'), JSON.stringify(approvals ?? []));
  // gh api ... --jq FILTER: the filter runs on the fixture, as gh runs it on the API's answer.
  script(
    'gh',
    `echo "gh $*" >> "${calls}"\nwhile [ $# -gt 0 ]; do if [ "$1" = --jq ]; then jq -r "$2" "${dir}/approvals.json"; exit; fi; shift; done`,
  );
  return { dir, calls: () => readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
}

/** Runs a step's script as GitHub does (bash -eo pipefail), with the fakes first on PATH. */
function runStep(run: string, env: Record<string, string>, bin: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gha-run-'));
  const output = join(dir, 'output');
  const summary = join(dir, 'summary');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  writeFileSync(join(dir, 'step.sh'), run);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', join(dir, 'step.sh')], {
    cwd: root,
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      PLAN: workflow.env.PLAN,
      ...env,
    },
  });
  const outputs = Object.fromEntries(
    readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/=(.*)/s).slice(0, 2)),
  );
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    outputs,
    summary: readFileSync(summary, 'utf8'),
  };
}

describe('the prepare step', () => {
  const request = step('prepare', /GITHUB_OUTPUT/);
  const run = (env: Record<string, string>) => runStep(request.run!, env, fakes().dir);

  it('reads the version from the payload or the input, and the rollout id, regions and approval from the plan', () => {
    const dispatched = run({
      EVENT: 'repository_dispatch',
      PAYLOAD_MODEL: 'main.ml.fraud_detector',
      PAYLOAD_VERSION: '7',
    });
    expect(dispatched).toMatchObject({ code: 0, stderr: '' });
    expect(dispatched.outputs).toEqual({
      version: '7',
      'rollout-id': 'rollout-main.ml.fraud_detector-v7',
      regions: 'eu-west-1,us-east-1,ap-southeast-1',
      approval: 'true',
    });
    const manual = run({ EVENT: 'workflow_dispatch', INPUT_VERSION: '12', PAYLOAD_VERSION: '', PAYLOAD_MODEL: '' });
    expect(manual.outputs['rollout-id']).toBe('rollout-main.ml.fraud_detector-v12');
  });

  it('refuses a version that is not a number, and a payload for another model, naming the field', () => {
    const injected = run({
      EVENT: 'repository_dispatch',
      PAYLOAD_MODEL: 'main.ml.fraud_detector',
      PAYLOAD_VERSION: '7; rm -rf /',
    });
    expect(injected.code).toBe(2);
    expect(injected.stdout).toContain(
      "::error title=Invalid request::client_payload.version must be a model version number (1, 2, ...), got '7; rm -rf /'",
    );
    expect(injected.outputs).toEqual({});
    expect(run({ EVENT: 'workflow_dispatch', INPUT_VERSION: '0' }).stdout).toContain(
      "the version input must be a model version number (1, 2, ...), got '0'",
    );
    // A newline in the payload cannot start a workflow command of its own.
    const smuggled = run({ EVENT: 'repository_dispatch', PAYLOAD_MODEL: 'x', PAYLOAD_VERSION: '1\n::warning::50%' });
    expect(smuggled.stdout).toContain("got '1%0A::warning::50%25'");
    expect(smuggled.stdout.split('\n').filter((line) => line.startsWith('::'))).toHaveLength(1);
    const other = run({ EVENT: 'repository_dispatch', PAYLOAD_MODEL: 'main.ml.churn', PAYLOAD_VERSION: '3' });
    expect(other.code).toBe(2);
    expect(other.stdout).toContain(
      `client_payload.model is 'main.ml.churn' but ${workflow.env.PLAN} rolls out main.ml.fraud_detector`,
    );
  });
});

describe('the rollout step', () => {
  const start = step('rollout', /npx rollout start/);
  const env = { VERSION: '7', ROLLOUT_ID: 'rollout-main.ml.fraud_detector-v7', FAIL_WHILE_AWAITING_APPROVAL: 'false' };

  it.each([
    [0, 0],
    [2, 2],
    [3, 3],
    [5, 5],
    [1, 1],
  ])('exit %i of rollout start ends the job with %i', (startCode, jobCode) => {
    const bin = fakes({ 'rollout-start': [startCode] });
    const result = runStep(start.run!, env, bin.dir);
    expect(result.code).toBe(jobCode);
    expect(bin.calls()).toEqual([`npx rollout start --plan ${workflow.env.PLAN} --version 7 --wait --timeout 2h`]);
    expect(result.summary).toBe('');
  });

  it('notes a rollout still waiting for approval, prints its status, and succeeds unless told to fail', () => {
    const bin = fakes({ 'rollout-start': [4] });
    const result = runStep(start.run!, env, bin.dir);
    expect(result.code).toBe(0);
    expect(bin.calls()).toEqual([
      `npx rollout start --plan ${workflow.env.PLAN} --version 7 --wait --timeout 2h`,
      'npx rollout status rollout-main.ml.fraud_detector-v7',
    ]);
    expect(result.summary).toContain('## rollout-main.ml.fraud_detector-v7 is waiting for approval\n');
    expect(result.stdout).toContain('::warning title=Waiting for approval::');
    const strict = runStep(
      start.run!,
      { ...env, FAIL_WHILE_AWAITING_APPROVAL: 'true' },
      fakes({ 'rollout-start': [4] }).dir,
    );
    expect(strict.code).toBe(4);
  });
});

describe('the approve job', () => {
  const approve = step('approve', /npx rollout approve/);
  const env = {
    ROLLOUT_ID: 'rollout-main.ml.fraud_detector-v7',
    REGIONS: 'eu-west-1,us-east-1,ap-southeast-1',
    REVIEWER: 'carol',
    RUN_URL: 'https://github.com/acme/models/actions/runs/42',
  };
  const call = (region: string) =>
    `npx rollout approve rollout-main.ml.fraud_detector-v7 --region ${region} --as carol --reason Approved in GitHub by carol (https://github.com/acme/models/actions/runs/42)`;

  it('approves each region in wave order, waiting while the rollout refuses (nothing awaits approval yet)', () => {
    // eu-west-1: not started yet (6), then not awaiting approval yet (7), then approved.
    const bin = fakes({ 'rollout-approve': [6, 7, 0, 0, 0] });
    const result = runStep(approve.run!, env, bin.dir);
    expect(result.code).toBe(0);
    expect(bin.calls()).toEqual([
      call('eu-west-1'),
      'sleep 20',
      call('eu-west-1'),
      // Refused: is the rollout over? (The fake status says nothing, so it goes on waiting.)
      'npx rollout status rollout-main.ml.fraud_detector-v7 --json',
      'sleep 20',
      call('eu-west-1'),
      call('us-east-1'),
      call('ap-southeast-1'),
    ]);
  });

  it('stops at once on invalid input or when Temporal cannot be reached', () => {
    for (const code of [2, 3]) {
      const bin = fakes({ 'rollout-approve': [0, code] });
      expect(runStep(approve.run!, env, bin.dir).code).toBe(code);
      expect(bin.calls()).toEqual([call('eu-west-1'), call('us-east-1')]);
    }
  });

  const hasJq = spawnSync('jq', ['--version']).status === 0;
  (hasJq ? it : it.skip)('takes the reviewer from the run approvals, and refuses when nobody approved', () => {
    const reviewer = step('approve', /gh api/);
    const environment = (name: string) => [{ name }];
    const approvals = [
      { state: 'approved', environments: environment('staging'), user: { login: 'mallory' } },
      { state: 'rejected', environments: environment('production-approval'), user: { login: 'bob' } },
      { state: 'approved', environments: environment('production-approval'), user: { login: 'carol' } },
    ];
    const found = runStep(
      reviewer.run!,
      { GITHUB_REPOSITORY: 'acme/models', GITHUB_RUN_ID: '42' },
      fakes({}, approvals).dir,
    );
    expect(found).toMatchObject({ code: 0, outputs: { login: 'carol' } });
    const none = runStep(
      reviewer.run!,
      { GITHUB_REPOSITORY: 'acme/models', GITHUB_RUN_ID: '42' },
      fakes({}, approvals.slice(0, 2)).dir,
    );
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('::error title=No reviewer::nobody approved the production-approval environment');
    expect(none.outputs).toEqual({});
  });
});

it('the fakes are what the steps run (not a real npx)', () => {
  const bin = fakes({ 'rollout-status': [9] });
  expect(spawnSync(join(bin.dir, 'npx'), ['rollout', 'status', 'x']).status).toBe(9);
  expect(existsSync(join(bin.dir, 'gh'))).toBe(true);
  expect(
    execFileSync('bash', ['-c', 'command -v npx'], {
      env: { PATH: `${bin.dir}:/usr/bin:/bin` },
      encoding: 'utf8',
    }).trim(),
  ).toBe(join(bin.dir, 'npx'));
});
