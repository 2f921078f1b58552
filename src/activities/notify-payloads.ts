/**
 * What each kind of channel receives for a notification (src/shared/notifications.ts), and the signature of the
 * generic webhook. Pure: the activity (`notify.ts`) adds the UI link it resolved and posts the body.
 *
 * - slack: an incoming-webhook message, `text` (the fallback shown in notifications) and Block Kit `blocks`
 *   (https://api.slack.com/messaging/webhooks). Slack-compatible receivers (Mattermost, Rocket.Chat) read `text`.
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
import type { NotificationEvent } from '../shared/notifications';

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

export function slackPayload(event: NotificationEvent, link: string | undefined): Record<string, unknown> {
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
