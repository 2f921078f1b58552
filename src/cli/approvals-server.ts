/**
 * `rollout approvals-server`: approve from Slack. Serves the Slack app's interactivity Request URL; a click on the
 * Approve / Reject button of an awaiting-approval message (src/activities/notify-payloads.ts) becomes the rollout's
 * approve / reject update, as the Slack user's mapped identity. The checks are in src/approvals/server.ts.
 */
import { commaList } from '../shared/lists';
import { readBounded } from '../read-file';
import { INTERACTIVE_PATH, SLACK_RESPONSE_URL_PREFIXES, startApprovalsServer } from '../approvals/server';
import { parseUserMap, SIGNING_SECRET_VARIABLE, SLACK_TEAM_ID } from '../approvals/slack';
import { parseCommandArgs, UsageError, EXIT_OK, type Command } from './command';
import { connect, CONNECTION_HELP } from './context';

const HELP = `Usage: rollout approvals-server --users <users.yaml> [--port 3000] [--host 127.0.0.1] [--team T0123ABCD,...]

Approve from Slack: serves POST ${INTERACTIVE_PATH}, the Interactivity Request URL of the Slack app whose
incoming webhook the worker posts to. A click on Approve or Reject in an awaiting-approval message (sent with
buttons when the worker has ROLLOUT_NOTIFY_<CHANNEL>_INTERACTIVE=true) sends the rollout's approve or reject
update as the identity the Slack user is mapped to; the rollout's approvals.allowed still decides.

Refused, with one log line on stderr each: a bad or missing signature, a request signed over 5 minutes ago (or
over a minute ahead), the same request twice, an unmapped Slack user, a region that does not await approval of
that stage. The outcome, or why it was refused, is posted back to the message's thread (response_url).

Options:
  --users <file>               YAML map of Slack user ids to approver identities; required, e.g.
                                 U012ABCDEF: ana@example.com
  --port <P>                   port to listen on (default 3000)
  --host <H>                   address to listen on (default 127.0.0.1; put it behind your HTTPS proxy or tunnel)
  --team <ids>                 only clicks from these Slack workspaces (team ids, e.g. T0123ABCD)
  --response-url-prefix <list> where replies may be posted (default ${SLACK_RESPONSE_URL_PREFIXES.join(',')})
  -h, --help                   show this help

Environment:
  ${SIGNING_SECRET_VARIABLE}   the Slack app's signing secret (Basic Information > App Credentials); required,
                         and read from the environment only (never a flag: flags show in ps and shell history)

${CONNECTION_HELP}

Example:
  ${SIGNING_SECRET_VARIABLE}=... rollout approvals-server --users slack-users.yaml --port 3000
  # Slack app > Interactivity & Shortcuts > Request URL: https://approvals.example.com${INTERACTIVE_PATH}
`;

/** The user map file is a few lines; this keeps a wrong path (a log, a device) from being read whole. */
const MAX_USERS_FILE_BYTES = 1024 * 1024;

function readUsers(file: string) {
  const read = readBounded(file, MAX_USERS_FILE_BYTES);
  if (!read.ok)
    throw new UsageError(
      `rollout approvals-server: --users ${file}: ${
        read.reason === 'unreadable'
          ? read.message
          : read.reason === 'not-regular'
            ? `is ${read.kind}, not a file`
            : `over ${MAX_USERS_FILE_BYTES} bytes; a user map is one line per Slack user`
      }`,
    );
  try {
    return parseUserMap(read.bytes.toString('utf8'), file);
  } catch (err) {
    throw new UsageError(`rollout approvals-server: --users ${(err as Error).message}`);
  }
}

export const approvalsServerCommand: Command = {
  name: 'approvals-server',
  summary: 'approve from Slack: take the Approve / Reject buttons of awaiting-approval messages',
  help: HELP,
  async run(args, io) {
    if (args.some((a) => /^--(slack-)?signing-secret(=|$)/.test(a)))
      throw new UsageError(
        `rollout approvals-server: the signing secret is not a flag (it would show in ps and shell history); set ${SIGNING_SECRET_VARIABLE} in the environment`,
      );
    const { values, positionals } = parseCommandArgs('approvals-server', args, {
      users: { type: 'string', example: 'slack-users.yaml' },
      port: { type: 'string', example: '3000' },
      host: { type: 'string', example: '127.0.0.1' },
      team: { type: 'string', example: 'T0123ABCD' },
      'response-url-prefix': { type: 'string', example: 'https://hooks.slack.com/' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`rollout approvals-server: unexpected argument ${positionals[0]}`);
    const port = Number(values.port ?? 3000);
    if (!/^\d+$/.test(String(values.port ?? 3000)) || port > 65535)
      throw new UsageError(
        `rollout approvals-server: --port must be a port number (0-65535), got ${String(values.port)}`,
      );
    if (typeof values.users !== 'string')
      throw new UsageError(
        'rollout approvals-server: --users <file> is required: a YAML map of Slack user ids to identities, e.g. U012ABCDEF: ana@example.com',
      );
    const teams = typeof values.team === 'string' ? commaList(values.team) : undefined;
    for (const team of teams ?? [])
      if (!SLACK_TEAM_ID.test(team))
        throw new UsageError(
          `rollout approvals-server: --team "${team}" is not a Slack team id (T and upper-case letters and digits, e.g. T0123ABCD)`,
        );
    const prefixes =
      typeof values['response-url-prefix'] === 'string' ? commaList(values['response-url-prefix']) : undefined;
    for (const prefix of prefixes ?? [])
      if (!/^https?:\/\/[^/]+\//.test(prefix))
        throw new UsageError(
          `rollout approvals-server: --response-url-prefix "${prefix}" is not a URL prefix; write scheme://host/, e.g. https://hooks.slack.com/`,
        );
    const env = io.env ?? process.env;
    const secret = env[SIGNING_SECRET_VARIABLE];
    if (!secret?.trim())
      throw new UsageError(
        `rollout approvals-server: set ${SIGNING_SECRET_VARIABLE} to the Slack app's signing secret (Basic Information > App Credentials)`,
      );
    const users = readUsers(values.users);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    const session = await connect(io);
    try {
      const running = await startApprovalsServer({
        client: session.client,
        signingSecret: secret,
        users,
        teams,
        port,
        host,
        responseUrlPrefixes: prefixes,
        log: (line) => io.err(`${new Date().toISOString()} ${line}\n`),
      });
      io.out(
        `approvals server on ${running.url}${INTERACTIVE_PATH} (${users.size} Slack user${users.size === 1 ? '' : 's'} mapped; Temporal ${session.address}, namespace ${session.namespace})\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
    } finally {
      await session.close();
    }
    return EXIT_OK;
  },
};
