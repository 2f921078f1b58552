/**
 * Slack interactivity for approvals, pure (no network, no clock of its own): checking that a callback comes from
 * Slack, now and once; reading the button click out of it; and the map from Slack users to approver identities.
 * `server.ts` serves it; `rollout approvals-server` (src/cli/approvals-server.ts) runs it.
 *
 * The signing recipe (https://api.slack.com/authentication/verifying-requests-from-slack): Slack sends
 * `X-Slack-Request-Timestamp` (Unix seconds) and `X-Slack-Signature: v0=<hex>`, the HMAC-SHA256 with the app's
 * signing secret of `v0:<timestamp>:<raw body>`; a request older than five minutes is to be refused (a replay).
 * We also refuse one from more than a minute in the future, and the same signature or `trigger_id` twice within the
 * window (a replay inside it).
 *
 * The callback (https://api.slack.com/interactivity/handling, payload type `block_actions`): an
 * `application/x-www-form-urlencoded` body whose `payload` field is JSON with `type`, `user` (`id`, `username`,
 * `team_id`), `team` (`id`), `trigger_id`, `response_url` and `actions` (`action_id`, `value`, ...). Slack wants an
 * HTTP answer within 3 seconds; further replies go to `response_url`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { normalizeIdentity } from '../shared/identity';
import { APPROVAL_ACTIONS, type ApprovalAction, type ApprovalButtonValue } from '../shared/notifications';

export const SIGNATURE_HEADER = 'x-slack-signature';
export const TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SIGNING_SECRET_VARIABLE = 'SLACK_SIGNING_SECRET';
/** Older requests are refused (Slack's recipe says five minutes). */
export const MAX_AGE_SECONDS = 5 * 60;
/** Requests from further in the future are refused (clock skew between Slack and this host). */
export const MAX_SKEW_SECONDS = 60;

/** Why a callback is refused, one sentence without secrets, and the HTTP status it is answered with. */
export interface Refusal {
  status: number;
  reason: string;
}

