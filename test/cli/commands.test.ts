/**
 * Every operational command and its exit codes, against a real Temporal dev server and the emulator: the CLI runs
 * in-process through main() with its own environment, as a pipeline would run it.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../src/cli/context';
import { rolloutStatusQuery } from '../../src/shared/messages';
import { runCli, writePlanFile, type CliRun } from '../support/cli';
import { Rig, until, useRig } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

const rollout = (args: string[], env: Record<string, string> = {}, isTTY = false): Promise<CliRun> =>
  runCli(rig, args, env, isTTY);

/** Writes a plan for the rig's world to a temporary file. */
const planFile = (overrides: Record<string, unknown> = {}): string => writePlanFile(rig.plan(overrides));

it('starts with --wait: one line per change without a TTY, exit 0, and a step summary for GitHub', async () => {
  const version = await rig.register('candidate-good');
  const summary = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md');
  const run = await rollout(['start', '--plan', planFile(), '--version', String(version), '--wait', '--as', 'ci-bot'], {
    GITHUB_STEP_SUMMARY: summary,
  });
  expect(run.err).toBe('');
  expect(run.code).toBe(EXIT.ok);
  expect(run.out).toContain(
    `started rollout rollout-main.ml.fraud_detector-v${version} (main.ml.fraud_detector v${version})`,
  );
  expect(run.out).toMatch(/^eu-west-1: baking \[canary\], new version at 10%$/m);
  expect(run.out).toMatch(/SUCCEEDED/);
  expect(run.out).not.toContain('\x1b[');
  const markdown = readFileSync(summary, 'utf8');
  expect(markdown).toContain('```mermaid');
  expect(markdown).toContain('eu-west-1');
  // Triggering the finished rollout again starts a new run, which finds every region already serving the version.
  const again = await rollout(['start', '--plan', planFile(), '--version', String(version), '--wait', '--json']);
  expect(again.code).toBe(EXIT.ok);
  expect(JSON.parse(again.out).regions.map((r: any) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
});

it('exits 5 when the rollout rolls back, and prints JSON with --json', async () => {
  const version = await rig.register('candidate-bad');
  // The bad version fails every health probe once degraded to a 100% error rate.
  const path = planFile({
    tests: { health: { queries: 20, input: { amount: 10 } } },
    stages: [{ name: 'canary', traffic: 10, bake: '0ms', gate: ['health'] }],
  });
  await rig.fault('us-east-1', { kind: 'degrade_version', model: 'main.ml.fraud_detector', version, error_rate: 1 });
  const run = await rollout(['start', '--plan', path, '--version', String(version), '--wait', '--json']);
  expect(run.code).toBe(EXIT.notSucceeded);
  const report = JSON.parse(run.out);
  expect(report.outcome).not.toBe('succeeded');
  expect(report.regions.find((r: any) => r.region === 'us-east-1').outcome).toBe('rolled-back');
});

it('exits 4 when --timeout runs out while regions await approval; approve and reject answer what they did', async () => {
  const version = await rig.register('candidate-good');
  const path = planFile({
    regions: rig.plan().regions.slice(0, 2),
    stages: [{ name: 'canary', traffic: 10, bake: '0ms', approval: true }],
  });
  const id = `rollout-main.ml.fraud_detector-v${version}`;
  expect((await rollout(['start', '--plan', path, '--version', String(version)])).code).toBe(EXIT.ok);
  // Both regions at the gate before the timed wait starts: on a busy machine 3 s may not get them there.
  await until('both regions awaiting approval', async () => {
    const regions = (await rig.client.workflow.getHandle(id).query(rolloutStatusQuery)).regions;
    return regions.every((r) => r.phase === 'awaiting-approval') ? true : undefined;
  });
  // Triggered again, it attaches to the running rollout and waits with it.
  const waiting = await rollout(['start', '--plan', path, '--version', String(version), '--wait', '--timeout', '3s']);
  expect(waiting.code).toBe(EXIT.awaitingApproval);
  expect(waiting.out).toContain(`attached to the running rollout ${id}`);
  expect(waiting.out).toContain(`awaiting approval: rollout approve ${id}`);

  const noReason = await rollout(['approve', id]);
  expect([noReason.code, noReason.err]).toEqual([EXIT.invalidInput, expect.stringMatching(/--reason is required/)]);
  const approved = await rollout(['approve', id, '--region', 'us-east-1', '--reason', 'looks good'], {
    GITHUB_ACTOR: 'octocat',
  });
  expect(approved).toMatchObject({ code: EXIT.ok, out: 'approved us-east-1 (stage canary) as octocat: looks good\n' });
  const again = await rollout(['approve', id, '--region', 'us-east-1', '--reason', 'twice']);
  expect(again.code).toBe(EXIT.refused);
  // A second decision for a decided stage is told who decided it (issue 11: the first decision wins).
  expect(again.err).toBe('rollout approve: refused: us-east-1: stage canary was already approved by octocat\n');
  const wrongStage = await rollout(['approve', id, '--stage', 'full', '--reason', 'no such stage']);
  expect(wrongStage.code).toBe(EXIT.refused);
  expect(wrongStage.err).toMatch(/this rollout has no stage full; its stages are canary/);
  const rejected = await rollout(['reject', id, '--reason', 'latency', '--as', 'alice']);
  expect(rejected.out).toBe('rejected eu-west-1 (stage canary) as alice: latency\n');
  const status = await rollout(['status', id]);
  expect(status.code).toBe(EXIT.ok);
  expect(status.out).toMatch(/rollout: done/);
  const report = await rolloutReport(rig.client.workflow.getHandle(id));
  expect(report.outcome).toBe('partially-failed');
});

it('pauses, resumes, skips a bake and aborts; refuses what does not apply', async () => {
  const version = await rig.register('candidate-good');
  const id = `rollout-main.ml.fraud_detector-v${version}`;
  const path = planFile({
    regions: rig.plan().regions.slice(0, 1),
    stages: [{ name: 'canary', traffic: 10, bake: '10m' }],
  });
  expect((await rollout(['start', '--plan', path, '--version', String(version)])).code).toBe(EXIT.ok);
  const handle = rig.client.workflow.getHandle(id);
  await until('baking', async () =>
    (await handle.query(rolloutStatusQuery)).regions[0].phase === 'baking' ? true : undefined,
  );
  expect((await rollout(['resume', id])).code).toBe(EXIT.refused);
  expect((await rollout(['pause', id, '--as', 'bob'])).out).toMatch(/paused by bob/);
  const once = await rollout(['status', id, '--once']);
  expect(once.out).toMatch(/PAUSED/);
  expect((await rollout(['resume', id, '--as', 'bob'])).out).toMatch(/resumed by bob/);
  expect((await rollout(['skip-bake', id, '--region', 'ap-southeast-1'])).code).toBe(EXIT.refused);
  expect((await rollout(['abort', id, '--reason', 'drill', '--as', 'carol'])).out).toMatch(/aborting/);
  expect((await rolloutReport(handle)).outcome).toBe('aborted');
  const history = await rollout(['history', id]);
  expect(history.code).toBe(EXIT.ok);
  expect(history.out).toMatch(/rollout of main.ml.fraud_detector v\d+ to us-east-1, triggered by/);
  expect(history.out).toMatch(/pause by bob/);
  expect(history.out).toMatch(/abort by carol: drill/);
  expect(history.out).toMatch(/us-east-1: baking \[canary\]/);
  expect(history.out).toMatch(/finished: aborted/);
  expect(history.out).toContain(`/namespaces/default/workflows/${encodeURIComponent(id)}`);
});

it('lists rollouts by model, status and region', async () => {
  const version = await rig.register('candidate-good');
  const path = planFile({
    regions: rig.plan().regions.slice(0, 1),
    stages: [{ name: 'canary', traffic: 10, bake: '0ms' }],
  });
  expect((await rollout(['start', '--plan', path, '--version', String(version), '--wait'])).code).toBe(EXIT.ok);
  const id = `rollout-main.ml.fraud_detector-v${version}`;
  const listed = await until('the rollout listed', async () => {
    const run = await rollout(['list', '--model', 'main.ml.fraud_detector', '--status', 'succeeded', '--json']);
    return run.out.includes(id) ? run : undefined;
  });
  expect(JSON.parse(listed.out.split('\n').find((l) => l.includes(id))!)).toMatchObject({
    id,
    status: 'succeeded',
    execution: 'COMPLETED',
    regions: 'us-east-1',
  });
  expect((await rollout(['list', '--region', 'mars-1'])).out).toMatch(/no rollouts match/);
  expect((await rollout(['list', '--status', 'great'])).code).toBe(EXIT.invalidInput);
});

it('names the problem: unknown rollout, unreachable Temporal, invalid plans and flags', async () => {
  const unknown = await rollout(['status', 'rollout-nope-v1', '--once']);
  expect([unknown.code, unknown.err]).toEqual([
    EXIT.unknownRollout,
    expect.stringMatching(/no rollout with id rollout-nope-v1 in namespace default/),
  ]);
  const child = await rollout(['approve', 'x/eu', '--reason', 'r']);
  expect(child.code).toBe(EXIT.unknownRollout);
  const unreachable = await rollout(['status', 'rollout-x-v1'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect([unreachable.code, unreachable.err]).toEqual([
    EXIT.temporalUnreachable,
    expect.stringMatching(/cannot reach Temporal at 127.0.0.1:1/),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'bad-plan-'));
  writeFileSync(join(dir, 'plan.yaml'), 'model: nope\nprimary: us-east-1\nregions: []\nstages: []\n');
  const invalid = await rollout(['start', '--plan', join(dir, 'plan.yaml'), '--version', '2']);
  expect(invalid.code).toBe(EXIT.invalidInput);
  expect(invalid.err).toMatch(/model: write the model as catalog.schema.model/);
  expect((await rollout(['start', '--plan', planFile(), '--version', 'two'])).code).toBe(EXIT.invalidInput);
  expect((await rollout(['start', '--plan', planFile()])).err).toMatch(/say which version/);
  expect((await rollout(['start', '--plan', planFile(), '--version', '2', '--timeout', '1h'])).err).toMatch(
    /--timeout goes with --wait/,
  );
  const help = await rollout(['start', '--help']);
  expect(help.out).toMatch(/Exit codes:/);
  expect(help.out).toMatch(/Examples:/);
});

it('resolves --alias in the primary workspace', async () => {
  const version = await rig.register('candidate-good');
  await new Promise((r) => setTimeout(r, 200));
  await fetch(`${rig.emu.url('us-east-1')}/api/2.1/unity-catalog/models/main.ml.fraud_detector/aliases/challenger`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${rig.emu.token('us-east-1')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ version_num: version }),
  });
  const run = await rollout([
    'start',
    '--plan',
    planFile({ regions: rig.plan().regions.slice(0, 1) }),
    '--alias',
    'challenger',
    '--json',
  ]);
  expect(run.code).toBe(EXIT.ok);
  expect(JSON.parse(run.out)).toMatchObject({ version, started: true });
  await rolloutReport(rig.client.workflow.getHandle(`rollout-main.ml.fraud_detector-v${version}`));
  const missing = await rollout(['start', '--plan', planFile(), '--alias', 'nope']);
  expect([missing.code, missing.err]).toEqual([
    EXIT.invalidInput,
    expect.stringMatching(/cannot resolve alias "nope"/),
  ]);
});

it('redraws a compact table in place in a terminal', async () => {
  const version = await rig.register('candidate-good');
  const path = planFile({
    regions: rig.plan().regions.slice(0, 1),
    stages: [{ name: 'canary', traffic: 10, bake: '1500ms' }],
  });
  const run = await rollout(['start', '--plan', path, '--version', String(version), '--wait'], {}, true);
  expect(run.code).toBe(EXIT.ok);
  // Cursor up over the previous table, clear, draw again.
  const ESC = String.fromCharCode(27);
  expect(run.out).toMatch(new RegExp(`${ESC}\\[\\d+A${ESC}\\[0J`));
  expect(run.out).toMatch(/region\s+phase\s+stage\s+new\s+in phase\s+last check/);
  expect(run.out).toMatch(/us-east-1\s+baking\s+canary\s+10%/);
});

it('exits 8 when --timeout runs out while the rollout is still running, and retry-rollback refuses when nothing failed', async () => {
  const version = await rig.register('candidate-good');
  const path = planFile({
    regions: rig.plan().regions.slice(0, 1),
    stages: [{ name: 'canary', traffic: 10, bake: '10m' }],
  });
  const run = await rollout(['start', '--plan', path, '--version', String(version), '--wait', '--timeout', '2s']);
  expect(run.code).toBe(EXIT.stillRunning);
  const id = `rollout-main.ml.fraud_detector-v${version}`;
  expect(run.out).toContain(`--timeout ran out; the rollout is still running (rollout status ${id})`);
  const retry = await rollout(['retry-rollback', id]);
  expect([retry.code, retry.err]).toEqual([
    EXIT.refused,
    expect.stringMatching(/no region is waiting in rollback-failed/),
  ]);
  expect((await rollout(['abort', id, '--reason', 'done with the test'])).code).toBe(EXIT.ok);
  expect((await rolloutReport(rig.client.workflow.getHandle(id))).outcome).toBe('aborted');
});

const INJECTION = 'ok\n::error title=Injected::pwned \x1b[31mred\x1b[0m';
/** No line a GitHub Actions runner would read as a workflow command, and no escape sequence in a CI log. */
function inert(text: string) {
  expect(text.split('\n').filter((line) => line.trimStart().startsWith('::'))).toEqual([]);
  expect(text).not.toContain('\x1b');
}

it('prints an approval reason written to inject workflow commands and ANSI as inert text: start --wait, status, history', async () => {
  const version = await rig.register('candidate-good');
  const id = `rollout-main.ml.fraud_detector-v${version}`;
  const path = planFile({
    regions: rig.plan().regions.slice(0, 1),
    stages: [{ name: 'canary', traffic: 10, bake: '0ms', approval: true }],
  });
  const waiting = rollout(['start', '--plan', path, '--version', String(version), '--wait']);
  const handle = rig.client.workflow.getHandle(id);
  await until('awaiting approval', async () =>
    (await handle.query(rolloutStatusQuery).catch(() => undefined))?.regions[0].phase === 'awaiting-approval'
      ? true
      : undefined,
  );
  const approved = await rollout(['approve', id, '--reason', INJECTION, '--as', 'alice']);
  expect(approved.code).toBe(EXIT.ok);
  inert(approved.out);
  const started = await waiting;
  expect(started.code).toBe(EXIT.ok);
  expect(started.out).toContain('approved by alice (ok\\n::error title=Injected::pwned \\e[31mred\\e[0m)');
  for (const run of [started, approved, await rollout(['status', id]), await rollout(['history', id])]) {
    inert(run.out);
    inert(run.err);
  }
  expect((await rollout(['history', id])).out).toContain('::error title=Injected::pwned \\e[31mred');
});

it('exits 5 with the reason when the rollout it follows is terminated', async () => {
  const version = await rig.register('candidate-good');
  const id = `rollout-main.ml.fraud_detector-v${version}`;
  const path = planFile({
    regions: rig.plan().regions.slice(0, 1),
    stages: [{ name: 'canary', traffic: 10, bake: '10m' }],
  });
  const waiting = rollout(['start', '--plan', path, '--version', String(version), '--wait']);
  const handle = rig.client.workflow.getHandle(id);
  await until('baking', async () =>
    (await handle.query(rolloutStatusQuery).catch(() => undefined))?.regions[0].phase === 'baking' ? true : undefined,
  );
  await handle.terminate('::error::stopped by an operator\nfor the drill');
  const run = await waiting;
  expect(run.code).toBe(EXIT.notSucceeded);
  expect(run.err).toContain(
    `rollout start: rollout ${id} was terminated: : :error::stopped by an operator\\nfor the drill; no report. See: rollout history ${id}`,
  );
  expect(run.err).not.toContain('    at ');
  inert(run.err);
});
