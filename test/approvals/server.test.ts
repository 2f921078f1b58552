/**
 * `rollout approvals-server` against a real dev server and a rollout waiting for approval on the emulator: Slack
 * button callbacks, signed here with Slack's recipe, approve (as the mapped identity) or are refused (forged, expired,
 * replayed, an unmapped user, a stage not awaited, an identity the plan does not allow), and Slack is told why.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApprovalsServer, type RunningApprovalsServer } from '../../src/approvals/server';
import { rolloutStatusQuery } from '../../src/shared/messages';
import { APPROVAL_ACTIONS, approvalButtonValue, channelEnvVar } from '../../src/shared/notifications';
import type { PlanInput } from '../../src/plan/schema';
import type { RolloutStatus } from '../../src/shared/types';
import { checkedRollouts } from '../support/invariant';
import { Rig, spacedVersionWorlds, until, useRig } from '../support/temporal';

/** Each test's versions start 10 further on: rollout ids outlive a test on the file's dev server. */
const rigOf = useRig(spacedVersionWorlds());
let rig: Rig;
const { startRollout } = checkedRollouts(() => rig);

const SECRET = 'slack-signing-secret-for-tests-0123';
const USERS = new Map([
  ['U0ANA', 'ana@example.com'],
  ['U0MALLORY', 'mallory@example.com'],
]);

/** Stands in for Slack's response_url: records what the server posts back. */
let slack: Server;
let slackUrl: string;
let replies: { path: string; body: Record<string, unknown> }[];
let approvals: RunningApprovalsServer;
let log: string[];

