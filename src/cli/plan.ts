/** `rollout plan <plan> [--version N | --alias A] [--endpoints]`: what the plan will do, and how long it can take. */
import { configOf } from '../activities/databricks';
import { DatabricksClient } from '../databricks';
import { describePlan, modelNameInRegion, selectVersion, type VersionOverride } from '../plan/describe';
import { describeNewEntity } from '../plan/entity-preview';
import type { Plan } from '../plan/schema';
import { forecastStages } from '../plan/judge-forecast';
import { loadPlan, PlanError } from '../plan/load';
import { EXIT_OK, EXIT_USAGE, parseCommandArgs, versionFlags, type Command, type Io } from './command';
import { planArgument, reportPlanError } from './validate';

const HELP = `Usage: rollout plan <plan.yaml> [--version N | --alias A] [--endpoints]

Shows what a rollout with this plan will do, without touching any workspace: the model and the
version it rolls out, each region's workspace, model name, endpoint and served-entity settings, the
waves in order, the stages with their traffic, bakes, gates and approvals, the failure and
concurrent-rollout policies, and the worst-case and expected durations with their arithmetic.

For each stage the canary judge decides, a forecast by simulation of the judge (baseline: 0.1% 5xx,
0.2% 4xx, lognormal latency with p99 = 3 × median): the chance that an equal version passes within
the window (bake + max_extension) and how long it takes, how soon reference bad versions fail, and
the smallest effects it detects within the window. Live traffic needs tests.canary.traffic.rps.

The new version's served entity inherits every setting of the entity it replaces (environment
variables and secret references, instance profile, provisioned concurrency, workload type and size,
...) unless the plan's served_entity sets it. With --endpoints, each region's endpoint is read (with
the credentials of its profile, or DATABRICKS_* for a host) and the new entity is shown setting by
setting, with where each comes from; plain environment variable values are not printed.

Exit 0, or 2 when the plan or the command line is invalid, or --endpoints cannot read an endpoint
(every problem is listed).

Options:
  --version N   the model version to roll out (replaces the plan's version or alias)
  --alias A     roll out the version this Unity Catalog alias names (replaces the plan's choice)
  --endpoints   read each region's endpoint and show the new version's served entity, setting by setting
  -h, --help    show this help

Examples:
  rollout plan examples/plans/three-regions.yaml
  rollout plan examples/plans/three-regions.yaml --version 2
  rollout plan plans/fraud-detector.yaml --alias challenger
  rollout plan plans/fraud-detector.yaml --version 7 --endpoints
`;

/** The new version's served entity in every region, from what each endpoint serves now. Returns whether all read. */
async function showNewEntities(plan: Plan, override: VersionOverride, io: Io): Promise<boolean> {
  const env = io.env ?? process.env;
  const selection = selectVersion(plan, override);
  const version = selection?.kind === 'version' ? selection.version : undefined;
  const lines = ['', "The new version's served entity, from each endpoint now (rollout plan --endpoints)"];
  let allRead = true;
  for (const region of plan.regions) {
    try {
      const client = region.workspace.profile
        ? DatabricksClient.forProfile(region.workspace.profile, { env })
        : new DatabricksClient({ host: region.workspace.host, env });
      const endpoint = await client.serving.getEndpoint(region.endpoint);
      const model = modelNameInRegion(plan, region.name);
      lines.push(...describeNewEntity(region, model, version, configOf(endpoint.config)).map((line) => `  ${line}`));
    } catch (err) {
      allRead = false;
      lines.push(
        `  ${region.name}/${region.endpoint}: cannot read it: ${(err as Error).message}; give this machine credentials for the workspace, or leave out --endpoints`,
      );
    }
  }
  io.out(`${lines.join('\n')}\n`);
  return allRead;
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what a plan will do and how long it can take',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('plan', args, {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'string', example: '3' },
      alias: { type: 'string', example: 'challenger' },
      endpoints: { type: 'boolean' },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const path = planArgument('plan', positionals);
    const override = versionFlags('plan', values);
    try {
      const { plan, edgeCases, workspaceSources } = loadPlan(path);
      io.out(describePlan(plan, edgeCases, override, workspaceSources, forecastStages(plan)));
      if (values.endpoints && !(await showNewEntities(plan, override, io))) return EXIT_USAGE;
      return EXIT_OK;
    } catch (err) {
      if (err instanceof PlanError) return reportPlanError(err, io);
      throw err;
    }
  },
};
