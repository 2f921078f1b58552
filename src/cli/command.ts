/**
 * What every `rollout` command is made of, and the argument parsing they share (node:util parseArgs, with messages
 * that name the command and the flag).
 */
import { parseArgs } from 'node:util';
import { MAX_MODEL_VERSION } from '../plan/limits';

/** Where a command writes; tests and the dispatcher pass their own. */
export type Io = {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Environment for connection settings, identity and CI integration (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal: live redraws there, one line per change elsewhere (default process.stdout.isTTY). */
  isTTY?: boolean;
};

export const EXIT_OK = 0;
/** A bug or an unexpected failure (a stack trace goes to stderr). */
export const EXIT_FAILURE = 1;
/** The command line or the plan is wrong: the message says what to change. */
export const EXIT_USAGE = 2;

export type Command = {
  name: string;
  /** One line for the program's help. */
  summary: string;
  /** The command's --help text. */
  help: string;
  run: (args: string[], io: Io) => Promise<number>;
};

/** A mistake on the command line: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; example?: string }>;

export type ParsedArgs = { values: Record<string, string | boolean | undefined>; positionals: string[] };

/**
 * Parses a command's arguments. Refuses unknown options, options given twice, string options without a value
 * (including `--version --alias x`, where parseArgs would take "--alias" as the value) and boolean options with one.
 */
export function parseCommandArgs(command: string, args: string[], options: OptionSpec): ParsedArgs {
  const { values, positionals, tokens } = parseArgs({
    args,
    options: Object.fromEntries(
      Object.entries(options).map(([name, spec]) => [
        name,
        { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
      ]),
    ),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) throw new UsageError(`rollout ${command}: unknown option ${token.rawName}`);
    if (seen.has(token.name)) throw new UsageError(`rollout ${command}: --${token.name} is given twice`);
    seen.add(token.name);
    const example = spec.example ? `, e.g. --${token.name} ${spec.example}` : '';
    if (spec.type === 'string') {
      if (token.value === undefined)
        throw new UsageError(`rollout ${command}: --${token.name} needs a value${example}`);
      if (!token.inlineValue && token.value.startsWith('-') && token.value.length > 1)
        throw new UsageError(
          `rollout ${command}: --${token.name} needs a value${example} (got ${token.value}; write --${token.name}=${token.value} if you mean it)`,
        );
    } else if (token.value !== undefined) {
      throw new UsageError(`rollout ${command}: --${token.name} takes no value`);
    }
  }
  return { values, positionals };
}

const ALIAS = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** `--version N` or `--alias A` (never both), checked the same way by every command that takes them. */
export function versionFlags(
  command: string,
  values: ParsedArgs['values'],
): { version: number | undefined; alias: string | undefined } {
  const { version, alias } = values as { version?: string; alias?: string };
  if (version !== undefined && alias !== undefined)
    throw new UsageError(`rollout ${command}: give --version or --alias, not both`);
  if (version !== undefined && !/^[1-9]\d*$/.test(version))
    throw new UsageError(`rollout ${command}: --version must be a positive whole number, got "${version}"`);
  // Past 2^31 - 1 it is no Unity Catalog version, and past 2^53 Number() would silently round it.
  if (version !== undefined && (version.length > 10 || Number(version) > MAX_MODEL_VERSION))
    throw new UsageError(`rollout ${command}: --version is at most ${MAX_MODEL_VERSION}, got ${version.length} digits`);
  if (alias !== undefined && !ALIAS.test(alias))
    throw new UsageError(
      `rollout ${command}: --alias is a Unity Catalog alias (letters, digits, "_", "-"), got "${alias}"`,
    );
  return { version: version === undefined ? undefined : Number(version), alias };
}
