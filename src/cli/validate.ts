/** `rollout validate <plan>`: check a plan and its edge-case file without touching any workspace. */
import { forecastStages, judgeWindowProblems } from '../plan/judge-forecast';
import { loadPlan, PlanError } from '../plan/load';
import { estimateDuration, resolveWaves } from '../plan/resolve';
import { formatDurationMs } from '../shared/duration';
import { terminalLine } from '../shared/untrusted-text';
import { EXIT_OK, EXIT_USAGE, parseCommandArgs, UsageError, type Command, type Io } from './command';

const HELP = `Usage: rollout validate <plan.yaml>

Checks a rollout plan and the edge-case file it names, offline: the YAML, every field, the rules
between fields (regions, waves, stages, gates), and every line of the edge-case file. For each stage
the canary judge decides, a simulation of the judge must show an equal version passing within the
window (bake + max_extension) in at least half the runs, at tests.canary.traffic.rps when live
traffic decides (not checked when it is unset) or at probe_rps for probes.

Prints one line with a summary when the plan is valid (exit 0), or every problem, each starting with
the path of the field to fix (exit 2).

Options:
  -h, --help   show this help

Examples:
  rollout validate examples/plans/three-regions.yaml
  rollout validate plans/fraud-detector.yaml && rollout start --plan plans/fraud-detector.yaml
`;

/** Prints a PlanError as `invalid plan <file>: N problems` and one indented line per problem, to stderr. */
export function reportPlanError(error: PlanError, io: Io): number {
  const count = error.problems.length;
  // Problems quote values of the plan (a region name, a primary), which may hold escape sequences: escaped.
  io.err(`${terminalLine(`invalid plan ${error.source}: ${count} ${count === 1 ? 'problem' : 'problems'}`)}\n`);
  for (const problem of error.problems) io.err(`  ${terminalLine(problem)}\n`);
  return EXIT_USAGE;
}

/** The single positional argument, the plan file. */
export function planArgument(command: string, positionals: string[]): string {
  if (positionals.length === 0)
    throw new UsageError(`rollout ${command}: give the plan file, e.g. rollout ${command} plan.yaml`);
  if (positionals.length > 1)
    throw new UsageError(`rollout ${command}: give one plan file, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0];
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a plan and its edge-case file',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('validate', args, { help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const path = planArgument('validate', positionals);
    try {
      const { plan, edgeCases } = loadPlan(path);
      // The canary judge must be able to pass an equal version within each judged stage's window (simulated).
      const judgeProblems = judgeWindowProblems(forecastStages(plan, { equalOnly: true }));
      if (judgeProblems.length > 0) throw new PlanError(path, judgeProblems);
      const waves = resolveWaves(plan);
      const n = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
      io.out(
        `OK ${path}: ${plan.model}, ${n(plan.regions.length, 'region')} in ${n(waves.length, 'wave')}, ` +
          `${n(plan.stages.length, 'stage')}, ${n(edgeCases.length, 'edge case')}; ` +
          `worst case ${formatDurationMs(estimateDuration(plan).worstMs)}\n`,
      );
      return EXIT_OK;
    } catch (err) {
      if (err instanceof PlanError) return reportPlanError(err, io);
      throw err;
    }
  },
};
