/** `rollout plan <plan> [--version N | --alias A]`: what the plan will do, and how long it can take. */
import { describePlan } from '../plan/describe';
import { forecastStages } from '../plan/judge-forecast';
import { loadPlan, PlanError } from '../plan/load';
import { EXIT_OK, parseCommandArgs, versionFlags, type Command } from './command';
import { planArgument, reportPlanError } from './validate';

const HELP = `Usage: rollout plan <plan.yaml> [--version N | --alias A]

Shows what a rollout with this plan will do, without touching any workspace: the model and the
version it rolls out, each region's workspace, model name, endpoint and served-entity settings, the
waves in order, the stages with their traffic, bakes, gates and approvals, the failure and
concurrent-rollout policies, and the worst-case and expected durations with their arithmetic.

For each stage the canary judge decides, a forecast by simulation of the judge (baseline: 0.1% 5xx,
0.2% 4xx, lognormal latency with p99 = 3 × median): the chance that an equal version passes within
the window (bake + max_extension) and how long it takes, how soon reference bad versions fail, and
the smallest effects it detects within the window. Live traffic needs tests.canary.traffic.rps.

Exit 0, or 2 when the plan or the command line is invalid (every problem is listed).

Options:
  --version N   the model version to roll out (replaces the plan's version or alias)
  --alias A     roll out the version this Unity Catalog alias names (replaces the plan's choice)
  -h, --help    show this help

Examples:
  rollout plan examples/plans/three-regions.yaml
  rollout plan examples/plans/three-regions.yaml --version 2
  rollout plan plans/fraud-detector.yaml --alias challenger
`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what a plan will do and how long it can take',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('plan', args, {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'string', example: '3' },
      alias: { type: 'string', example: 'challenger' },
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
      return EXIT_OK;
    } catch (err) {
      if (err instanceof PlanError) return reportPlanError(err, io);
      throw err;
    }
  },
};
