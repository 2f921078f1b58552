/**
 * Operators without our CLI: the stock Temporal CLI approves, rejects and reads a rollout through the same updates,
 * signals and query, on the parent and directly on a region's child workflow.
 */
import { execFile } from 'node:child_process';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { startRollout, rolloutReport } from '../../src/rollouts';
import { abortUpdate, regionWorkflowId, rolloutStatusQuery } from '../../src/shared/messages';
import type { RegionPhase, RolloutStatus } from '../../src/shared/types';
import { Rig, useRig, until } from '../support/temporal';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `temporal <args> --address <dev server> --namespace default`. Asynchronously: the workers run in this process
 * and must keep serving the workflow while the CLI waits for an update's answer. The developer's own Temporal
 * settings (TEMPORAL_* variables, temporal.toml profiles with TLS or an API key) are kept out.
 */
function temporal(...args: string[]): Promise<CliResult> {
  const all = [...args, '--address', rig.env.address, '--namespace', rig.env.namespace ?? 'default'];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TEMPORAL_')));
  all.push('--disable-config-file', '--disable-config-env');
  return new Promise((resolve) => {
    execFile(resolveTemporalCli(), all, { env, timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const request = (approver: string, reason: string) => JSON.stringify({ approver, reason });

/** Two regions (us-east-1, eu-west-1), one canary stage that waits for approval after its bake. */
async function startWithApproval(bake = '0ms') {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 2),
    stages: [{ name: 'canary', traffic: 20, bake, approval: true }],
    timeouts: { replication: '10s', config_update: '10s', approval: '30s' },
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  return { handle, version };
}

type Handle = Awaited<ReturnType<typeof startWithApproval>>['handle'];

const allIn = (handle: Handle, phase: RegionPhase) =>
  until(`both regions ${phase}`, async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions.every((r) => r.phase === phase) ? status : undefined;
  });

it('reads the status and approves every waiting region with `temporal workflow query` and `update execute`', async () => {
  const { handle, version } = await startWithApproval();
  await allIn(handle, 'awaiting-approval');

  const query = await temporal(
    'workflow',
    'query',
    '--workflow-id',
    handle.workflowId,
    '--name',
    'status',
    '-o',
    'json',
  );
  expect(query).toMatchObject({ code: 0 });
  const status = (JSON.parse(query.stdout) as { queryResult: RolloutStatus[] }).queryResult[0];
  expect(status).toMatchObject({ rolloutId: handle.workflowId, model: 'main.ml.fraud_detector', version });
  expect(status.regions.map((r) => [r.region, r.phase, r.stage])).toEqual([
    ['us-east-1', 'awaiting-approval', 'canary'],
    ['eu-west-1', 'awaiting-approval', 'canary'],
  ]);

  const approve = await temporal(
    ...['workflow', 'update', 'execute', '--workflow-id', handle.workflowId, '--name', 'approve'],
    ...['--input', request('cli-user', 'via temporal')],
  );
  expect(approve).toMatchObject({ code: 0 });
  expect(approve.stdout).toMatch(/decision:approved/);
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r) => r.approvals.map((a) => [a.decision, a.by, a.reason, a.stage]))).toEqual([
    [['approved', 'cli-user', 'via temporal', 'canary']],
    [['approved', 'cli-user', 'via temporal', 'canary']],
  ]);
  expect(await rig.serving()).toMatchObject({
    'us-east-1': [`fraud_detector-${version}@${version}:100`],
    'eu-west-1': [`fraud_detector-${version}@${version}:100`],
  });
});

it('rejects with `temporal workflow signal`: every waiting region rolls back', async () => {
  const { handle } = await startWithApproval();
  await allIn(handle, 'awaiting-approval');
  const signal = await temporal(
    ...['workflow', 'signal', '--workflow-id', handle.workflowId, '--name', 'reject'],
    ...['--input', request('cli-user', 'no')],
  );
  expect(signal).toMatchObject({ code: 0 });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('rolled-back');
  expect(report.regions.map((r) => [r.region, r.outcome, r.error])).toEqual([
    ['us-east-1', 'rolled-back', 'stage canary rejected by cli-user: no'],
    ['eu-west-1', 'rolled-back', 'stage canary rejected by cli-user: no'],
  ]);
  for (const region of report.regions)
    expect(region.approvals).toEqual([expect.objectContaining({ decision: 'rejected', by: 'cli-user', reason: 'no' })]);
  expect(await rig.serving()).toMatchObject({
    'us-east-1': ['fraud_detector-1@1:100'],
    'eu-west-1': ['fraud_detector-1@1:100'],
  });
});

it('refuses `temporal workflow update execute --name approve` when nothing awaits approval, and says why', async () => {
  const { handle } = await startWithApproval('10m'); // both regions bake for long before their approval
  await allIn(handle, 'baking');
  const approve = await temporal(
    ...['workflow', 'update', 'execute', '--workflow-id', handle.workflowId, '--name', 'approve'],
    ...['--input', request('cli-user', 'via temporal')],
  );
  expect(approve.code).not.toBe(0);
  expect(approve.stdout + approve.stderr).toMatch(/nothing awaits approval: us-east-1 is baking, eu-west-1 is baking/);
  // Nothing was recorded and nothing changed.
  expect((await handle.query(rolloutStatusQuery)).regions.map((r) => [r.phase, r.approvals])).toEqual([
    ['baking', []],
    ['baking', []],
  ]);
  await handle.executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'done' }] });
  expect((await rolloutReport(handle)).outcome).toBe('aborted');
});

it('approves one region directly on its child workflow `<rolloutId>/eu-west-1`', async () => {
  const { handle, version } = await startWithApproval();
  await allIn(handle, 'awaiting-approval');
  const child = regionWorkflowId(handle.workflowId, 'eu-west-1');
  const approve = await temporal(
    ...['workflow', 'update', 'execute', '--workflow-id', child, '--name', 'approve'],
    ...['--input', request('cli-user', 'eu only')],
  );
  expect(approve).toMatchObject({ code: 0 });
  expect(approve.stdout).toMatch(/region:eu-west-1/);
  // Only eu-west-1 moves on; us-east-1 still waits, then is approved at the parent.
  const status = await until('eu-west-1 promoted', async () => {
    const s = await handle.query(rolloutStatusQuery);
    return s.regions.find((r) => r.region === 'eu-west-1')!.phase === 'promoted' ? s : undefined;
  });
  expect(status.regions.find((r) => r.region === 'us-east-1')!.phase).toBe('awaiting-approval');
  const rest = await temporal(
    ...['workflow', 'update', 'execute', '--workflow-id', handle.workflowId, '--name', 'approve'],
    ...['--input', request('cli-user', 'the rest')],
  );
  expect(rest).toMatchObject({ code: 0 });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r) => [r.region, r.approvals.map((a) => [a.decision, a.by, a.reason])])).toEqual([
    ['us-east-1', [['approved', 'cli-user', 'the rest']]],
    ['eu-west-1', [['approved', 'cli-user', 'eu only']]],
  ]);
  expect((await rig.serving())['eu-west-1']).toEqual([`fraud_detector-${version}@${version}:100`]);
});
