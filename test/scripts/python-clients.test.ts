/**
 * How scripts/python-clients.ts decides to reuse or reinstall the Python clients' venv, with fake executables in a
 * temporary directory: a fake venv `python` reports versions, a fake system `python3` makes a "venv" whose pip writes
 * one. PATH holds only the fake directory, so nothing on the machine is found or installed.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ensurePythonClients, pinnedVersions, REQUIREMENTS, venvPython } from '../../scripts/python-clients';

let dir: string;
let cacheDir: string;
let calls: string;
let lines: string[];
const log = (line: string) => lines.push(line);
const pins = pinnedVersions();
const MLFLOW = pins.get('mlflow-skinny')!;
const SDK = pins.get('databricks-sdk')!;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'python-clients-test-'));
  cacheDir = join(dir, 'cache');
  calls = join(dir, 'calls.log');
  lines = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A fake venv python that answers the version check with these versions and logs every call. */
function fakeVenvPython(mlflow: string, sdk: string) {
  const python = venvPython(cacheDir);
  mkdirSync(join(python, '..'), { recursive: true });
  writeFileSync(
    python,
    `#!/bin/sh\necho "venv-python $*" >> ${calls}\ncase "$*" in *pip*) exit 0;; esac\n` +
      `echo '{"mlflow": "${mlflow}", "databricks-sdk": "${sdk}"}'\n`,
  );
  chmodSync(python, 0o755);
}

function stamp(requirements = REQUIREMENTS) {
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(
    join(cacheDir, 'installed-from.sha256'),
    `${createHash('sha256').update(readFileSync(requirements)).digest('hex')}\n`,
  );
}

/** A fake system python3 whose `-m venv DIR` creates the fake venv python. */
function fakeSystemPython(mlflow: string, sdk: string) {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const venv = venvPython(cacheDir);
  writeFileSync(
    join(bin, 'python3'),
    `#!/bin/sh\necho "python3 $*" >> ${calls}\n/bin/mkdir -p ${join(venv, '..')}\n` +
      `printf '#!/bin/sh\\necho "venv-python $*" >> ${calls}\\ncase "$*" in *pip*) exit 0;; esac\\necho '"'"'{"mlflow": "${mlflow}", "databricks-sdk": "${sdk}"}'"'"'\\n' > ${venv}\n` +
      `/bin/chmod +x ${venv}\n`,
  );
  chmodSync(join(bin, 'python3'), 0o755);
  return bin;
}

const callLog = () => readFileSync(calls, 'utf8').trim().split('\n');

it('pins every requirement exactly, mlflow-skinny and databricks-sdk among them', () => {
  const lines = readFileSync(REQUIREMENTS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  expect(lines.every((l) => /^[A-Za-z0-9_.-]+==\S+$/.test(l))).toBe(true);
  expect(MLFLOW).toMatch(/^3\.\d+\.\d+$/);
  expect(SDK).toMatch(/^0\.\d+\.\d+$/);
  expect(pins.get('numpy')).toBeDefined();
});

it('reuses a venv stamped with this requirements file that reports the pinned versions, without pip', () => {
  fakeVenvPython(MLFLOW, SDK);
  stamp();
  expect(ensurePythonClients({ cacheDir, env: { PATH: '' }, log })).toBe(venvPython(cacheDir));
  expect(lines).toEqual([]);
  expect(callLog()).toEqual([expect.stringMatching(/^venv-python -c import json, mlflow/)]);
});

it('reinstalls a venv with other versions, or with no stamp, from the requirements file', () => {
  fakeVenvPython('3.0.0', SDK);
  stamp();
  const bin = fakeSystemPython(MLFLOW, SDK);
  expect(ensurePythonClients({ cacheDir, env: { PATH: bin }, log })).toBe(venvPython(cacheDir));
  expect(lines).toEqual([expect.stringMatching(/installing .*python-clients.txt/)]);
  const log2 = callLog();
  expect(log2).toContain(`python3 -m venv ${join(cacheDir, 'venv')}`);
  expect(log2).toContainEqual(expect.stringMatching(/venv-python -m pip install .* -r .*python-clients.txt$/));

  // Now stamped: reused.
  lines = [];
  expect(ensurePythonClients({ cacheDir, env: { PATH: bin }, log })).toBe(venvPython(cacheDir));
  expect(lines).toEqual([]);
});

it('refuses a fresh install that does not report the pinned versions, and says when python3 is missing', () => {
  const bin = fakeSystemPython('3.0.0', SDK);
  expect(() => ensurePythonClients({ cacheDir, env: { PATH: bin }, log })).toThrow(
    `the Python clients installed but are not the pinned ones: mlflow is 3.0.0, not the pinned ${MLFLOW}`,
  );
  expect(() => ensurePythonClients({ cacheDir: join(dir, 'other'), env: { PATH: '' }, log })).toThrow(
    /python3 is not on PATH: .*Python 3.11\+/,
  );
});
