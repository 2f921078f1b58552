/** `rollout start`: start (or attach to) the rollout of a model version, and optionally follow it to the end. */
import { appendFileSync } from 'node:fs';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { DatabricksClient } from '../databricks';
import { loadPlan, PlanError } from '../plan/load';
import { selectVersion } from '../plan/resolve';
import type { Plan } from '../plan/schema';
import { startRollout } from '../rollouts';
import { parseDurationMs } from '../shared/duration';
import type { RolloutReport } from '../shared/types';
import { EXIT_OK, parseCommandArgs, UsageError, versionFlags, type Command, type Io } from './command';
import { CommandError, connect, CONNECTION_HELP, EXIT, EXIT_CODES_HELP, identity, uiBase, uiLink } from './context';
import { renderStepSummary } from './step-summary';
import { terminalLine } from '../shared/untrusted-text';
import { reportPlanError } from './validate';
import { watchRollout } from './watch';
import { describeRegistryRecord } from '../shared/registry-outcome';
import { weightWithRelease } from '../shared/release';

const HELP = `Usage: rollout start --plan <plan.yaml> [--version N | --alias A] [--wait [--timeout D]] [--json] [--as who]

Starts the rollout of a model version with a plan, or attaches to it when it is already running (the rollout id is
derived from the model and the version, so a re-run of the same CI job does not start a second rollout).

Options:
  --plan <file>     the rollout plan (see rollout validate)
  --version <N>     the model version to roll out (overrides the plan's)
  --alias <A>       roll out the version this Unity Catalog alias names in the primary (overrides the plan's);
                    resolved here, with the primary region's Databricks profile or DATABRICKS_* credentials
  --wait            follow the rollout until it ends: a live table in a terminal, one line per change in CI logs;
                    with GITHUB_STEP_SUMMARY set, a Markdown report (per region, stages, checks, a Gantt chart)
                    is appended to it
  --timeout <D>     with --wait, stop following after D (e.g. 30m, 2h); the rollout goes on
  --json            print machine-readable JSON on stdout (the start, or with --wait the final report)
  --as <who>        who triggers it (default GITHUB_ACTOR, else the OS user)
  -h, --help        show this help

${EXIT_CODES_HELP}

${CONNECTION_HELP}

Examples:
  rollout start --plan examples/plans/three-regions.yaml --version 2
  rollout start --plan plans/fraud.yaml --alias challenger --wait --timeout 2h
  rollout start --plan plans/fraud.yaml --version 7 --wait --json > report.json
`;

async function resolveVersion(plan: Plan, version: number | undefined, alias: string | undefined, io: Io) {
  const selection = selectVersion(plan, { version, alias });
  if (!selection)
    throw new UsageError('rollout start: say which version: --version N or --alias A (or version/alias in the plan)');
  if (selection.kind === 'version') return selection.version;
  const primary = plan.regions.find((r) => r.name === plan.primary)!;
  try {
    const env = io.env ?? process.env;
    const client = primary.workspace.profile
      ? DatabricksClient.forProfile(primary.workspace.profile, { env })
      : new DatabricksClient({ host: primary.workspace.host, env });
    const found = await client.unityCatalog.getModelVersionByAlias(plan.model, selection.alias);
    return found.version;
  } catch (err) {
    throw new CommandError(
      EXIT.invalidInput,
      `cannot resolve alias "${selection.alias}" of ${plan.model} in ${plan.primary}: ${(err as Error).message}\nPass --version N instead, or give this machine credentials for the primary workspace.`,
    );
  }
}

function printReport(report: RolloutReport, link: string | undefined, io: Io) {
  // The error once: in its region's row, or on the outcome line when no region has it (pre-flight, an abort).
  const inRegion = report.regions.some((r) => r.error === report.error && r.outcome !== 'promoted');
  io.out(
    `\n${terminalLine(`${report.rolloutId}: ${report.outcome.toUpperCase()}${report.error && !inRegion ? ` - ${report.error}` : ''}`)}\n`,
  );
  for (const r of report.regions)
    io.out(
      `${terminalLine(`  ${r.region.padEnd(16)} ${r.outcome.padEnd(12)} new version at ${weightWithRelease(r)}${r.error && r.outcome !== 'promoted' ? `  (${r.error})` : ''}`)}\n`,
    );
  if (report.registry) io.out(`  ${terminalLine(describeRegistryRecord(report.registry, report.version))}\n`);
  if (link) io.out(`  ${link}\n`);
}

