/**
 * Delivering notifications, on the control queue. The workflow names a channel; this activity resolves its webhook
 * URL (and, for kind webhook, its signing secret) from the worker's environment at delivery time, so neither ever
 * enters history, and posts the channel kind's payload (`notify-payloads.ts`).
 *
 * Errors, classified as src/activities/errors.ts does for Databricks: a missing or malformed variable and a 4xx
 * answer (a mistyped or revoked webhook) are non-retryable; 429 retries after the receiver's Retry-After
 * (`nextRetryDelay`); 5xx, timeouts and network errors retry with the workflow's policy. No message ever holds the
 * URL or the secret: the variable's name stands for them.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { channelEnvVar, type DeliveryInput, type DeliveryResult } from '../shared/notifications';
import { CONTROL_TASK_QUEUE } from '../shared/task-queues';
import {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  slackPayload,
  teamsPayload,
  TIMESTAMP_HEADER,
  webhookPayload,
  webhookSignature,
} from './notify-payloads';

export const NotifyFailureType = {
  /** The worker has no URL (or secret) for the channel: set the variable named in the message. */
  NotConfigured: 'NotificationChannelNotConfigured',
  /** The receiver refused the message (4xx): the webhook is wrong or revoked; retrying will not help. */
  Rejected: 'NotificationRejected',
  /** 429: retried after the receiver's Retry-After. */
  Throttled: 'NotificationThrottled',
  /** 5xx, a timeout or a network error: retried. */
  Unavailable: 'NotificationReceiverUnavailable',
} as const;

export interface NotifyOptions {
  /** Where channel URLs, secrets and TEMPORAL_UI_URL are read, at each delivery (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** How long one POST may take (default 10 s). */
  requestTimeoutMs?: number;
}

/** How much of a refusal's body a message quotes (Slack answers `no_service`, `invalid_token`, ...). */
const BODY_EXCERPT = 120;

/** The Web UI page of a workflow: TEMPORAL_UI_URL, else Temporal Cloud's UI for a *.tmprl.cloud address; else none. */
export function uiLinkFromEnv(env: NodeJS.ProcessEnv, namespace: string, workflowId: string): string | undefined {
  const host = (env.TEMPORAL_ADDRESS ?? '').split(':')[0];
  const base = env.TEMPORAL_UI_URL
    ? env.TEMPORAL_UI_URL.replace(/\/$/, '')
    : host.endsWith('.tmprl.cloud')
      ? 'https://cloud.temporal.io'
      : undefined;
  return base && `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Every part of a channel's URL that may be its credential (Slack's and Teams' webhooks carry their token in the path
 * or the query: a receiver may echo it), longest first, with the variable that holds it; and the secret.
 */
function credentialsOf(channel: string, url: URL, env: NodeJS.ProcessEnv, secret?: string): [string, string][] {
  const urlVariable = channelEnvVar(channel, 'URL');
  const parts = [
    env[urlVariable] ?? '',
    url.href,
    url.pathname + url.search,
    url.pathname,
    url.search,
    ...url.pathname.split('/'),
    ...[...url.searchParams.values()],
    url.password,
  ].filter((part) => part.length >= 6);
  return [
    ...(secret ? [[secret, channelEnvVar(channel, 'SECRET')] as [string, string]] : []),
    ...[...new Set(parts)].sort((a, b) => b.length - a.length).map((part): [string, string] => [part, urlVariable]),
  ];
}

/** Replaces every credential in a text with the variable that holds it. */
function redact(text: string, credentials: [value: string, variable: string][]): string {
  let out = text;
  for (const [value, variable] of credentials) if (value) out = out.split(value).join(`<${variable}>`);
  return out;
}

function notConfigured(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: NotifyFailureType.NotConfigured, nonRetryable: true });
}

/** The channel's URL (and secret), checked; a problem names the variable to set, never its value. */
function resolveChannel(input: DeliveryInput, env: NodeJS.ProcessEnv): { url: URL; secret?: string } {
  const urlVariable = channelEnvVar(input.channel, 'URL');
  const where = `on the worker that serves the ${CONTROL_TASK_QUEUE} queue`;
  const raw = env[urlVariable]?.trim();
  if (!raw)
    throw notConfigured(
      `channel ${input.channel}: set ${urlVariable} ${where} to the ${input.kind} webhook's URL (it is not set)`,
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw notConfigured(`channel ${input.channel}: ${urlVariable} is not a URL; set it to the webhook's https URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw notConfigured(`channel ${input.channel}: ${urlVariable} must be an https URL (it is ${url.protocol})`);
  if (input.kind !== 'webhook') return { url };
  const secretVariable = channelEnvVar(input.channel, 'SECRET');
  const secret = env[secretVariable];
  if (!secret?.trim())
    throw notConfigured(
      `channel ${input.channel}: set ${secretVariable} ${where} to the webhook's signing secret (kind webhook signs every delivery)`,
    );
  return { url, secret };
}