/**
 * Signatures and trigger ids seen in the last `MAX_AGE_SECONDS` (+ skew): a second request with one of them is a
 * replay. Entries expire with the window (a request older than that is refused by its timestamp anyway); at most
 * `limit` are kept, and when full the oldest go first.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(private readonly limit = 100_000) {}

  /** Whether `key` was seen and has not expired at `now` (seconds); else remembers it until `expiresAt`. */
  seenBefore(key: string, now: number, expiresAt: number): boolean {
    for (const [k, expiry] of this.seen) {
      if (expiry > now && this.seen.size < this.limit) break;
      this.seen.delete(k);
    }
    const expiry = this.seen.get(key);
    if (expiry !== undefined && expiry > now) return true;
    this.seen.set(key, expiresAt);
    return false;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` as Slack computes it. */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`, 'utf8').digest('hex')}`;
}

export interface SignedRequest {
  /** The X-Slack-Request-Timestamp and X-Slack-Signature headers as received. */
  timestamp: string | undefined;
  signature: string | undefined;
  /** The raw body, exactly as received. */
  body: string;
}

/**
 * Whether a request is Slack's, fresh and new: undefined when it is, else the refusal (401). The signature is
 * checked first (so that "expired" and "replayed" are said only of requests Slack did sign), in constant time.
 */
export function verifySlackRequest(
  request: SignedRequest,
  secret: string,
  now: number,
  guard: ReplayGuard,
): Refusal | undefined {
  const { timestamp, signature, body } = request;
  if (!timestamp || !signature) return { status: 401, reason: 'unsigned: no X-Slack-Signature or timestamp header' };
  if (!/^\d{1,12}$/.test(timestamp)) return { status: 401, reason: 'the timestamp header is not Unix seconds' };
  const expected = Buffer.from(slackSignature(secret, timestamp, body));
  const presented = Buffer.from(signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected))
    return { status: 401, reason: "bad signature (not signed with this app's signing secret, or the body changed)" };
  const age = now - Number(timestamp);
  if (age > MAX_AGE_SECONDS)
    return { status: 401, reason: `expired: signed ${age} s ago (at most ${MAX_AGE_SECONDS} s)` };
  if (-age > MAX_SKEW_SECONDS)
    return { status: 401, reason: `signed ${-age} s in the future (at most ${MAX_SKEW_SECONDS} s of clock skew)` };
  if (guard.seenBefore(`signature ${signature}`, now, Number(timestamp) + MAX_AGE_SECONDS + MAX_SKEW_SECONDS))
    return { status: 401, reason: 'replayed: this signed request was already received' };
  return undefined;
}

/** A button click, as the server acts on it. `value` is what the button says, not yet checked against the rollout. */
export interface ApprovalClick {
  action: ApprovalAction;
  value: ApprovalButtonValue;
  user: { id: string; username?: string; teamId?: string };
  teamId?: string;
  triggerId?: string;
  responseUrl?: string;
}

const ACTIONS_BY_ID = new Map<string, ApprovalAction>(
  Object.entries(APPROVAL_ACTIONS).map(([action, id]) => [id, action as ApprovalAction]),
);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** `object[key]` when `object` is an object, else undefined. */
function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined;
}

/** The click in a verified form body, or why it cannot be read (400). */
export function parseApprovalClick(body: string): ApprovalClick | Refusal {
  const bad = (reason: string): Refusal => ({ status: 400, reason });
  const raw = new URLSearchParams(body).get('payload');
  if (raw === null) return bad('no payload field in the form body');
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return bad('the payload field is not JSON');
  }
  if (typeof payload !== 'object' || payload === null) return bad('the payload is not an object');
  const type = field(payload, 'type');
  if (type !== 'block_actions') return bad(`payload type ${JSON.stringify(type)} is not handled (block_actions only)`);
  const actions = field(payload, 'actions');
  const clicked = (Array.isArray(actions) ? (actions as unknown[]) : []).find((a) =>
    ACTIONS_BY_ID.has(String(field(a, 'action_id'))),
  );
  if (!clicked) return bad('no Approve or Reject button in the actions');
  let value: unknown;
  try {
    value = JSON.parse(String(field(clicked, 'value')));
  } catch {
    return bad("the button's value is not JSON");
  }
  const rolloutId = text(field(value, 'rolloutId'));
  const region = text(field(value, 'region'));
  const stage = text(field(value, 'stage'));
  if (!rolloutId || !region || !stage) return bad("the button's value does not name a rollout, region and stage");
  // Our buttons never hold these; they would rewrite a log line or a terminal.
  if ([rolloutId, region, stage].some((v) => v.length > 1000 || /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(v)))
    return bad("the button's value holds control characters or is over 1000 characters");
  const user = field(payload, 'user');
  const userId = text(field(user, 'id'));
  if (!userId) return bad('the payload names no user');
  return {
    action: ACTIONS_BY_ID.get(String(field(clicked, 'action_id')))!,
    value: { rolloutId, region, stage },
    user: { id: userId, username: text(field(user, 'username')), teamId: text(field(user, 'team_id')) },
    teamId: text(field(field(payload, 'team'), 'id')) ?? text(field(user, 'team_id')),
    triggerId: text(field(payload, 'trigger_id')),
    responseUrl: text(field(payload, 'response_url')),
  };
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'reason' in value && 'status' in value;
}

/** Slack user and workspace ids: upper-case letters and digits (U0123ABC, W0123ABC; T0123ABC). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;
export const SLACK_TEAM_ID = /^[TE][A-Z0-9]{2,30}$/;

/**
 * The user map file (`--users`): YAML, a Slack user id per line with the approver identity it acts as, the
 * identity in the spelling the plans' approvals.allowed use:
 *
 *     U012ABCDEF: ana@example.com
 *     W0456GHIJK: bob
 *
 * Every problem names the file and the entry; nothing is half-read.
 */
export function parseUserMap(source: string, file: string): Map<string, string> {
  let doc: unknown;
  try {
    doc = parseYaml(source);
  } catch (err) {
    throw new Error(`${file}: not YAML (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error(`${file}: write one "<Slack user id>: <identity>" per line, e.g. U012ABCDEF: ana@example.com`);
  const users = new Map<string, string>();
  for (const [id, identity] of Object.entries(doc as Record<string, unknown>)) {
    if (!SLACK_USER_ID.test(id))
      throw new Error(
        `${file}: ${JSON.stringify(id)} is not a Slack user id (U or W and upper-case letters and digits, e.g. U012ABCDEF; Slack shows it under the profile's "Copy member ID")`,
      );
    if (typeof identity !== 'string')
      throw new Error(`${file}: ${id}: map the user to an identity string, e.g. ${id}: ana@example.com`);
    const normalized = normalizeIdentity(identity);
    if (!normalized.ok) throw new Error(`${file}: ${id}: ${normalized.problem}`);
    users.set(id, normalized.identity);
  }
  if (users.size === 0) throw new Error(`${file}: maps no Slack user; add "<user id>: <identity>" lines`);
  return users;
}

/** How a Slack user is named in replies and reasons: @username (U123), or the id alone. */
export function slackUserLabel(user: ApprovalClick['user']): string {
  return user.username ? `@${user.username} (${user.id})` : user.id;
}
