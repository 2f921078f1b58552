/** `rollout list`: rollouts found through their search attributes. */
import { MODEL_FULL_NAME, REGION_NAME } from '../plan/schema';
import { RolloutRegions, RolloutStatusAttribute } from '../shared/messages';
import { ROLLOUT_STATUS_VALUES } from '../shared/phases';
import { EXIT_OK, parseCommandArgs, UsageError, type Command } from './command';
import { connect, CONNECTION_HELP, EXIT, EXIT_CODES_HELP } from './context';
import { textTable } from './table';

const STATUSES: readonly string[] = ROLLOUT_STATUS_VALUES;

const HELP = `Usage: rollout list [--model M] [--status S] [--region R] [--limit N] [--json]

Lists rollouts, newest first, filtered by the search attributes every rollout carries (RolloutModel, RolloutStatus,
RolloutRegions). The same query works in the Temporal UI's search box.

Options:
  --model <M>    catalog.schema.model
  --status <S>   one of ${STATUSES.join(', ')}
  --region <R>   rollouts that include this region
  --limit <N>    at most N rows (default 20)
  --json         JSON lines
  -h, --help     show this help

${EXIT_CODES_HELP}

${CONNECTION_HELP}

Examples:
  rollout list --model main.ml.fraud_detector
  rollout list --status rollback-failed
`;

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list rollouts by model, status or region',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('list', args, {
      model: { type: 'string', example: 'main.ml.fraud_detector' },
      status: { type: 'string', example: 'rolling-out' },
      region: { type: 'string', example: 'eu-west-1' },
      limit: { type: 'string', example: '50' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (positionals.length)
      throw new UsageError(`rollout list: unexpected argument ${positionals[0]}; use --model, --status, --region`);
    // Checked, not only quoted: the values go into a visibility query, and a region or model is never anything else.
    if (typeof values.region === 'string' && !REGION_NAME.test(values.region))
      throw new UsageError('rollout list: --region is a region name (lower-case letters, digits, "-"), e.g. eu-west-1');
    if (typeof values.model === 'string' && !MODEL_FULL_NAME.test(values.model))
      throw new UsageError('rollout list: --model is catalog.schema.model, e.g. main.ml.fraud_detector');
    if (typeof values.status === 'string' && !STATUSES.includes(values.status))
      throw new UsageError(`rollout list: --status must be one of ${STATUSES.join(', ')}`);
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new UsageError('rollout list: --limit must be a whole number from 1 to 1000');
    const clauses = ["WorkflowType = 'rolloutWorkflow'"];
    if (typeof values.model === 'string') clauses.push(`RolloutModel = ${quote(values.model)}`);
    if (typeof values.status === 'string') clauses.push(`RolloutStatus = ${quote(values.status)}`);
    if (typeof values.region === 'string') clauses.push(`RolloutRegions = ${quote(values.region)}`);
    const query = clauses.join(' AND ');
    const session = await connect(io);
    try {
      const rows: { id: string; status: string; execution: string; started: string; regions: string }[] = [];
      for await (const execution of session.client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
        const attributes = execution.typedSearchAttributes;
        rows.push({
          id: execution.workflowId,
          status: attributes.get(RolloutStatusAttribute) ?? '',
          execution: execution.status.name,
          started: execution.startTime.toISOString(),
          regions: (attributes.get(RolloutRegions) ?? []).join(','),
        });
        if (rows.length >= limit) break;
      }
      if (values.json) for (const row of rows) io.out(`${JSON.stringify(row)}\n`);
      else if (rows.length === 0) io.out(`no rollouts match: ${query}\n`);
      else {
        const header = {
          id: 'rollout',
          status: 'status',
          execution: 'execution',
          started: 'started',
          regions: 'regions',
        };
        const keys = Object.keys(header) as (keyof typeof header)[];
        const cells = (row: typeof header) => keys.map((k) => row[k]);
        for (const line of textTable(cells(header), rows.map(cells))) io.out(`${line}\n`);
      }
      return EXIT.ok;
    } finally {
      await session.close();
    }
  },
};
