/** `rollout status <id>`: live per-region progress. */
import { EXIT_OK, parseCommandArgs, UsageError, type Command } from './command';
import {
  connect,
  CONNECTION_HELP,
  checkRolloutId,
  existingRollout,
  EXIT,
  EXIT_CODES_HELP,
  liveStatus,
  uiLink,
} from './context';
import { statusTable, watchRollout } from './watch';

const HELP = `Usage: rollout status <rollout-id> [--once] [--json]

Shows each region's phase, stage, the new version's share of traffic, time in phase and the last check, and follows
the rollout until it ends: in a terminal the table is redrawn in place; without one (CI logs) each change is printed
as one line, with no escape codes.

Options:
  --once     print the current status and exit
  --json     print the current status as JSON and exit
  -h, --help show this help

${EXIT_CODES_HELP}

${CONNECTION_HELP}

Examples:
  rollout status rollout-main.ml.fraud_detector-v5
  rollout status rollout-main.ml.fraud_detector-v5 --json | jq '.regions[] | {region, phase}'
`;

export const statusCommand: Command = {
  name: 'status',
  summary: 'live per-region progress of a rollout',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('status', args, {
      once: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (positionals.length > 1)
      throw new UsageError(`rollout status: give one rollout id, got ${positionals.join(' ')}`);
    checkRolloutId(positionals[0], 'status');
    const session = await connect(io);
    try {
      const handle = await existingRollout(session, positionals[0], 'status');
      const link = uiLink(session, handle.workflowId, io);
      if (values.once || values.json) {
        const status = await liveStatus(handle);
        const description = await handle.describe();
        if (!status) {
          io.err(
            `no worker answered the status query; the rollout is ${description.status.name}${link ? `; see ${link}` : ''}\n`,
          );
          return EXIT.unexpected;
        }
        if (values.json)
          io.out(`${JSON.stringify({ ...status, executionStatus: description.status.name, link }, null, 2)}\n`);
        else io.out(`${statusTable(status, Date.now()).join('\n')}\n${link ? `${link}\n` : ''}`);
        return EXIT.ok;
      }
      if (link) io.out(`${link}\n`);
      await watchRollout(handle, io);
      return EXIT.ok;
    } finally {
      await session.close();
    }
  },
};
