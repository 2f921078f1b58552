/**
 * What each kind of channel receives for a notification (src/shared/notifications.ts), and the signature of the
 * generic webhook. Pure: the activity (`notify.ts`) adds the UI link it resolved and posts the body.
 *
 * - slack: an incoming-webhook message, `text` (the fallback shown in notifications) and Block Kit `blocks`
 *   (https://api.slack.com/messaging/webhooks). Slack-compatible receivers (Mattermost, Rocket.Chat) read `text`.
 *   With `interactive` (the worker's ROLLOUT_NOTIFY_<CHANNEL>_INTERACTIVE=true), an awaiting-approval message also
 *   carries an `actions` block with Approve / Reject buttons (https://api.slack.com/messaging/interactivity), whose
 *   clicks the Slack app sends to `rollout approvals-server` (src/approvals/).
 * - teams: a message with one Adaptive Card attachment, the form both the classic Incoming Webhook and the Workflows
 *   app's "When a Teams webhook request is received" trigger accept; Workflows take Adaptive Cards only, not the
 *   legacy MessageCard ("Create and send messages", Known issues:
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using; the
 *   envelope `{type: "message", attachments: [{contentType: "application/vnd.microsoft.card.adaptive", content}]}`:
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
 * - webhook: the event as JSON, signed with HMAC-SHA256 over `<timestamp>.<body>` (as Stripe and Slack sign theirs);
 *   the README's "Notifications" section gives the receiver's check.
 */
import { createHmac } from 'node:crypto';
import { APPROVAL_ACTIONS, approvalButtonValue, type NotificationEvent } from '../shared/notifications';

/** Headers of a signed webhook delivery. */
export const SIGNATURE_HEADER = 'X-Rollout-Signature';
export const TIMESTAMP_HEADER = 'X-Rollout-Timestamp';
export const EVENT_ID_HEADER = 'X-Rollout-Event-Id';
/** The signature's scheme prefix: `v1=<hex>`, so that a later scheme can be told apart. */
export const SIGNATURE_VERSION = 'v1';

/** Slack mrkdwn: `&`, `<` and `>` are control characters (https://api.slack.com/reference/surfaces/formatting). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The lines every kind says: the title, what happened, the command and the link. */
function plainLines(event: NotificationEvent, link: string | undefined): string[] {
  return [
    `${event.urgent ? 'URGENT: ' : ''}${event.title}`,
    event.text,
    ...(event.command ? [`Run: ${event.command}`] : []),
    ...(link ? [`Temporal UI: ${link}`] : []),
  ];
}

/** The Approve / Reject buttons of an awaiting-approval message; none for other events. */
function approvalButtons(event: NotificationEvent): Record<string, unknown> | undefined {
  if (event.event !== 'awaiting-approval' || !event.region || !event.stage) return undefined;
  const value = approvalButtonValue({ rolloutId: event.rolloutId, region: event.region, stage: event.stage });
  const button = (text: string, actionId: string, style: 'primary' | 'danger') => ({
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    style,
    value,
  });
  return {
    type: 'actions',
    block_id: `rollout-approval/${event.region}/${event.stage}`.slice(0, 255),
    elements: [
      button('Approve', APPROVAL_ACTIONS.approve, 'primary'),
      {
        ...button('Reject', APPROVAL_ACTIONS.reject, 'danger'),
        confirm: {
          title: { type: 'plain_text', text: 'Reject this stage?' },
          text: { type: 'plain_text', text: `${event.region} rolls back to its previous config.`.slice(0, 300) },
          confirm: { type: 'plain_text', text: 'Reject' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        },
      },
    ],
  };
}

export function slackPayload(
  event: NotificationEvent,
  link: string | undefined,
  options: { interactive?: boolean } = {},
): Record<string, unknown> {
  const title = `${event.urgent ? ':rotating_light: *URGENT* ' : ''}*${slackEscape(event.title)}*`;
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${title}\n${slackEscape(event.text)}` } },
  ];
  // A code block keeps the command as typed (no mrkdwn inside); the backticks of a fence cannot occur in it.
  if (event.command)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${slackEscape(event.command)}\`\`\`` } });
  if (link)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${link}|Open ${slackEscape(event.rolloutId)} in the Temporal UI>` }],
    });
  const buttons = options.interactive ? approvalButtons(event) : undefined;
  if (buttons) blocks.push(buttons);
  return { text: slackEscape(plainLines(event, link).join('\n')), blocks };
}

export function teamsPayload(event: NotificationEvent, link: string | undefined): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: `${event.urgent ? 'URGENT: ' : ''}${event.title}`,
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      ...(event.urgent ? { color: 'Attention' } : {}),
    },
    { type: 'TextBlock', text: event.text, wrap: true },
  ];
  if (event.command) body.push({ type: 'TextBlock', text: event.command, fontType: 'Monospace', wrap: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in the Temporal UI', url: link }] } : {}),
        },
      },
    ],
  };
}

export function webhookPayload(event: NotificationEvent, link: string | undefined): Record<string, unknown> {
  return { type: `rollout.${event.event}`, ...event, ...(link ? { link } : {}) };
}

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the timestamp in Unix seconds. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}
