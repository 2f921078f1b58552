/**
 * Notifications: what a rollout (or a watcher) tells people, and where. Plain data shared by the workflows (which
 * decide what to say), the control queue's `deliverNotification` activity (which resolves the channel's URL and
 * secret from the worker's environment and posts it) and the clients (which show failed deliveries).
 *
 * A plan names channels, never URLs: webhook URLs and signing secrets are credentials, so nothing here holds one and
 * nothing that enters history does either.
 */
import type { RolloutOutcome } from './phases';

export const NOTIFICATION_EVENTS = [
  /** A region waits for an approval of a stage: the message carries the `rollout approve` command. */
  'awaiting-approval',
  /** The rollout succeeded: every region promoted (or already served the version). */
  'promoted',
  /** The rollout ended without promoting everywhere (rolled back, partially failed, aborted...), with the reason. */
  'rolled-back',
  /** A region's restore failed and waits for an operator: urgent, with the `rollout retry-rollback` command. */
  'rollback-failed',
  /** A watcher (`rollout watch`) started a rollout. */
  'watcher-started',
] as const;
export type NotificationEventKind = (typeof NOTIFICATION_EVENTS)[number];

/** slack: Slack-compatible incoming webhooks; teams: Teams incoming or workflow webhooks; webhook: signed JSON. */
export const CHANNEL_KINDS = ['slack', 'teams', 'webhook'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A channel's name: it names the worker's environment variables (`channelEnvVar`), so it is kept simple. */
export const CHANNEL_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/**
 * The worker's variable holding a channel's webhook URL (`URL`), signing secret (`SECRET`), or, for kind slack,
 * whether its awaiting-approval messages carry Approve / Reject buttons (`INTERACTIVE=true`: the Slack app behind
 * the webhook sends their clicks to `rollout approvals-server`).
 */
export function channelEnvVar(channel: string, what: 'URL' | 'SECRET' | 'INTERACTIVE'): string {
  return `ROLLOUT_NOTIFY_${channel.toUpperCase().replace(/-/g, '_')}_${what}`;
}

/** One channel of the plan's `notifications`. */
export interface NotificationChannel {
  channel: string;
  kind: ChannelKind;
  /** The events sent to it; all of them when the plan does not say. */
  events: NotificationEventKind[];
}

/** What a notification says, the same for every kind of channel. No URL, no secret: it enters history. */
export interface NotificationEvent {
  event: NotificationEventKind;
  /** Unique per rollout and event (e.g. `awaiting-approval/eu-west-1/canary`): receivers can dedupe retries by it. */
  key: string;
  /** The rollout's workflow id: the UI link opens it (made by the worker, from TEMPORAL_UI_URL). */
  rolloutId: string;
  model: string;
  version: number;
  region?: string;
  stage?: string;
  outcome?: RolloutOutcome;
  /** Needs a person now (rollback-failed). */
  urgent: boolean;
  /** One line. */
  title: string;
  /** What happened, and why when known. */
  text: string;
  /** The exact command a person runs next, when there is one. */
  command?: string;
  /** Workflow time of the event. */
  at: string;
}

/** What the activity is given: the channel by name, resolved by the worker. */
export interface DeliveryInput {
  channel: string;
  kind: ChannelKind;
  event: NotificationEvent;
}

/** What a delivery answers (and what history keeps of it): the receiver's status, never its URL. */
export interface DeliveryResult {
  status: number;
}

/** One delivery's outcome, in `status.notifications`. */
export interface NotificationRecord {
  event: NotificationEventKind;
  key: string;
  channel: string;
  result: 'delivered' | 'failed';
  /** Why it failed, one sentence (never the URL or the secret). */
  error?: string;
  at: string;
}

/** The newest records kept in the status. */
export const MAX_NOTIFICATION_RECORDS = 50;

/** The `action_id`s of the Approve / Reject buttons of a Slack awaiting-approval message. */
export const APPROVAL_ACTIONS = { approve: 'rollout-approve', reject: 'rollout-reject' } as const;
export type ApprovalAction = keyof typeof APPROVAL_ACTIONS;

/**
 * What a button's `value` names: the stage of a region of a rollout. Not a secret and not trusted: the approvals
 * server checks that the rollout exists and that the region awaits approval of that stage before it acts.
 */
export interface ApprovalButtonValue {
  rolloutId: string;
  region: string;
  stage: string;
}

/** A button's `value` (JSON; Slack allows 2000 characters: a workflow id is at most 1000). */
export function approvalButtonValue(value: ApprovalButtonValue): string {
  return JSON.stringify({ rolloutId: value.rolloutId, region: value.region, stage: value.stage });
}

/** A word that a POSIX shell reads as itself: quoted unless it is plainly safe. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `rollout approve` command for one region's stage (see src/cli/operate.ts); --reason is required there. */
export function approveCommand(rolloutId: string, region: string, stage: string): string {
  return `rollout approve ${shellWord(rolloutId)} --region ${shellWord(region)} --stage ${shellWord(stage)} --reason "<why>"`;
}

/** The `rollout retry-rollback` command for one region. */
export function retryRollbackCommand(rolloutId: string, region: string): string {
  return `rollout retry-rollback ${shellWord(rolloutId)} --region ${shellWord(region)}`;
}

/** A failed delivery as one line (`rollout status`, follow lines). */
export function describeNotificationFailure(record: NotificationRecord): string {
  return `notification ${record.event} to ${record.channel} FAILED: ${record.error ?? 'unknown error'}`;
}

/** Each failed delivery in `status` not already failed in `previous` (by channel and event key), as one line. */
export function failedNotifications(
  status: { notifications?: NotificationRecord[] },
  previous?: { notifications?: NotificationRecord[] },
): string[] {
  const seen = new Set((previous?.notifications ?? []).map((n) => `${n.channel} ${n.key}`));
  return (status.notifications ?? [])
    .filter((n) => n.result === 'failed' && !seen.has(`${n.channel} ${n.key}`))
    .map(describeNotificationFailure);
}
