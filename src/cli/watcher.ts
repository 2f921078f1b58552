/**
 * `rollout watch`: start (or attach to) the plan's watcher, which starts a rollout by itself when the primary's Unity
 * Catalog has a new version (src/workflows/watcher/); `rollout watch status|pause|resume|hold|release` steer it.
 */
import { basename, extname } from 'node:path';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { loadPlan, PlanError } from '../plan/load';
import {
  holdUpdate,
  releaseUpdate,
  watcherPauseUpdate,
  watcherResumeUpdate,
  watcherStatusQuery,
  watcherWorkflowId,
} from '../shared/messages';
import { terminalLine } from '../shared/untrusted-text';
import type { WatcherStatus } from '../shared/watch';
import { PLAN_NAME, startWatcher } from '../watchers';
import type { rolloutWatcherWorkflow } from '../workflows';
import { EXIT_OK, parseCommandArgs, UsageError, type Command, type Io } from './command';
import { CommandError, connect, CONNECTION_HELP, EXIT, EXIT_CODES_HELP, identity, uiLink } from './context';
import { reportPlanError } from './validate';

const HELP = `Usage: rollout watch [status|pause|resume|hold|release] --plan <plan.yaml> [options]

Continuous delivery: one durable watcher per plan follows the primary workspace's Unity Catalog and starts the
rollout of a new version by itself (the plan's watch: section says what to follow: a new READY version, optionally
with tags, or an alias moving; a quiet period after the last change; a minimum time between rollouts). Versions
tagged model_rollout_rolled_back are never picked, and no version is started twice. The watcher's id is
rollout-watch/<model>/<plan name>; running it again attaches to the running watcher.

Subcommands:
  (none)     start the plan's watcher, or attach to it when it runs
  status     what it saw and started, when, and why not (newest first)
  pause      start no rollout until resumed (it keeps watching)
  resume     resume a paused watcher
  hold       roll out nothing newer than --version until released; needs --reason
  release    release the hold

Options:
  --plan <file>     the plan (its model and watch: section)
  --name <name>     the plan name in the watcher's id (default: the plan file's name without extension)
  --version <N>     with hold: the newest version that may still be rolled out
  --reason <text>   why (recorded in the watcher's history); required with hold
  --as <who>        who is acting (default GITHUB_ACTOR, else the OS user)
  --json            print machine-readable JSON
  -h, --help        show this help

The same with the temporal CLI:
  temporal workflow update execute --workflow-id rollout-watch/<model>/<name> --name hold \\
    --input '{"version": 7, "by": "ana", "reason": "holiday freeze"}'
  temporal workflow query --workflow-id rollout-watch/<model>/<name> --type watcherStatus

${EXIT_CODES_HELP}

${CONNECTION_HELP}

Examples:
  rollout watch --plan plans/fraud.yaml
  rollout watch status --plan plans/fraud.yaml
  rollout watch hold --plan plans/fraud.yaml --version 7 --reason "holiday freeze"
  rollout watch release --plan plans/fraud.yaml --reason "freeze over"
  rollout watch pause --plan plans/fraud.yaml --reason "incident 4711"
`;

const SUBCOMMANDS = ['status', 'pause', 'resume', 'hold', 'release'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number] | 'start';
const MAX_REASON_LENGTH = 1000;

/** What `rollout watch status` prints (the demo prints it too). */
export function printStatus(status: WatcherStatus, io: Pick<Io, 'out'>): void {
  const following = status.on === 'alias' ? `alias ${status.alias}` : 'new READY versions';
  io.out(`${terminalLine(`${status.model} (plan ${status.planName}): ${status.state}; follows ${following}`)}\n`);
  if (status.hold)
    io.out(
      `${terminalLine(`  held at v${status.hold.version} by ${status.hold.by} at ${status.hold.at}: ${status.hold.reason ?? ''}`)}\n`,
    );
  if (status.paused)
    io.out(
      `${terminalLine(`  paused by ${status.paused.by} at ${status.paused.at}: ${status.paused.reason ?? ''}`)}\n`,
    );
  io.out(
    `  started: ${status.started.map((s) => `v${s.version}${s.started ? '' : ' (existed)'}`).join(', ') || 'none yet'}\n`,
  );
  for (const e of status.events)
    io.out(
      `${terminalLine(`  ${e.at}  ${(e.version ? `v${e.version}` : '').padEnd(6)} ${e.what.padEnd(12)} ${e.why}`)}\n`,
    );
}

