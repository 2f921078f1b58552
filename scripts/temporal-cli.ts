/**
 * Finds the Temporal CLI (its dev server runs the tests, the demo and `npm run dev`), in this order:
 * TEMPORAL_CLI_PATH, `temporal` on PATH, the project's cached build in .cache/temporal/bin, and otherwise builds the
 * pinned version with `go install` when Go >= 1.25 is present. Nothing else is downloaded.
 *
 *   npm run temporal:install     # resolve or build it, print its path
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** v1.5.1 has no `replace` directive, so `go install` works; later tags have one and fail. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const ROOT = resolve(__dirname, '..');
export const CACHE_BIN = join(ROOT, '.cache', 'temporal', 'bin');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function goVersion(): [number, number] | undefined {
  const go = onPath('go');
  if (!go) return undefined;
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' });
  const match = /go(\d+)\.(\d+)/.exec(out.stdout ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

const HOW_TO_INSTALL = `Install the Temporal CLI in one of these ways, then run again:
  - set TEMPORAL_CLI_PATH to an existing temporal binary, or put temporal on PATH
    (https://docs.temporal.io/cli#install), or
  - install Go 1.25 or newer; this project then builds ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} into .cache/temporal/bin`;

export class TemporalCliNotFound extends Error {
  constructor(reason: string) {
    super(`Temporal CLI not found: ${reason}\n${HOW_TO_INSTALL}`);
    this.name = 'TemporalCliNotFound';
  }
}

/** The path of a usable Temporal CLI; builds it when allowed and needed. */
export function resolveTemporalCli(options: { install?: boolean; log?: (line: string) => void } = {}): string {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv))
      throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file.`);
    return fromEnv;
  }
  const path = onPath('temporal');
  if (path) return path;
  const cached = join(CACHE_BIN, 'temporal');
  if (isExecutable(cached)) return cached;
  if (!options.install) throw new TemporalCliNotFound('not in TEMPORAL_CLI_PATH, on PATH, or in .cache/temporal/bin.');
  const version = goVersion();
  if (!version) throw new TemporalCliNotFound('Go is not installed, so it cannot be built here.');
  if (version[0] < 1 || (version[0] === 1 && version[1] < 25))
    throw new TemporalCliNotFound(`Go ${version.join('.')} is too old to build it (needs 1.25 or newer).`);
  mkdirSync(CACHE_BIN, { recursive: true });
  options.log?.(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (a few minutes, once)...`);
  execFileSync('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: CACHE_BIN },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (!isExecutable(cached)) throw new TemporalCliNotFound(`go install finished but ${cached} is missing.`);
  return cached;
}

if (require.main === module) {
  try {
    console.log(resolveTemporalCli({ install: true, log: (line) => console.error(line) }));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
