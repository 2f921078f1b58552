/**
 * The Python clients real users run against Databricks, pinned, in the project's cache: `mlflow-skinny` (training
 * jobs register versions with it) and `databricks-sdk` (the official Python SDK), with every dependency pinned in
 * scripts/python-clients.txt. The end-to-end test test/conformance/mlflow-python.test.ts drives the emulator with them.
 *
 * The virtual environment is .cache/python-clients/venv (python3 3.11 or newer, with its venv module). It is reused
 * when it holds exactly the pinned set: a stamp file records the hash of python-clients.txt it was installed from,
 * and `mlflow` and `databricks.sdk` must import and report the pinned versions. Otherwise it is (re)installed with
 * `pip install -r scripts/python-clients.txt` (about 30 s, once). Progress goes to stderr.
 *
 *   npm run python-clients:install    # install or reuse it, print the venv's python
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { isExecutable } from './temporal-cli';

const ROOT = resolve(__dirname, '..');
export const REQUIREMENTS = join(ROOT, 'scripts', 'python-clients.txt');
export const CACHE_DIR = join(ROOT, '.cache', 'python-clients');
const WINDOWS = process.platform === 'win32';

export interface PythonClientsOptions {
  /** The cache directory; CACHE_DIR by default. */
  cacheDir?: string;
  /** The requirements file; REQUIREMENTS by default. */
  requirements?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** The pinned version of each package named in the requirements file. */
export function pinnedVersions(requirements = REQUIREMENTS): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of readFileSync(requirements, 'utf8').split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)==(\S+)\s*$/.exec(line.trim());
    if (match) pins.set(match[1].toLowerCase(), match[2]);
  }
  return pins;
}

function findPython(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['python3', 'python'])
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      const candidate = join(dir, name + (WINDOWS ? '.exe' : ''));
      if (dir && isExecutable(candidate)) return candidate;
    }
  return undefined;
}

export function venvPython(cacheDir = CACHE_DIR): string {
  return join(cacheDir, 'venv', WINDOWS ? 'Scripts' : 'bin', WINDOWS ? 'python.exe' : 'python');
}

const CHECK = `import json, mlflow, databricks.sdk.version as v; print(json.dumps({"mlflow": mlflow.__version__, "databricks-sdk": v.__version__}))`;

/** The versions of mlflow and databricks-sdk a python reports, or why it cannot say. */
function installedVersions(python: string, env: NodeJS.ProcessEnv): Record<string, string> | Error {
  const out = spawnSync(python, ['-c', CHECK], { encoding: 'utf8', env, timeout: 120_000 });
  if (out.status !== 0)
    return new Error(`${python} cannot import mlflow and databricks.sdk: ${(out.stderr || '').trim().slice(-400)}`);
  return JSON.parse(out.stdout.trim()) as Record<string, string>;
}

function problemsWith(python: string, requirements: string, env: NodeJS.ProcessEnv): string | undefined {
  const versions = installedVersions(python, env);
  if (versions instanceof Error) return versions.message;
  const pins = pinnedVersions(requirements);
  const wanted = { mlflow: pins.get('mlflow-skinny'), 'databricks-sdk': pins.get('databricks-sdk') };
  for (const [name, version] of Object.entries(wanted))
    if (versions[name] !== version) return `${name} is ${versions[name]}, not the pinned ${version}`;
  return undefined;
}

function stampOf(requirements: string): string {
  return createHash('sha256').update(readFileSync(requirements)).digest('hex');
}

/**
 * The python of a virtual environment holding the pinned clients: the cached one when its stamp matches the
 * requirements file and it reports the pinned versions, else a fresh install. Throws, saying what to do, when
 * python3 or PyPI is not available.
 */
export function ensurePythonClients(options: PythonClientsOptions = {}): string {
  const cacheDir = options.cacheDir ?? CACHE_DIR;
  const requirements = options.requirements ?? REQUIREMENTS;
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const python = venvPython(cacheDir);
  const stampFile = join(cacheDir, 'installed-from.sha256');
  const stamp = stampOf(requirements);
  let stamped: string | undefined;
  try {
    stamped = readFileSync(stampFile, 'utf8').trim();
  } catch {
    stamped = undefined;
  }
  if (stamped === stamp && isExecutable(python) && !problemsWith(python, requirements, env)) return python;

  const system = findPython(env);
  if (!system)
    throw new Error(
      'python3 is not on PATH: the MLflow end-to-end test needs Python 3.11+ with its venv module to install ' +
        'mlflow-skinny and databricks-sdk into .cache/python-clients/venv.',
    );
  log(`Python clients: installing ${requirements} into ${join(cacheDir, 'venv')} (about 30 s, once)...`);
  rmSync(join(cacheDir, 'venv'), { recursive: true, force: true });
  rmSync(stampFile, { force: true });
  mkdirSync(cacheDir, { recursive: true });
  const run = (cmd: string, args: string[], what: string) => {
    const out = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 600_000 });
    if (out.status !== 0)
      throw new Error(
        `${what} failed (${out.error ? out.error.message : `exit ${out.status ?? out.signal}`}): ` +
          `${(out.stderr || out.stdout || '').trim().split('\n').slice(-8).join('\n')}`,
      );
  };
  run(system, ['-m', 'venv', join(cacheDir, 'venv')], `${system} -m venv`);
  run(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '-r', requirements],
    `pip install -r ${requirements}`,
  );
  const problem = problemsWith(python, requirements, env);
  if (problem) throw new Error(`the Python clients installed but are not the pinned ones: ${problem}`);
  writeFileSync(stampFile, `${stamp}\n`);
  return python;
}

if (require.main === module) {
  try {
    console.log(ensurePythonClients());
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