/**
 * The rollout's report, or exit 5 with why there is none: a rollout terminated, cancelled or timed out (by an
 * operator with the temporal CLI, or a namespace limit) ends without a report, and the command must say so with the
 * documented code rather than a stack trace.
 */
async function endReport(report: Promise<RolloutReport>, workflowId: string): Promise<RolloutReport> {
  try {
    return await report;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const how =
      cause instanceof TerminatedFailure
        ? 'was terminated'
        : cause instanceof CancelledFailure
          ? 'was cancelled'
          : cause instanceof TimeoutFailure
            ? 'timed out'
            : 'failed';
    // The reason is an operator's words (temporal workflow terminate --reason): one escaped line.
    const why = cause?.message ? `: ${terminalLine(cause.message)}` : '';
    throw new CommandError(
      EXIT.notSucceeded,
      `rollout ${workflowId} ${how}${why}; no report. See: rollout history ${workflowId}`,
    );
  }
}

export const startCommand: Command = {
  name: 'start',
  summary: 'start (or attach to) a rollout; --wait follows it to the end',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('start', args, {
      plan: { type: 'string', example: 'plan.yaml' },
      version: { type: 'string', example: '5' },
      alias: { type: 'string', example: 'challenger' },
      wait: { type: 'boolean' },
      timeout: { type: 'string', example: '2h' },
      json: { type: 'boolean' },
      as: { type: 'string', example: 'alice' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (positionals.length)
      throw new UsageError(`rollout start: unexpected argument ${positionals[0]}; the plan goes after --plan`);
    if (typeof values.plan !== 'string')
      throw new UsageError('rollout start: --plan is required, e.g. --plan plan.yaml');
    const { version, alias } = versionFlags('start', values);
    const timeoutMs = values.timeout === undefined ? undefined : parseDurationMs(String(values.timeout));
    if (values.timeout !== undefined && (timeoutMs === undefined || timeoutMs <= 0))
      throw new UsageError(
        `rollout start: --timeout "${String(values.timeout)}" is not a duration; write e.g. 30m or 2h`,
      );
    if (values.timeout !== undefined && !values.wait) throw new UsageError('rollout start: --timeout goes with --wait');
    const who = identity(values.as as string | undefined, io);

    let loaded;
    try {
      loaded = loadPlan(values.plan);
    } catch (err) {
      if (err instanceof PlanError) return reportPlanError(err, io);
      throw err;
    }
    const resolved = await resolveVersion(loaded.plan, version, alias, io);
    const session = await connect(io);
    try {
      const started = await startRollout(session.client, {
        plan: loaded.plan,
        edgeCases: loaded.edgeCases,
        version: resolved,
        triggeredBy: who,
      });
      const link = uiLink(session, started.workflowId, io);
      const summary = `${started.started ? 'started' : 'attached to the running'} rollout ${started.workflowId} (${loaded.plan.model} v${resolved})`;
      if (!values.json) io.out(`${summary}${link ? `\n  ${link}` : ''}\n`);
      if (!values.wait) {
        if (values.json)
          io.out(
            `${JSON.stringify({ rolloutId: started.workflowId, started: started.started, version: resolved, link })}\n`,
          );
        return EXIT.ok;
      }
      const watched = await watchRollout(started.handle, values.json ? { ...io, out: () => undefined } : io, {
        deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
      });
      if (!watched.finished) {
        const awaiting = watched.status?.regions.filter((r) => r.phase === 'awaiting-approval') ?? [];
        const message = awaiting.length
          ? `--timeout ran out; ${awaiting.map((r) => `${r.region} (${r.stage})`).join(', ')} awaiting approval: rollout approve ${started.workflowId} --reason "..."`
          : `--timeout ran out; the rollout is still running (rollout status ${started.workflowId})`;
        if (values.json)
          io.out(`${JSON.stringify({ rolloutId: started.workflowId, finished: false, status: watched.status })}\n`);
        else io.out(`${message}\n`);
        return awaiting.length ? EXIT.awaitingApproval : EXIT.stillRunning;
      }
      const report = await endReport(watched.report, started.workflowId);
      const stepSummary = (io.env ?? process.env).GITHUB_STEP_SUMMARY;
      if (stepSummary)
        appendFileSync(
          stepSummary,
          renderStepSummary(report, {
            uiUrl: uiBase(session, io.env ?? process.env),
            namespace: session.namespace,
            plan: loaded.plan,
          }) + '\n',
        );
      if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report, link, io);
      return report.outcome === 'succeeded' ? EXIT.ok : EXIT.notSucceeded;
    } finally {
      await session.close();
    }
  },
};
