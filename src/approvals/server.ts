/**
 * The approvals server: `POST /slack/interactive` takes the clicks on the Approve / Reject buttons of a Slack
 * awaiting-approval message (src/activities/notify-payloads.ts) and sends the rollout's `approve` / `reject` update.
 *
 * Within Slack's 3 seconds it checks, in order, and refuses with one log line (the reason, never a secret):
 *   1. the signature, its age and that it is new (`verifySlackRequest`): 401;
 *   2. the payload and the button (`parseApprovalClick`), the trigger id not seen before, the response_url Slack's: 400/401;
 *   3. the workspace (`--team`) and the Slack user's identity (the user map): 403;
 *   4. that the rollout exists and the region awaits approval of that very stage (`status` query): 404/409.
 * Then it answers 200 and sends the update; the outcome (or the workflow's refusal, e.g. an identity not in the
 * plan's approvals.allowed, which the workflow checks itself) goes to the message's `response_url`. Refusals after
 * step 1 are also posted there, to the clicking user only (ephemeral), since Slack shows nothing of an HTTP answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { approveUpdate, rejectUpdate, rolloutStatusQuery } from '../shared/messages';
import type { ApprovalAnswer } from '../shared/types';
import {
  isRefusal,
  MAX_AGE_SECONDS,
  MAX_SKEW_SECONDS,
  parseApprovalClick,
  ReplayGuard,
  SIGNATURE_HEADER,
  slackUserLabel,
  TIMESTAMP_HEADER,
  verifySlackRequest,
  type ApprovalClick,
  type Refusal,
} from './slack';

export const INTERACTIVE_PATH = '/slack/interactive';
/** Slack's interaction payloads are a few kilobytes. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Where Slack's response URLs point; others are never posted to (a signed payload still names the URL). */
export const SLACK_RESPONSE_URL_PREFIXES = ['https://hooks.slack.com/'];

export interface ApprovalsServerOptions {
  client: Client;
  signingSecret: string;
  /** Slack user id -> approver identity. */
  users: Map<string, string>;
  /** Only clicks from these workspaces (team ids); undefined: any workspace the app is installed in. */
  teams?: string[];
  port?: number;
  host?: string;
  /** Prefixes a response_url must start with (default `SLACK_RESPONSE_URL_PREFIXES`). */
  responseUrlPrefixes?: string[];
  /** One line per callback: refused (with why) or acted on (and the outcome). */
  log: (line: string) => void;
  /** Unix seconds (tests). */
  now?: () => number;
  /** How long the rollout's status may take to answer before the click is refused as unavailable (default 2 s). */
  statusTimeoutMs?: number;
}

