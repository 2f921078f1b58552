/**
 * Slack callback verification (signature, age, replay) against an HMAC computed here from Slack's recipe, the click
 * parser and the user map file.
 */
import { createHmac } from 'node:crypto';
import {
  MAX_AGE_SECONDS,
  parseApprovalClick,
  parseUserMap,
  ReplayGuard,
  verifySlackRequest,
} from '../../src/approvals/slack';
import { APPROVAL_ACTIONS, approvalButtonValue } from '../../src/shared/notifications';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_765_000_000;

/** Slack's recipe, written out independently: v0= + hex HMAC-SHA256(secret, "v0:" + ts + ":" + body). */
function sign(body: string, timestamp: number, secret = SECRET) {
  const mac = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { timestamp: String(timestamp), signature: `v0=${mac}`, body };
}

const VALUE = approvalButtonValue({
  rolloutId: 'rollout-main.ml.fraud_detector-v5',
  region: 'eu-west-1',
  stage: 'canary',
});

function formBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const CLICK = {
  type: 'block_actions',
  user: { id: 'U012ABCDEF', username: 'ana', team_id: 'T0123ABCD' },
  team: { id: 'T0123ABCD', domain: 'example' },
  trigger_id: '123.456.abc',
  response_url: 'https://hooks.slack.com/actions/T0123ABCD/1/xyz',
  actions: [{ action_id: APPROVAL_ACTIONS.approve, block_id: 'b', type: 'button', value: VALUE, action_ts: '1' }],
};
const BODY = formBody(CLICK);

describe('verifySlackRequest', () => {
  it('accepts a request signed with the secret, now', () => {
    expect(verifySlackRequest(sign(BODY, NOW), SECRET, NOW, new ReplayGuard())).toBeUndefined();
    // Within the window either way.
    expect(verifySlackRequest(sign(BODY, NOW - MAX_AGE_SECONDS), SECRET, NOW, new ReplayGuard())).toBeUndefined();
    expect(verifySlackRequest(sign(BODY, NOW + 30), SECRET, NOW, new ReplayGuard())).toBeUndefined();
  });

  it('refuses another secret, a changed body, a missing or malformed header', () => {
    expect(verifySlackRequest(sign(BODY, NOW, 'another-secret'), SECRET, NOW, new ReplayGuard())).toEqual({
      status: 401,
      reason: expect.stringMatching(/^bad signature/),
    });
    const changed = { ...sign(BODY, NOW), body: BODY.replace('U012ABCDEF', 'U999ZZZZZZ') };
    expect(verifySlackRequest(changed, SECRET, NOW, new ReplayGuard())?.reason).toMatch(/^bad signature/);
    // The timestamp is part of what is signed: moving it breaks the signature.
    const moved = { ...sign(BODY, NOW - 1000), timestamp: String(NOW) };
    expect(verifySlackRequest(moved, SECRET, NOW, new ReplayGuard())?.reason).toMatch(/^bad signature/);
    const truncated = { ...sign(BODY, NOW) };
    truncated.signature = truncated.signature.slice(0, -1);
    expect(verifySlackRequest(truncated, SECRET, NOW, new ReplayGuard())?.reason).toMatch(/^bad signature/);
    expect(verifySlackRequest({ ...sign(BODY, NOW), signature: undefined }, SECRET, NOW, new ReplayGuard())).toEqual({
      status: 401,
      reason: expect.stringMatching(/^unsigned/),
    });
    expect(verifySlackRequest({ ...sign(BODY, NOW), timestamp: '1e9' }, SECRET, NOW, new ReplayGuard())?.reason).toBe(
      'the timestamp header is not Unix seconds',
    );
  });

  it('refuses an old timestamp and one from the future', () => {
    expect(verifySlackRequest(sign(BODY, NOW - MAX_AGE_SECONDS - 1), SECRET, NOW, new ReplayGuard())).toEqual({
      status: 401,
      reason: `expired: signed ${MAX_AGE_SECONDS + 1} s ago (at most ${MAX_AGE_SECONDS} s)`,
    });
    expect(verifySlackRequest(sign(BODY, NOW + 61), SECRET, NOW, new ReplayGuard())?.reason).toBe(
      'signed 61 s in the future (at most 60 s of clock skew)',
    );
  });

  it('refuses the same signed request twice within the window, and forgets it after', () => {
    const guard = new ReplayGuard();
    const request = sign(BODY, NOW);
    expect(verifySlackRequest(request, SECRET, NOW, guard)).toBeUndefined();
    expect(verifySlackRequest(request, SECRET, NOW + 10, guard)).toEqual({
      status: 401,
      reason: 'replayed: this signed request was already received',
    });
    // Another request (another timestamp) from the same body is new.
    expect(verifySlackRequest(sign(BODY, NOW + 1), SECRET, NOW + 10, guard)).toBeUndefined();
    // Past the window the old one is refused as expired, and the guard forgets both (it holds the new one only).
    expect(verifySlackRequest(request, SECRET, NOW + 400, guard)?.reason).toMatch(/^expired/);
    expect(verifySlackRequest(sign(BODY, NOW + 400), SECRET, NOW + 400, guard)).toBeUndefined();
    expect(guard.size).toBe(1);
  });

  it('keeps at most its limit of entries', () => {
    const guard = new ReplayGuard(3);
    for (const key of ['a', 'b', 'c', 'd']) expect(guard.seenBefore(key, NOW, NOW + 100)).toBe(false);
    expect(guard.size).toBeLessThanOrEqual(3);
    expect(guard.seenBefore('d', NOW, NOW + 100)).toBe(true);
  });
});

