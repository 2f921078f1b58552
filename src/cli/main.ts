/**
 * The `rollout` command line: a small dispatcher over one module per command. Exit codes: 0 done, 1 an unexpected
 * failure (a bug: the stack trace goes to stderr), 2 a wrong command line or an invalid plan.
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from './command';
import { approvalsServerCommand } from './approvals-server';
import { codecServerCommand } from './codec-server';
import { CommandError } from './context';
import { historyCommand } from './history';
import { latencyReportCommand } from './latency-report';
import { listCommand } from './list';
import { operationCommands } from './operate';
import { planCommand } from './plan';
import { startCommand } from './start';
import { statusCommand } from './status';
import { validateCommand } from './validate';
import { watchCommand } from './watcher';
import { commandSafeWriter, terminalLines } from '../shared/untrusted-text';

export const COMMANDS: Command[] = [
  startCommand,
  statusCommand,
  ...operationCommands,
  watchCommand,
  listCommand,
  historyCommand,
  validateCommand,
  planCommand,
  codecServerCommand,
  approvalsServerCommand,
  latencyReportCommand,
];

function programHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `Usage: rollout <command> [options]

Rolls a model version out to Databricks Model Serving endpoints in many regions, on Temporal.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}   ${command.summary}`).join('\n')}

Options:
  -h, --help   show this help; \`rollout <command> --help\` shows a command's

Examples:
  rollout validate examples/plans/three-regions.yaml
  rollout plan examples/plans/three-regions.yaml --version 2
  rollout start --plan examples/plans/three-regions.yaml --version 2 --wait --timeout 1h
  rollout status rollout-main.ml.fraud_detector-v2
  rollout approve rollout-main.ml.fraud_detector-v2 --region eu-west-1 --reason "canary looks good"
  rollout list --model main.ml.fraud_detector --status rolling-out
  rollout watch --plan plans/fraud.yaml
  rollout latency-report --world worlds/three-regions.yaml --svg latency.svg
  rollout start --help
`;
}

const stdio: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs the command line `args` (without node and the script); resolves to the exit code. */
export async function main(args: string[], output: Io = stdio): Promise<number> {
  // No line of any command's output may start with "::" (a GitHub Actions workflow command), whatever it prints.
  const io: Io = { ...output, out: commandSafeWriter(output.out), err: commandSafeWriter(output.err) };
  const [first, ...rest] = args;
  let command: Command | undefined;
  try {
    if (first === undefined) {
      io.err(programHelp());
      return EXIT_USAGE;
    }
    if (first === '-h' || first === '--help' || first === 'help') {
      if (first === 'help' && rest.length > 0) {
        const topic = COMMANDS.find((c) => c.name === rest[0]);
        if (!topic) throw new UsageError(`rollout help: unknown command "${rest[0]}"`);
        io.out(topic.help);
      } else io.out(programHelp());
      return EXIT_OK;
    }
    if (first.startsWith('-')) throw new UsageError(`rollout: unknown option ${first}; options go after the command`);
    command = COMMANDS.find((c) => c.name === first);
    if (!command)
      throw new UsageError(`rollout: unknown command "${first}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CommandError) {
      // The message may carry a workflow's or a person's words (a refusal, a termination reason): escaped.
      io.err(`rollout${command ? ` ${command.name}` : ''}: ${terminalLines(err.message)}\n`);
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      io.err(`${err.message}\nSee: rollout ${command ? `${command.name} ` : ''}--help\n`);
      return EXIT_USAGE;
    }
    io.err(
      `rollout${command ? ` ${command.name}` : ''}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT_FAILURE;
  }
}