export interface RunningApprovalsServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Refused(413, `body over ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Posts a reply to the message's response_url; a failure is logged, never thrown (the decision stands). */
async function reply(url: string | undefined, message: Record<string, unknown>, log: (line: string) => void) {
  if (!url) return;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) log(`reply to Slack failed: response_url answered ${res.status}`);
  } catch (err) {
    log(`reply to Slack failed: ${(err as Error).message}`);
  }
}

function describeAnswer(answer: ApprovalAnswer, identity: string, who: string): string {
  const regions = answer.regions.map((r) => `${r.region} (stage ${r.stage})`).join(', ');
  const already = (answer.alreadyDecided ?? []).map(
    (r) => ` ${r.region}: stage ${r.stage} was already ${r.decision} by ${r.by}.`,
  );
  return `${regions ? `${answer.decision} ${regions}` : 'nothing decided'} as ${identity} (Slack ${who}).${already.join('')}`;
}

export function startApprovalsServer(options: ApprovalsServerOptions): Promise<RunningApprovalsServer> {
  const { client, signingSecret, users, log } = options;
  if (!signingSecret) throw new Error('the approvals server needs the Slack signing secret');
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const prefixes = options.responseUrlPrefixes ?? SLACK_RESPONSE_URL_PREFIXES;
  const guard = new ReplayGuard();

  /** Steps 2-4: what to do, or a `Refused`. */
  async function check(body: string): Promise<{ click: ApprovalClick; identity: string }> {
    const click = parseApprovalClick(body);
    if (isRefusal(click)) throw new Refused(click.status, click.reason);
    const t = now();
    if (click.triggerId && guard.seenBefore(`trigger ${click.triggerId}`, t, t + MAX_AGE_SECONDS + MAX_SKEW_SECONDS))
      throw new Refused(401, 'replayed: this trigger_id was already received');
    if (click.responseUrl && !prefixes.some((p) => click.responseUrl!.startsWith(p)))
      throw new Refused(400, `response_url is not Slack's (expected ${prefixes.join(' or ')})`);
    const who = slackUserLabel(click.user);
    if (options.teams && !options.teams.includes(click.teamId ?? ''))
      throw new Refused(403, `Slack workspace ${click.teamId ?? '(none)'} is not served here (--team)`);
    const identity = users.get(click.user.id);
    if (!identity)
      throw new Refused(
        403,
        `Slack user ${who} is not in the approvals server's user map: ask its operator to map ${click.user.id} to your identity`,
      );
    const { rolloutId, region, stage } = click.value;
    const handle = client.workflow.getHandle(rolloutId);
    let status;
    try {
      const description = await handle.describe();
      if (description.type !== 'rolloutWorkflow') throw new Refused(404, `${rolloutId} is not a rollout`);
      if (description.status.name !== 'RUNNING')
        throw new Refused(409, `${rolloutId} is no longer running (${description.status.name.toLowerCase()})`);
      status = await Promise.race([
        handle.query(rolloutStatusQuery),
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Refused(503, `${rolloutId} did not answer its status query in time; try again`)),
            options.statusTimeoutMs ?? 2000,
          ).unref(),
        ),
      ]);
    } catch (err) {
      if (err instanceof Refused) throw err;
      if (err instanceof WorkflowNotFoundError) throw new Refused(404, `no rollout ${rolloutId}`);
      throw new Refused(503, `could not read the status of ${rolloutId}: ${(err as Error).message}`);
    }
    const awaiting = status.regions.find((r) => r.region === region);
    if (!awaiting) throw new Refused(409, `${rolloutId} has no region ${region}`);
    if (awaiting.phase !== 'awaiting-approval' || awaiting.stage !== stage)
      throw new Refused(
        409,
        `${region} of ${rolloutId} does not await approval of stage ${stage} (it is ${awaiting.phase}${awaiting.stage ? ` at stage ${awaiting.stage}` : ''})`,
      );
    return { click, identity };
  }

  /** After the 200: the update, and its outcome to Slack. */
  async function decide({ click, identity }: { click: ApprovalClick; identity: string }): Promise<void> {
    const who = slackUserLabel(click.user);
    const { rolloutId, region, stage } = click.value;
    const verb = click.action === 'approve' ? 'approved' : 'rejected';
    const request = { approver: identity, reason: `${verb} in Slack by ${who}`, region, stage };
    const what = `${click.action} ${rolloutId} ${region} stage ${stage} as ${identity} (Slack ${who})`;
    try {
      const handle = client.workflow.getHandle(rolloutId);
      const answer = await handle.executeUpdate(click.action === 'approve' ? approveUpdate : rejectUpdate, {
        args: [request],
      });
      const text = `${rolloutId}: ${describeAnswer(answer, identity, who)}`;
      log(`done: ${what}: ${text}`);
      await reply(click.responseUrl, { response_type: 'in_channel', replace_original: false, text }, log);
    } catch (err) {
      const why =
        err instanceof WorkflowUpdateFailedError
          ? `the rollout refused: ${err.cause?.message ?? err.message}`
          : `could not reach the rollout: ${(err as Error).message}`;
      log(`refused by the rollout: ${what}: ${why}`);
      await reply(
        click.responseUrl,
        { response_type: 'ephemeral', replace_original: false, text: `Not ${verb}: ${why}` },
        log,
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, text: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { text } : { error: text }));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path !== INTERACTIVE_PATH) return answer(404, `not found; Slack posts to ${INTERACTIVE_PATH}`);
    if (req.method !== 'POST') return answer(405, `POST ${INTERACTIVE_PATH} only`);
    const from = req.socket.remoteAddress ?? '?';
    const refuse = (status: number, reason: string) => {
      log(`refused ${status} from ${from}: ${reason}`);
      answer(status, reason);
    };
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      return refuse(err instanceof Refused ? err.status : 400, err instanceof Refused ? err.reason : 'unreadable body');
    }
    const forged: Refusal | undefined = verifySlackRequest(
      { timestamp: header(req, TIMESTAMP_HEADER), signature: header(req, SIGNATURE_HEADER), body },
      signingSecret,
      now(),
      guard,
    );
    // An unverified request's response_url is never posted to: it could name any address.
    if (forged) return refuse(forged.status, forged.reason);
    let decision;
    try {
      decision = await check(body);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      refuse(err.status, err.reason);
      const parsed = parseApprovalClick(body);
      // Only to a response_url that is Slack's (a refusal for a foreign one names it so).
      if (!isRefusal(parsed) && parsed.responseUrl && prefixes.some((p) => parsed.responseUrl!.startsWith(p)))
        await reply(
          parsed.responseUrl,
          { response_type: 'ephemeral', replace_original: false, text: `Refused: ${err.reason}` },
          log,
        );
      return;
    }
    const { rolloutId, region, stage } = decision.click.value;
    answer(
      200,
      `${decision.click.action === 'approve' ? 'Approving' : 'Rejecting'} ${region} stage ${stage} of ${rolloutId} as ${decision.identity}...`,
    );
    await decide(decision);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`error: ${(err as Error).message}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal error' }));
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        url: `http://${host}:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