describe('parseApprovalClick', () => {
  it('reads the button, the user and where to reply', () => {
    expect(parseApprovalClick(BODY)).toEqual({
      action: 'approve',
      value: { rolloutId: 'rollout-main.ml.fraud_detector-v5', region: 'eu-west-1', stage: 'canary' },
      user: { id: 'U012ABCDEF', username: 'ana', teamId: 'T0123ABCD' },
      teamId: 'T0123ABCD',
      triggerId: '123.456.abc',
      responseUrl: CLICK.response_url,
    });
    const reject = formBody({ ...CLICK, actions: [{ ...CLICK.actions[0], action_id: APPROVAL_ACTIONS.reject }] });
    expect(parseApprovalClick(reject)).toMatchObject({ action: 'reject' });
  });

  it.each([
    ['token=x', 'no payload field in the form body'],
    ['payload=%7Bnot', 'the payload field is not JSON'],
    [
      formBody({ ...CLICK, type: 'view_submission' }),
      'payload type "view_submission" is not handled (block_actions only)',
    ],
    [
      formBody({ ...CLICK, actions: [{ action_id: 'other', value: VALUE }] }),
      'no Approve or Reject button in the actions',
    ],
    [formBody({ ...CLICK, actions: [{ ...CLICK.actions[0], value: 'x' }] }), "the button's value is not JSON"],
    [
      formBody({ ...CLICK, actions: [{ ...CLICK.actions[0], value: '{"rolloutId":"r"}' }] }),
      "the button's value does not name a rollout, region and stage",
    ],
    [formBody({ ...CLICK, user: {} }), 'the payload names no user'],
    [
      formBody({
        ...CLICK,
        actions: [{ ...CLICK.actions[0], value: '{"rolloutId":"r\\u001b[2J","region":"x","stage":"y"}' }],
      }),
      "the button's value holds control characters or is over 1000 characters",
    ],
  ])('refuses body %#', (body, reason) => {
    expect(parseApprovalClick(body)).toEqual({ status: 400, reason });
  });
});

describe('parseUserMap', () => {
  it('maps Slack user ids to identities in their one spelling', () => {
    expect(parseUserMap('U012ABCDEF: ana@example.com\nW0456GHIJK: " bob "\n', 'users.yaml')).toEqual(
      new Map([
        ['U012ABCDEF', 'ana@example.com'],
        ['W0456GHIJK', 'bob'],
      ]),
    );
  });

  it.each([
    ['[a, b]', 'users.yaml: write one "<Slack user id>: <identity>" per line, e.g. U012ABCDEF: ana@example.com'],
    ['ana: ana@example.com', 'users.yaml: "ana" is not a Slack user id'],
    ['U012ABCDEF: [a]', 'users.yaml: U012ABCDEF: map the user to an identity string, e.g. U012ABCDEF: ana@example.com'],
    ['U012ABCDEF: "ana bob"', 'users.yaml: U012ABCDEF: identities have no spaces or commas'],
    ['{}', 'users.yaml: maps no Slack user'],
    ['a: [', 'users.yaml: not YAML'],
  ])('refuses %s', (source, message) => {
    expect(() => parseUserMap(source, 'users.yaml')).toThrow(message);
  });
});