/** Whether a slack channel's messages carry Approve / Reject buttons: ROLLOUT_NOTIFY_<CHANNEL>_INTERACTIVE. */
export function interactiveChannel(channel: string, env: NodeJS.ProcessEnv): boolean {
  const variable = channelEnvVar(channel, 'INTERACTIVE');
  const value = env[variable]?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw notConfigured(`channel ${channel}: ${variable} is true or false (it is neither)`);
}

function body(input: DeliveryInput, link: string | undefined, env: NodeJS.ProcessEnv): string {
  if (input.kind === 'slack')
    return JSON.stringify(slackPayload(input.event, link, { interactive: interactiveChannel(input.channel, env) }));
  const build = { teams: teamsPayload, webhook: webhookPayload }[input.kind];
  return JSON.stringify(build(input.event, link));
}

export function createNotifyActivities(options: NotifyOptions = {}) {
  return {
    /** Posts one event to one channel; answers the receiver's status. Idempotent enough: a receiver may dedupe by the event id header. */
    async deliverNotification(input: DeliveryInput): Promise<DeliveryResult> {
      const env = options.env ?? process.env;
      const { url, secret } = resolveChannel(input, env);
      const credentials = credentialsOf(input.channel, url, env, secret);
      const context = `channel ${input.channel} (${input.kind}), ${input.event.event}`;
      const info = Context.current().info;
      const text = body(input, uiLinkFromEnv(env, info.namespace, input.event.rolloutId), env);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        [EVENT_ID_HEADER]: input.event.key,
      };
      if (secret) {
        const timestamp = Math.floor(Date.now() / 1000);
        headers[TIMESTAMP_HEADER] = String(timestamp);
        headers[SIGNATURE_HEADER] = webhookSignature(secret, timestamp, text);
      }
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body: text,
          redirect: 'manual',
          signal: AbortSignal.any([
            AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
            Context.current().cancellationSignal,
          ]),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        throw ApplicationFailure.create({
          message: redact(`${context}: the receiver did not answer (${why})`, credentials),
          type: NotifyFailureType.Unavailable,
        });
      }
      const excerpt = redact((await response.text().catch(() => '')).slice(0, BODY_EXCERPT).trim(), credentials);
      const answered = `the receiver answered ${response.status}${excerpt ? ` ${JSON.stringify(excerpt)}` : ''}`;
      if (response.status >= 200 && response.status < 300) return { status: response.status };
      if (response.status === 429)
        throw ApplicationFailure.create({
          message: `${context}: ${answered}; trying again after its Retry-After`,
          type: NotifyFailureType.Throttled,
          nextRetryDelay: retryAfterMs(response.headers.get('retry-after')),
        });
      if (response.status >= 500 || response.status === 408)
        throw ApplicationFailure.create({ message: `${context}: ${answered}`, type: NotifyFailureType.Unavailable });
      throw ApplicationFailure.create({
        message: `${context}: ${answered}; check ${channelEnvVar(input.channel, 'URL')} on the worker (a mistyped, moved or revoked webhook)`,
        type: NotifyFailureType.Rejected,
        nonRetryable: true,
      });
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
