/**
 * `rollout watch` and its subcommands, in-process through main() against a dev server and the emulator, and the same
 * hold through the stock `temporal workflow update execute`.
 */
import { execFile } from 'node:child_process';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { EXIT } from '../../src/cli/context';
import { watcherStatusQuery, watcherWorkflowId } from '../../src/shared/messages';
import type { WatcherStatus } from '../../src/shared/watch';
import { runCli, writePlanFile, type CliRun } from '../support/cli';
import { MODEL, Rig, until, useRig } from '../support/temporal';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

const rollout = (args: string[]): Promise<CliRun> => runCli(rig, args, { GITHUB_ACTOR: 'ci-bot' });

function temporal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const all = [...args, '--address', rig.env.address, '--namespace', 'default'];
  all.push('--disable-config-file', '--disable-config-env');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TEMPORAL_')));
  return new Promise((resolve) => {
    execFile(resolveTemporalCli(), all, { env, timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Writes the rig's plan, with `watch` when given, as fraud-prod.yaml. */
const planFile = (watch?: Record<string, unknown>): string =>
  writePlanFile(rig.plan(), 'fraud-prod.yaml', watch ? { watch } : {});

const WATCHER_ID = watcherWorkflowId(MODEL, 'fraud-prod');

it('starts, attaches, holds, releases, pauses, resumes and tells what it saw; refuses what does not apply', async () => {
  const plain = planFile();
  expect(await rollout(['watch', '--plan', plain])).toMatchObject({
    code: EXIT.invalidInput,
    err: expect.stringContaining('has no watch: section'),
  });
  const plan = planFile({ on: 'version-ready', poll: '100ms' });
  expect(await rollout(['watch', 'status', '--plan', plan])).toMatchObject({
    code: EXIT.unknownRollout,
    err: expect.stringContaining(`no watcher ${WATCHER_ID}`),
  });

  const started = await rollout(['watch', '--plan', plan]);
  expect(started).toMatchObject({ code: EXIT.ok, out: expect.stringContaining(`started watcher ${WATCHER_ID}`) });
  expect(await rollout(['watch', '--plan', plan])).toMatchObject({
    code: EXIT.ok,
    out: expect.stringContaining(`attached to the running watcher ${WATCHER_ID}`),
  });
  const handle = rig.client.workflow.getHandle(WATCHER_ID);
  await until('the baseline', async () =>
    (await handle.query(watcherStatusQuery)).events.some((e) => e.what === 'baseline') ? true : undefined,
  );

  expect(await rollout(['watch', 'hold', '--plan', plan, '--version', '1'])).toMatchObject({
    code: EXIT.invalidInput,
    err: expect.stringContaining('--reason is required'),
  });
  expect(await rollout(['watch', 'pause', '--plan', plan, '--version', '1'])).toMatchObject({
    code: EXIT.invalidInput,
    err: expect.stringContaining('--version goes with hold'),
  });
  expect(await rollout(['watch', 'hold', '--plan', plan, '--version', '1', '--reason', 'freeze'])).toMatchObject({
    code: EXIT.ok,
    out: 'held at v1 by ci-bot\n',
  });
  const version = await rig.register('candidate-good');
  const held = await until('the held version seen', async () => {
    const status = await handle.query(watcherStatusQuery);
    return status.events.some((e) => e.version === version && e.what === 'held') ? status : undefined;
  });
  expect(held.started).toEqual([]);
  const status = await rollout(['watch', 'status', '--plan', plan]);
  expect(status.code).toBe(EXIT.ok);
  expect(status.out).toContain('held at v1');
  expect(status.out).toMatch(new RegExp(`v${version}\\s+held\\s+newer than v1, held by ci-bot: freeze`));
  const json = JSON.parse((await rollout(['watch', 'status', '--plan', plan, '--json'])).out) as WatcherStatus;
  expect(json).toMatchObject({ state: 'held at v1', hold: { version: 1, by: 'ci-bot', reason: 'freeze' } });

  expect(await rollout(['watch', 'pause', '--plan', plan, '--reason', 'incident'])).toMatchObject({
    code: EXIT.ok,
    out: 'paused by ci-bot\n',
  });
  expect(await rollout(['watch', 'release', '--plan', plan])).toMatchObject({
    code: EXIT.ok,
    out: 'released v1 by ci-bot\n',
  });
  expect(await rollout(['watch', 'release', '--plan', plan])).toMatchObject({
    code: EXIT.refused,
    err: expect.stringContaining('the watcher holds no version'),
  });
  // Paused, it still starts nothing; resumed, the version rolls out.
  expect((await handle.query(watcherStatusQuery)).started).toEqual([]);
  expect(await rollout(['watch', 'resume', '--plan', plan])).toMatchObject({
    code: EXIT.ok,
    out: 'resumed by ci-bot\n',
  });
  await until(`v${version} started`, async () =>
    (await handle.query(watcherStatusQuery)).started.some((s) => s.version === version) ? true : undefined,
  );
});

it('takes a hold from the stock temporal CLI, recorded with who and why', async () => {
  const plan = planFile({ on: 'version-ready', poll: '100ms' });
  expect((await rollout(['watch', '--plan', plan])).code).toBe(EXIT.ok);
  const hold = (input: object) =>
    temporal(
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      WATCHER_ID,
      '--name',
      'hold',
      '--input',
      JSON.stringify(input),
    );
  expect(await hold({ version: 3, by: 'ana', reason: 'holiday freeze' })).toMatchObject({
    code: 0,
    stdout: expect.stringContaining('held at v3 by ana'),
  });
  const refused = await hold({ version: 3, by: 'ana' });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('needs a "reason"');
  const status = await rig.client.workflow.getHandle(WATCHER_ID).query(watcherStatusQuery);
  expect(status.hold).toMatchObject({ version: 3, by: 'ana', reason: 'holiday freeze' });
});
