/**
 * Notification payloads (Slack, Teams, signed webhook) and the delivery activity against a local HTTP receiver:
 * delivered, retried (500, 429 with Retry-After), refused for good (404), not configured (the variable to set).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { quietActivityEnvironment } from '../support/activity-environment';
import { createNotifyActivities, NotifyFailureType, retryAfterMs, uiLinkFromEnv } from '../../src/activities/notify';
import {
  SIGNATURE_HEADER,
  slackPayload,
  teamsPayload,
  TIMESTAMP_HEADER,
  webhookPayload,
  webhookSignature,
} from '../../src/activities/notify-payloads';
import { approveCommand, channelEnvVar, type DeliveryInput } from '../../src/shared/notifications';

const ROLLOUT = 'rollout-main.ml.fraud_detector-v5';
const LINK = `https://temporal.example.com/namespaces/default/workflows/${ROLLOUT}`;
const APPROVE = approveCommand(ROLLOUT, 'eu-west-1', 'canary');

const awaiting: DeliveryInput['event'] = {
  event: 'awaiting-approval',
  key: 'awaiting-approval/eu-west-1/canary',
  rolloutId: ROLLOUT,
  model: 'main.ml.fraud_detector',
  version: 5,
  region: 'eu-west-1',
  stage: 'canary',
  urgent: false,
  title: 'main.ml.fraud_detector v5: eu-west-1 awaits approval of stage canary',
  text: 'eu-west-1 serves v5 to 10% of traffic <at> stage canary & waits',
  command: APPROVE,
  at: '2026-12-03T17:00:00.000Z',
};

describe('payloads', () => {
  it('names the exact approve command', () => {
    expect(APPROVE).toBe(`rollout approve ${ROLLOUT} --region eu-west-1 --stage canary --reason "<why>"`);
    // Anything a shell would read otherwise is quoted.
    expect(approveCommand("it's", 'eu-west-1', 'a b')).toBe(
      `rollout approve 'it'\\''s' --region eu-west-1 --stage 'a b' --reason "<why>"`,
    );
  });

  it('Slack: text and blocks carry the command and the UI link, mrkdwn escaped', () => {
    const payload = slackPayload(awaiting, LINK) as { text: string; blocks: any[] };
    expect(payload.text).toContain(APPROVE.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(payload.text).toContain(LINK);
    expect(payload.text).toContain('&lt;at&gt; stage canary &amp; waits');
    const blocks = JSON.stringify(payload.blocks);
    expect(blocks).toContain('rollout approve');
    expect(payload.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${LINK}|Open ${ROLLOUT} in the Temporal UI>` }],
    });
    // Without a link (no TEMPORAL_UI_URL on the worker) there is no link block.
    expect(JSON.stringify(slackPayload(awaiting, undefined))).not.toContain('Temporal UI');
  });

  it('Slack: Approve / Reject buttons only when the channel is interactive, naming the rollout, region and stage', () => {
    const plain = slackPayload(awaiting, LINK) as { blocks: any[] };
    expect(plain.blocks.some((b) => b.type === 'actions')).toBe(false);
    const payload = slackPayload(awaiting, LINK, { interactive: true }) as { blocks: any[] };
    const actions = payload.blocks.filter((b) => b.type === 'actions');
    expect(actions).toHaveLength(1);
    const [approve, reject] = actions[0].elements;
    const value = { rolloutId: ROLLOUT, region: 'eu-west-1', stage: 'canary' };
    expect(approve).toMatchObject({ type: 'button', action_id: 'rollout-approve', style: 'primary' });
    expect(reject).toMatchObject({ type: 'button', action_id: 'rollout-reject', style: 'danger' });
    expect(reject.confirm.title.text).toBe('Reject this stage?');
    expect([JSON.parse(approve.value), JSON.parse(reject.value)]).toEqual([value, value]);
    // Other events carry no buttons, even on an interactive channel.
    const promoted = { ...awaiting, event: 'promoted' as const, command: undefined };
    expect(JSON.stringify(slackPayload(promoted, LINK, { interactive: true }))).not.toContain('rollout-approve');
  });

  it('Teams: one Adaptive Card attachment with the command and an Open URL action', () => {
    const payload = teamsPayload({ ...awaiting, urgent: true }, LINK) as any;
    expect(payload.type).toBe('message');
    expect(payload.attachments).toHaveLength(1);
    const [attachment] = payload.attachments;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment.content.type).toBe('AdaptiveCard');
    expect(attachment.content.body.map((b: any) => b.text)).toEqual([
      `URGENT: ${awaiting.title}`,
      awaiting.text,
      APPROVE,
    ]);
    expect(attachment.content.body[0].color).toBe('Attention');
    expect(attachment.content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open in the Temporal UI', url: LINK },
    ]);
  });

  it('webhook: the event as JSON with its type and link', () => {
    expect(webhookPayload(awaiting, LINK)).toEqual({ type: 'rollout.awaiting-approval', ...awaiting, link: LINK });
  });

  it('signs <timestamp>.<body> with HMAC-SHA256, as an independent implementation computes it', () => {
    const body = JSON.stringify(webhookPayload(awaiting, LINK));
    const signature = webhookSignature('s3cret', 1_764_780_000, body);
    const expected = createHmac('sha256', 's3cret').update(`1764780000.${body}`).digest('hex');
    expect(signature).toBe(`v1=${expected}`);
    // Another body, timestamp or secret gives another signature.
    expect(webhookSignature('s3cret', 1_764_780_001, body)).not.toBe(signature);
    expect(webhookSignature('other', 1_764_780_000, body)).not.toBe(signature);
  });

  it('reads Retry-After in seconds or as a date, and links the UI only when told where it is', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect([retryAfterMs(null), retryAfterMs('soon')]).toEqual([undefined, undefined]);
    expect(uiLinkFromEnv({ TEMPORAL_UI_URL: 'https://temporal.example.com/' }, 'default', ROLLOUT)).toBe(LINK);
    expect(uiLinkFromEnv({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233' }, 'ns.acct', 'w')).toBe(
      'https://cloud.temporal.io/namespaces/ns.acct/workflows/w',
    );
    expect(uiLinkFromEnv({ TEMPORAL_ADDRESS: 'localhost:7233' }, 'default', 'w')).toBeUndefined();
  });
});

/** A receiver answering from a script of responses (the last repeats), recording every request. */
interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let url: string;
let script: ((res: ServerResponse) => void)[] = [];
let received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      (script.length > 1 ? script.shift()! : script[0])(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/tok3n-xyz`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
});

const answer =
  (status: number, body = '', headers: Record<string, string> = {}) =>
  (res: ServerResponse) => {
    res.writeHead(status, headers);
    res.end(body);
  };

const SECRET = 'whsec-0123456789abcdef';
const env = () => ({
  [channelEnvVar('fraud-alerts', 'URL')]: url,
  [channelEnvVar('fraud-alerts', 'SECRET')]: SECRET,
  TEMPORAL_UI_URL: 'https://temporal.example.com',
});

async function deliver(kind: DeliveryInput['kind'], environment: NodeJS.ProcessEnv = env()) {
  const activities = createNotifyActivities({ env: environment, requestTimeoutMs: 2_000 });
  return quietActivityEnvironment().run((input: DeliveryInput) => activities.deliverNotification(input), {
    channel: 'fraud-alerts',
    kind,
    event: awaiting,
  });
}

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('deliverNotification', () => {
  it('posts a signed webhook that the receiver verifies; 200 is delivered', async () => {
    script = [answer(200, 'ok')];
    await expect(deliver('webhook')).resolves.toEqual({ status: 200 });
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received;
    const timestamp = headers[TIMESTAMP_HEADER.toLowerCase()] as string;
    const signature = headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    // The receiver's check, written independently of the sender's code.
    const expected = Buffer.from(`v1=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`);
    expect(timingSafeEqual(Buffer.from(signature), expected)).toBe(true);
    const event = JSON.parse(body);
    // The worker's TEMPORAL_UI_URL and the activity's namespace make the link.
    expect(event).toMatchObject({
      type: 'rollout.awaiting-approval',
      command: APPROVE,
      link: `https://temporal.example.com/namespaces/test/workflows/${ROLLOUT}`,
    });
    expect(headers['x-rollout-event-id']).toBe(awaiting.key);
  });

  it('posts Slack and Teams payloads unsigned', async () => {
    script = [answer(200, 'ok')];
    await deliver('slack');
    await deliver('teams');
    expect(received.map((r) => Object.keys(JSON.parse(r.body)).sort())).toEqual([
      ['blocks', 'text'],
      ['attachments', 'type'],
    ]);
    expect(received.every((r) => r.headers[SIGNATURE_HEADER.toLowerCase()] === undefined)).toBe(true);
  });

  it('posts the buttons when ROLLOUT_NOTIFY_<CHANNEL>_INTERACTIVE=true on the worker; refuses another value', async () => {
    script = [answer(200, 'ok')];
    await deliver('slack', { ...env(), [channelEnvVar('fraud-alerts', 'INTERACTIVE')]: 'true' });
    await deliver('slack');
    const [interactive, plain] = received.map((r) => JSON.parse(r.body) as { blocks: { type: string }[] });
    expect(interactive.blocks.map((b) => b.type)).toContain('actions');
    expect(plain.blocks.map((b) => b.type)).not.toContain('actions');
    const err = await failure(deliver('slack', { ...env(), ROLLOUT_NOTIFY_FRAUD_ALERTS_INTERACTIVE: 'yes please' }));
    expect(err.message).toBe(
      'channel fraud-alerts: ROLLOUT_NOTIFY_FRAUD_ALERTS_INTERACTIVE is true or false (it is neither)',
    );
    expect(err.nonRetryable).toBe(true);
  });

  it('retries a 500 (the next attempt is delivered)', async () => {
    script = [answer(500, 'internal'), answer(200, 'ok')];
    const first = await failure(deliver('slack'));
    expect([first.type, first.nonRetryable]).toEqual([NotifyFailureType.Unavailable, false]);
    expect(first.message).toBe('channel fraud-alerts (slack), awaiting-approval: the receiver answered 500 "internal"');
    await expect(deliver('slack')).resolves.toEqual({ status: 200 });
  });

  it('does not retry a 404 (a revoked webhook), and names the variable, not the URL', async () => {
    // A receiver that echoes the URL, or only its path (where Slack's token is), has it redacted.
    script = [answer(404, `no_service at ${url} (${new URL(url).pathname})`)];
    const err = await failure(deliver('slack'));
    expect([err.type, err.nonRetryable]).toEqual([NotifyFailureType.Rejected, true]);
    expect(err.message).toContain('answered 404');
    expect(err.message).toContain('check ROLLOUT_NOTIFY_FRAUD_ALERTS_URL on the worker');
    expect(err.message).not.toContain('tok3n');
  });

  it('retries a 429 after its Retry-After', async () => {
    script = [answer(429, 'rate_limited', { 'Retry-After': '3' })];
    const err = await failure(deliver('slack'));
    expect([err.type, err.nonRetryable, err.nextRetryDelay]).toEqual([NotifyFailureType.Throttled, false, 3000]);
  });

  it('retries when the receiver is down', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = { ...env(), [channelEnvVar('fraud-alerts', 'URL')]: `http://127.0.0.1:${port}/hooks/tok3n` };
    const err = await failure(deliver('slack', dead));
    expect([err.type, err.nonRetryable]).toEqual([NotifyFailureType.Unavailable, false]);
    expect(err.message).toMatch(/did not answer \(ECONNREFUSED\)/);
    expect(err.message).not.toContain('tok3n');
  });

  it('says which variable to set when the worker has no URL or secret, without retrying', async () => {
    const noUrl = await failure(deliver('slack', {}));
    expect([noUrl.type, noUrl.nonRetryable]).toEqual([NotifyFailureType.NotConfigured, true]);
    expect(noUrl.message).toBe(
      "channel fraud-alerts: set ROLLOUT_NOTIFY_FRAUD_ALERTS_URL on the worker that serves the rollout-control queue to the slack webhook's URL (it is not set)",
    );
    const noSecret = await failure(deliver('webhook', { [channelEnvVar('fraud-alerts', 'URL')]: url }));
    expect(noSecret.message).toMatch(/^channel fraud-alerts: set ROLLOUT_NOTIFY_FRAUD_ALERTS_SECRET on the worker/);
    const notUrl = await failure(deliver('slack', { [channelEnvVar('fraud-alerts', 'URL')]: 'tok3n' }));
    expect(notUrl.message).toBe(
      "channel fraud-alerts: ROLLOUT_NOTIFY_FRAUD_ALERTS_URL is not a URL; set it to the webhook's https URL",
    );
    expect(received).toHaveLength(0);
  });
});