beforeEach(async () => {
  rig = rigOf();
  replies = [];
  log = [];
  slack = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      replies.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/actions/`;
  approvals = await startApprovalsServer({
    client: rig.client,
    signingSecret: SECRET,
    users: USERS,
    port: 0,
    responseUrlPrefixes: [slackUrl],
    log: (line) => log.push(line),
  });
});
/** The worker's environment for one test (it reads channel variables at each delivery). */
const variables: string[] = [];
function setEnv(name: string, value: string) {
  variables.push(name);
  process.env[name] = value;
}
afterEach(async () => {
  for (const name of variables.splice(0)) delete process.env[name];
  await approvals.close();
  await new Promise<void>((resolve) => slack.close(() => resolve()));
});

let clicks = 0;
interface Click {
  user: string;
  region: string;
  stage?: string;
  action?: 'approve' | 'reject';
  /** The button's value as a message carried it (default: made from the rollout, region and stage). */
  value?: string;
}
/** A block_actions callback as Slack sends it: its form body and a fresh trigger id and response_url. */
function callback(rolloutId: string, click: Click): string {
  clicks += 1;
  const value = click.value ?? approvalButtonValue({ rolloutId, region: click.region, stage: click.stage ?? 'canary' });
  const payload = {
    type: 'block_actions',
    user: { id: click.user, username: click.user.slice(2).toLowerCase(), team_id: 'T0TEST' },
    team: { id: 'T0TEST', domain: 'example' },
    api_app_id: 'A0TEST',
    trigger_id: `trigger-${clicks}`,
    response_url: `${slackUrl}${clicks}`,
    actions: [{ type: 'button', action_id: APPROVAL_ACTIONS[click.action ?? 'approve'], value, action_ts: '1' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** POSTs a body signed with Slack's recipe (written out here, not the server's code). */
async function post(body: string, options: { secret?: string; timestamp?: number; signature?: string } = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature =
    options.signature ??
    `v0=${createHmac('sha256', options.secret ?? SECRET)
      .update(`v0:${timestamp}:${body}`)
      .digest('hex')}`;
  const res = await fetch(`${approvals.url}/slack/interactive`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': timestamp,
      'X-Slack-Signature': signature,
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as { text?: string; error?: string }, signature, timestamp };
}

async function startAwaiting(overrides: Partial<PlanInput> = {}) {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 2),
    stages: [{ name: 'canary', traffic: 20, bake: '0ms', approval: true }],
    timeouts: { replication: '10s', config_update: '10s', approval: '60s' },
    approvals: { allowed: ['ana@example.com'] },
    ...overrides,
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  await until('both regions awaiting approval', async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions.filter((r) => r.phase === 'awaiting-approval').length === 2 ? status : undefined;
  });
  return handle;
}

const region = (status: RolloutStatus, name: string) => status.regions.find((r) => r.region === name)!;
const replyTo = (n: number) => until(`reply ${n}`, async () => replies.find((r) => r.path.endsWith(`/${n}`)));

it('approves as the mapped identity; refuses forged, expired, replayed, unmapped and unawaited clicks', async () => {
  const handle = await startAwaiting();
  const id = handle.workflowId;

  // Forged: signed with another secret. Refused before anything is read; nothing is posted to its response_url.
  const forged = await post(callback(id, { user: 'U0ANA', region: 'eu-west-1' }), { secret: 'not-the-secret' });
  expect(forged.status).toBe(401);
  expect(forged.body.error).toMatch(/^bad signature/);
  // Expired: a genuine signature from six minutes ago.
  const old = await post(callback(id, { user: 'U0ANA', region: 'eu-west-1' }), {
    timestamp: Math.floor(Date.now() / 1000) - 360,
  });
  expect(old.status).toBe(401);
  expect(old.body.error).toMatch(/^expired: signed 36\d s ago/);

  // A Slack user the server does not map: refused, and told why.
  const unmapped = await post(callback(id, { user: 'U0NOBODY', region: 'eu-west-1' }));
  expect(unmapped.status).toBe(403);
  expect((await replyTo(clicks)).body).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringMatching(/^Refused: Slack user @nobody \(U0NOBODY\) is not in the approvals server's user map/),
  });

  // Mapped, but not in the plan's approvals.allowed: the workflow refuses, and Slack is told so.
  const mallory = await post(callback(id, { user: 'U0MALLORY', region: 'eu-west-1' }));
  expect(mallory.status).toBe(200);
  expect((await replyTo(clicks)).body).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringMatching(
      /^Not approved: the rollout refused: mallory@example\.com may not approve .*approvals\.allowed lists only ana@example\.com/,
    ),
  });

  let status = await handle.query(rolloutStatusQuery);
  expect(region(status, 'eu-west-1').phase).toBe('awaiting-approval');
  expect(region(status, 'us-east-1').phase).toBe('awaiting-approval');
  expect(status.refusedApprovals?.map((r) => r.by)).toEqual(['mallory@example.com']);

  // Ana approves us-east-1's canary: recorded under her identity, with the Slack user in the reason.
  const body = callback(id, { user: 'U0ANA', region: 'us-east-1' });
  const approved = await post(body);
  expect(approved.status).toBe(200);
  expect(approved.body.text).toBe(`Approving us-east-1 stage canary of ${id} as ana@example.com...`);
  expect((await replyTo(clicks)).body).toMatchObject({
    response_type: 'in_channel',
    text: `${id}: approved us-east-1 (stage canary) as ana@example.com (Slack @ana (U0ANA)).`,
  });
  status = await until('us-east-1 approved', async () => {
    const s = await handle.query(rolloutStatusQuery);
    return region(s, 'us-east-1').approvals.length ? s : undefined;
  });
  expect(region(status, 'us-east-1').approvals).toEqual([
    expect.objectContaining({
      decision: 'approved',
      by: 'ana@example.com',
      reason: 'approved in Slack by @ana (U0ANA)',
    }),
  ]);

  // The same request again (same signature and timestamp): a replay. The same click signed anew: its trigger id.
  const replayed = await fetch(`${approvals.url}/slack/interactive`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': approved.timestamp,
      'X-Slack-Signature': approved.signature,
    },
    body,
  });
  expect(replayed.status).toBe(401);
  expect(((await replayed.json()) as { error: string }).error).toBe(
    'replayed: this signed request was already received',
  );
  const resigned = await post(body, { timestamp: Number(approved.timestamp) + 1 });
  expect(resigned.status).toBe(401);
  expect(resigned.body.error).toBe('replayed: this trigger_id was already received');

  // A button for a stage the region does not await (a stale message, or a forged value): refused before any update.
  const stale = await post(callback(id, { user: 'U0ANA', region: 'eu-west-1', stage: 'full' }));
  expect(stale.status).toBe(409);
  expect(stale.body.error).toBe(
    `eu-west-1 of ${id} does not await approval of stage full (it is awaiting-approval at stage canary)`,
  );
  const unknown = await post(callback('rollout-nothing-v1', { user: 'U0ANA', region: 'eu-west-1' }));
  expect(unknown.status).toBe(404);
  expect(unknown.body.error).toBe('no rollout rollout-nothing-v1');

  // Nothing above decided eu-west-1: it still waits.
  status = await handle.query(rolloutStatusQuery);
  expect(region(status, 'eu-west-1')).toMatchObject({ phase: 'awaiting-approval', stage: 'canary', approvals: [] });

  // Every refusal is one log line with its reason; no line holds the secret.
  const refusals = log.filter((line) => line.startsWith('refused'));
  const expected = [
    /^refused 401 from \S+: bad signature/,
    /^refused 401 from \S+: expired/,
    /^refused 403 from \S+: Slack user @nobody \(U0NOBODY\) is not in/,
    /^refused by the rollout: approve \S+ eu-west-1 stage canary as mallory@example\.com .*may not approve/,
    /^refused 401 from \S+: replayed: this signed request/,
    /^refused 401 from \S+: replayed: this trigger_id/,
    /^refused 409 from \S+: eu-west-1 of \S+ does not await approval of stage full/,
    /^refused 404 from \S+: no rollout rollout-nothing-v1/,
  ];
  expect(refusals).toHaveLength(expected.length);
  refusals.forEach((line, i) => expect(line).toMatch(expected[i]));
  expect(log.join('\n')).not.toContain(SECRET);

  // Ana rejects eu-west-1 from its Reject button: it rolls back.
  const rejected = await post(callback(id, { user: 'U0ANA', region: 'eu-west-1', action: 'reject' }));
  expect(rejected.status).toBe(200);
  expect((await replyTo(clicks)).body).toMatchObject({
    text: `${id}: rejected eu-west-1 (stage canary) as ana@example.com (Slack @ana (U0ANA)).`,
  });
});

it("the rollout's own awaiting-approval message carries the buttons, and its Approve button approves", async () => {
  // The worker posts the channel's messages to the stand-in for Slack, with buttons.
  setEnv(channelEnvVar('approvals-slack', 'URL'), slackUrl.replace('/actions/', '/hooks/T0TEST/B0TEST/x'));
  setEnv(channelEnvVar('approvals-slack', 'INTERACTIVE'), 'true');
  const handle = await startAwaiting({
    notifications: [{ channel: 'approvals-slack', kind: 'slack', events: ['awaiting-approval'] }],
  });
  const message = await until('the awaiting-approval message for eu-west-1', async () =>
    replies.find((r) => r.path.startsWith('/hooks/') && JSON.stringify(r.body).includes('eu-west-1 awaits approval')),
  );
  const blocks = message.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
  const buttons = blocks.find((b) => b.type === 'actions')!.elements!;
  expect(buttons.map((b) => b.action_id)).toEqual([APPROVAL_ACTIONS.approve, APPROVAL_ACTIONS.reject]);
  const approve = buttons[0];
  expect(JSON.parse(approve.value)).toEqual({ rolloutId: handle.workflowId, region: 'eu-west-1', stage: 'canary' });

  // Ana clicks it: Slack posts the click with the button's value as it was.
  const clicked = await post(callback(handle.workflowId, { user: 'U0ANA', region: 'ignored', value: approve.value }));
  expect(clicked.status).toBe(200);
  const status = await until('eu-west-1 approved', async () => {
    const s = await handle.query(rolloutStatusQuery);
    return region(s, 'eu-west-1').approvals.length ? s : undefined;
  });
  expect(region(status, 'eu-west-1').approvals).toEqual([
    expect.objectContaining({ decision: 'approved', by: 'ana@example.com', stage: 'canary' }),
  ]);
  expect(region(status, 'us-east-1').phase).toBe('awaiting-approval');
});