function parse(args: string[]) {
  const [first, ...rest] = args;
  const sub: Subcommand = (SUBCOMMANDS as readonly string[]).includes(first ?? '') ? (first as Subcommand) : 'start';
  const { values, positionals } = parseCommandArgs('watch', sub === 'start' ? args : rest, {
    plan: { type: 'string', example: 'plan.yaml' },
    name: { type: 'string', example: 'fraud-prod' },
    version: { type: 'string', example: '7' },
    reason: { type: 'string', example: '"holiday freeze"' },
    as: { type: 'string', example: 'alice' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { sub, help: true as const };
  if (positionals.length)
    throw new UsageError(
      `rollout watch: unexpected argument ${positionals[0]}; subcommands are ${SUBCOMMANDS.join(', ')}, first`,
    );
  if (typeof values.plan !== 'string') throw new UsageError('rollout watch: --plan is required, e.g. --plan plan.yaml');
  const name = typeof values.name === 'string' ? values.name : basename(values.plan, extname(values.plan));
  if (!PLAN_NAME.test(name))
    throw new UsageError(
      `rollout watch: the plan name "${name}" must be letters, digits, "_", "." or "-"; give one with --name, e.g. --name fraud-prod`,
    );
  let version: number | undefined;
  if (values.version !== undefined) {
    if (sub !== 'hold') throw new UsageError('rollout watch: --version goes with hold');
    version = Number(values.version);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new UsageError(`rollout watch hold: --version is a positive whole number, e.g. --version 7`);
  }
  if (sub === 'hold' && version === undefined)
    throw new UsageError('rollout watch hold: --version is required: the newest version that may still roll out');
  const reason = typeof values.reason === 'string' ? values.reason : undefined;
  if (reason && reason.length > MAX_REASON_LENGTH)
    throw new UsageError(`rollout watch: --reason is at most ${MAX_REASON_LENGTH} characters; link to the details`);
  if (sub === 'hold' && !reason?.trim())
    throw new UsageError('rollout watch hold: --reason is required, e.g. --reason "holiday freeze"');
  return { sub, plan: values.plan, name, version, reason, as: values.as as string | undefined, json: !!values.json };
}

type Watcher = WorkflowHandle<typeof rolloutWatcherWorkflow>;

async function steer(
  sub: Exclude<Subcommand, 'start' | 'status'>,
  handle: Watcher,
  by: string,
  r: { version?: number; reason?: string },
) {
  const request = { by, ...(r.reason ? { reason: r.reason } : {}) };
  if (sub === 'hold')
    return handle.executeUpdate(holdUpdate, { args: [{ version: r.version!, by, reason: r.reason! }] });
  if (sub === 'release') return handle.executeUpdate(releaseUpdate, { args: [request] });
  if (sub === 'pause') return handle.executeUpdate(watcherPauseUpdate, { args: [request] });
  return handle.executeUpdate(watcherResumeUpdate, { args: [request] });
}

export const watchCommand: Command = {
  name: 'watch',
  summary:
    "start (or attach to) the plan's watcher: new versions roll out by themselves; status|pause|resume|hold|release",
  help: HELP,
  async run(args, io) {
    const parsed = parse(args);
    if ('help' in parsed) {
      io.out(HELP);
      return EXIT_OK;
    }
    const who = identity(parsed.as, io);
    let loaded;
    try {
      loaded = loadPlan(parsed.plan);
    } catch (err) {
      if (err instanceof PlanError) return reportPlanError(err, io);
      throw err;
    }
    if (!loaded.plan.watch)
      throw new CommandError(
        EXIT.invalidInput,
        `${parsed.plan} has no watch: section; add e.g.\n  watch: { on: version-ready, quiet_period: 2m, poll: 30s }`,
      );
    const workflowId = watcherWorkflowId(loaded.plan.model, parsed.name);
    const session = await connect(io);
    try {
      if (parsed.sub === 'start') {
        const started = await startWatcher(session.client, {
          plan: loaded.plan,
          edgeCases: loaded.edgeCases,
          planName: parsed.name,
          triggeredBy: who,
        });
        const link = uiLink(session, workflowId, io);
        if (parsed.json) io.out(`${JSON.stringify({ watcherId: workflowId, started: started.started, link })}\n`);
        else
          io.out(
            `${started.started ? 'started' : 'attached to the running'} watcher ${workflowId}${link ? `\n  ${link}` : ''}\n${
              started.planChanged
                ? 'warning: it runs with an earlier version of this plan; to use this one: rollout watch pause, then temporal workflow terminate, then rollout watch again\n'
                : ''
            }`,
          );
        return EXIT.ok;
      }
      const handle: Watcher = session.client.workflow.getHandle(workflowId);
      try {
        if (parsed.sub === 'status') {
          const status = await handle.query(watcherStatusQuery);
          if (parsed.json) io.out(`${JSON.stringify(status, null, 2)}\n`);
          else printStatus(status, io);
          return EXIT.ok;
        }
        io.out(`${terminalLine(await steer(parsed.sub, handle, who, parsed))}\n`);
        return EXIT.ok;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          throw new CommandError(
            EXIT.unknownRollout,
            `no watcher ${workflowId}; start it with rollout watch --plan ${parsed.plan}`,
          );
        if (err instanceof WorkflowUpdateFailedError)
          throw new CommandError(EXIT.refused, `refused: ${err.cause?.message ?? err.message}`);
        throw err;
      }
    } finally {
      await session.close();
    }
  },
};
