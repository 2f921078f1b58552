/**
 * Reading the files a plan names: bounded by size, regular files only, checked on the opened handle, and parse
 * errors that say where without quoting the file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDatabricksConfig } from '../../src/databricks/config';
import { loadWorldFile } from '../../src/emulator/world';
import { loadPlan, PlanError } from '../../src/plan/load';
import { readBounded } from '../../src/read-file';
import { jsonErrorOffset, yamlErrorText } from '../../src/plan/syntax-errors';
import { tempFiles } from './helpers';

const PLAN = `model: main.ml.churn
primary: us-east-1
regions:
  - { name: us-east-1, workspace: { profile: us-east-1 }, endpoint: churn }
stages:
  - { name: canary, traffic: 10, bake: 1m }
`;

/** The problems loadPlan reports, within a deadline: a read that never ends fails the test instead of hanging it. */
function problemsOf(path: string): string[] {
  try {
    loadPlan(path);
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error(`${path} was accepted`);
}

const SECRET_CFG = '[DEFAULT]\nhost = https://adb-1.2.azuredatabricks.net\ntoken = dapi0123456789abcdef0123\n';

describe('readBounded', () => {
  it('reads a regular file, and refuses one over the limit without reading it', () => {
    const dir = tempFiles({ small: 'abc', big: 'x'.repeat(100) });
    const small = readBounded(join(dir, 'small'), 3);
    expect(small.ok && small.bytes.toString()).toBe('abc');
    expect(readBounded(join(dir, 'big'), 10)).toEqual({ ok: false, reason: 'too-big', size: 100, exact: true });
  });

  it('refuses devices, directories and FIFOs, also behind a symlink, without blocking', () => {
    const dir = tempFiles({});
    symlinkSync('/dev/zero', join(dir, 'zero-link'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(readBounded('/dev/zero', 1024)).toEqual({ ok: false, reason: 'not-regular', kind: 'a character device' });
    expect(readBounded(join(dir, 'zero-link'), 1024)).toEqual({
      ok: false,
      reason: 'not-regular',
      kind: 'a character device',
    });
    expect(readBounded(dir, 1024)).toEqual({ ok: false, reason: 'not-regular', kind: 'a directory' });
    // With no writer, a blocking open of a FIFO would never return.
    expect(readBounded(join(dir, 'fifo'), 1024)).toEqual({
      ok: false,
      reason: 'not-regular',
      kind: 'a FIFO (named pipe)',
    });
  });

  it('stops at limit + 1 bytes of a file whose size is unknown (/proc reports 0)', () => {
    if (!existsSync('/proc/self/environ')) return;
    const read = readBounded('/proc/self/environ', 4);
    expect(read).toEqual({ ok: false, reason: 'too-big', size: 5, exact: false });
  });
});

describe('loadPlan on hostile paths', () => {
  it('refuses /dev/zero and a FIFO as the plan, the edge-case file and the bundle', () => {
    const dir = tempFiles({
      'cases.yaml': `${PLAN}tests: { edge_cases: { file: zero } }\n`,
      'bundle.yaml': `bundle: fifo\n${PLAN.replace('{ profile: us-east-1 }', '{ bundle_target: prod }')}`,
    });
    symlinkSync('/dev/zero', join(dir, 'zero'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(problemsOf(join(dir, 'zero'))).toEqual(['the file is a character device, not a regular file; name a file']);
    expect(problemsOf(join(dir, 'fifo'))).toEqual(['the file is a FIFO (named pipe), not a regular file; name a file']);
    expect(problemsOf(join(dir, 'cases.yaml'))).toEqual([
      `tests.edge_cases.file: ${join(dir, 'zero')} is a character device, not a regular file; name a file`,
    ]);
    expect(problemsOf(join(dir, 'bundle.yaml'))).toEqual([
      `bundle: ${join(dir, 'fifo')} is a FIFO (named pipe), not a regular file; name a file`,
    ]);
  });

  it('never quotes a credentials file named as the edge-case file or as the plan: line and column only', () => {
    const dir = tempFiles({
      databrickscfg: SECRET_CFG,
      'plan.yaml': `${PLAN}tests: { edge_cases: { file: databrickscfg } }\n`,
    });
    const cfg = join(dir, 'databrickscfg');
    expect(problemsOf(join(dir, 'plan.yaml'))).toEqual([
      `tests.edge_cases.file: ${cfg}:1: not valid JSON at column 2; each line is one JSON object`,
      `tests.edge_cases.file: ${cfg}:2: not valid JSON at column 1; each line is one JSON object`,
      `tests.edge_cases.file: ${cfg}:3: not valid JSON at column 1; each line is one JSON object`,
    ]);
    const asPlan = problemsOf(cfg).join('\n');
    expect(asPlan).toMatch(/^not valid YAML: .* at line \d+, column \d+/);
    for (const text of [asPlan, problemsOf(join(dir, 'plan.yaml')).join('\n')])
      for (const secret of ['dapi', 'adb-1', 'host', 'token']) expect(text).not.toContain(secret);
  });

  it('never quotes /proc/self/environ', () => {
    if (!existsSync('/proc/self/environ')) return;
    process.env.READ_FILE_TEST_SECRET = 'dapiSECRET0123456789';
    const dir = tempFiles({ 'plan.yaml': `${PLAN}tests: { edge_cases: { file: /proc/self/environ } }\n` });
    const text = problemsOf(join(dir, 'plan.yaml')).join('\n');
    expect(text).toContain('/proc/self/environ:1: not valid JSON at column 1');
    expect(text).not.toContain('dapiSECRET');
    expect(text).not.toContain('READ_FILE');
  });
});

describe('syntax error positions', () => {
  it('finds the offset of the first bad character of a JSON line', () => {
    expect(jsonErrorOffset('{"a": 1}')).toBeUndefined();
    expect(jsonErrorOffset('[1, {"b": [true, null, "x\\u00e9"]}, -1.5e3]')).toBeUndefined();
    expect(jsonErrorOffset('host = x')).toBe(0);
    expect(jsonErrorOffset('{"a": dapi}')).toBe(6);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a": "x')).toBe(8);
    expect(jsonErrorOffset('{"a": "\u0001"}')).toBe(7);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    expect(jsonErrorOffset('[01]')).toBe(2);
    // Agrees with JSON.parse on what is valid.
    for (const text of ['{"a": 1}', '{"a": 1,}', '"\\q"', '[1 2]', '{"a" 1}', '1e', 'nul'])
      expect(jsonErrorOffset(text) === undefined).toBe(
        (() => {
          try {
            JSON.parse(text);
            return true;
          } catch {
            return false;
          }
        })(),
      );
  });

  it('describes a YAML error by its code and position only', () => {
    expect(yamlErrorText({ code: 'TAG_RESOLVE_FAILED', linePos: [{ line: 3, col: 7 }] })).toBe(
      'a tag (!...) is unknown at line 3, column 7',
    );
    expect(yamlErrorText({ code: 'UNEXPECTED_TOKEN' })).toBe('unexpected content');
  });
});

describe('other files read the same way', () => {
  it('refuses /dev/zero and a FIFO as a world file and as the Databricks config file, without hanging', () => {
    const dir = tempFiles({});
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(() => loadWorldFile('/dev/zero')).toThrow(/the file is a character device, not a regular file/);
    expect(() => loadWorldFile(join(dir, 'fifo'))).toThrow(/the file is a FIFO \(named pipe\), not a regular file/);
    for (const file of ['/dev/zero', join(dir, 'fifo')])
      expect(() => resolveDatabricksConfig({ profile: 'x', env: { DATABRICKS_CONFIG_FILE: file } })).toThrow(
        /cannot read Databricks config file .*: it is a (character device|FIFO \(named pipe\)), not a regular file/,
      );
  });
});
