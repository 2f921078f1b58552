/** `rollout approvals-server`: its help, and flags and environment refused with the flag and the fix named. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';

const dir = mkdtempSync(join(tmpdir(), 'approvals-cli-'));
const USERS = join(dir, 'users.yaml');
writeFileSync(USERS, 'U012ABCDEF: ana@example.com\n');
const BAD_USERS = join(dir, 'bad-users.yaml');
writeFileSync(BAD_USERS, 'ana: ana@example.com\n');

async function run(args: string[], env: NodeJS.ProcessEnv = { SLACK_SIGNING_SECRET: 's3cret-value' }) {
  let out = '';
  let err = '';
  const code = await main(['approvals-server', ...args], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env,
  });
  return { code, out, err };
}

it('documents its flags and environment', async () => {
  const { code, out } = await run(['--help']);
  expect(code).toBe(0);
  for (const word of [
    '--users',
    '--port',
    '--host',
    '--team',
    '--response-url-prefix',
    'SLACK_SIGNING_SECRET',
    '/slack/interactive',
  ])
    expect(out).toContain(word);
  const program = await (async () => {
    let text = '';
    await main(['--help'], { out: (t) => (text += t), err: () => undefined });
    return text;
  })();
  expect(program).toMatch(/approvals-server\s+approve from Slack/);
});

it.each([
  [['--port', '3000'], {}, '--users <file> is required'],
  [['--users', USERS, '--port', 'x'], {}, '--port must be a port number (0-65535), got x'],
  [['--users', USERS, '--port', '70000'], {}, '--port must be a port number (0-65535), got 70000'],
  [['--users', USERS, '--team', 'acme'], {}, '--team "acme" is not a Slack team id'],
  [['--users', USERS, '--response-url-prefix', 'hooks'], {}, '--response-url-prefix "hooks" is not a URL prefix'],
  [['--users', USERS], { SLACK_SIGNING_SECRET: ' ' }, "set SLACK_SIGNING_SECRET to the Slack app's signing secret"],
  [['--users', USERS, '--signing-secret', 's3cret-value'], {}, 'the signing secret is not a flag'],
  [['--users', join(dir, 'missing.yaml')], {}, `--users ${join(dir, 'missing.yaml')}: ENOENT`],
  [['--users', BAD_USERS], {}, `--users ${BAD_USERS}: "ana" is not a Slack user id`],
  [['--users', dir], {}, `--users ${dir}: is a directory, not a file`],
  [['--user', USERS], {}, 'unknown option --user'],
])('refuses %j %j', async (args, env, message) => {
  const { code, err } = await run(args, { SLACK_SIGNING_SECRET: 's3cret-value', ...env });
  expect(code).toBe(2);
  expect(err).toContain(`rollout approvals-server: ${message}`);
  expect(err).toContain('See: rollout approvals-server --help');
  // The secret never appears in an error, even when it was passed as a flag.
  expect(err).not.toContain('s3cret-value');
});
