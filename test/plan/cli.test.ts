import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { planInput, tempFiles } from './helpers';

const root = join(__dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const EXAMPLE = 'examples/plans/three-regions.yaml';

type Run = { code: number; stdout: string; stderr: string };

/** Runs `tsx src/client.ts ...args` (what `npx tsx` runs, without npm's own output). */
async function rollout(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ['src/client.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout: string; stderr: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('rollout CLI', () => {
  it('validates the example plan', async () => {
    const run = await rollout('validate', EXAMPLE);
    expect(run).toEqual({
      code: 0,
      stdout: `OK ${EXAMPLE}: main.ml.fraud_detector, 3 regions in 2 waves, 2 stages, 8 edge cases; worst case 1.76h\n`,
      stderr: '',
    });
  });

  it('describes the example plan', async () => {
    const run = await rollout('plan', EXAMPLE, '--version', '2');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Rollout of main.ml.fraud_detector\n  version: 2 (from the command line)\n');
    expect(run.stdout).toContain(
      '  1. pilot: eu-west-1 (all at once)\n  2. rest: us-east-1, ap-southeast-1 (all at once)\n',
    );
    expect(run.stdout).toContain(
      '    model:         ml_shared.ml.fraud_detector (through the Delta Sharing catalog ml_shared)\n',
    );
    // 2m + (5m + 20s) + (5m + 20s + 30m) + 5m = 47m40s a region, one batch in each of two waves.
    expect(run.stdout).toContain('Worst-case duration: 1.76h (every wait runs to its timeout)\n');
    expect(run.stdout).toContain('  total: 52.67m + 52.67m = 1.76h\n');
    expect(run.stdout).toContain('Expected if nothing waits for a timeout: 1.33m (the bakes alone)\n');
    const alias = await rollout('plan', EXAMPLE, '--alias=challenger');
    expect(alias.stdout).toContain('  version: the version the alias "challenger" names (from the command line)\n');
  });

  it('lists every problem of an invalid plan and exits 2', async () => {
    const plan = planInput() as any;
    const dir = tempFiles({
      'plan.yaml': stringify({
        ...plan,
        primary: 'us-west-2',
        stages: [{ name: 'canary', traffic: 150, bake: 'a while' }],
        tests: { edge_cases: { file: 'cases.jsonl' } },
      }),
      'cases.jsonl': '{"input": {"amount": 1}, "expected": {"approx": 0.5, "tolerance": -1}}\n',
    });
    const path = join(dir, 'plan.yaml');
    const validate = await rollout('validate', path);
    expect(validate).toEqual({
      code: 2,
      stdout: '',
      stderr: [
        `invalid plan ${path}: 5 problems`,
        '  stages[0].traffic: traffic is 1-100',
        '  stages[0].bake: "a while" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"',
        '  regions[0].shared_catalog: name the Delta Sharing catalog through which us-east-1 reads the model (only the primary may omit it)',
        '  primary: "us-west-2" is not one of regions[].name',
        `  tests.edge_cases.file: ${join(dir, 'cases.jsonl')}:1: expected.tolerance: must be >= 0`,
        '',
      ].join('\n'),
    });
    const described = await rollout('plan', path);
    expect(described.code).toBe(2);
    expect(described.stderr).toBe(validate.stderr);
  });

  it('prints help for the program and each command', async () => {
    const program = await rollout('--help');
    expect(program.code).toBe(0);
    expect(program.stdout).toMatch(/^Usage: rollout <command> \[options\]\n/);
    expect(program.stdout).toMatch(/^ {2}validate +check a plan and its edge-case file$/m);
    expect(program.stdout).toMatch(/^ {2}start +start \(or attach to\) a rollout/m);
    expect(program.stdout).toMatch(/^ {2}plan +show what a plan will do and how long it can take$/m);
    expect(program.stdout).toContain('Examples:\n  rollout validate examples/plans/three-regions.yaml\n');
    const validate = await rollout('validate', '--help');
    expect(validate).toMatchObject({ code: 0, stderr: '' });
    expect(validate.stdout).toMatch(/^Usage: rollout validate <plan.yaml>\n/);
    expect(validate.stdout).toContain('Examples:\n');
    const plan = await rollout('plan', '-h');
    expect(plan).toMatchObject({ code: 0, stderr: '' });
    expect(plan.stdout).toMatch(/^Usage: rollout plan <plan.yaml> \[--version N \| --alias A\] \[--endpoints\]\n/);
    expect(plan.stdout).toContain('  rollout plan examples/plans/three-regions.yaml --version 2\n');
    expect((await rollout('help', 'plan')).stdout).toBe(plan.stdout);
    const none = await rollout();
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(program.stdout);
  });

  it('refuses unknown flags, commands and bad values with exit 2', async () => {
    const cases: [string[], string][] = [
      [['validate', EXAMPLE, '--strict'], 'rollout validate: unknown option --strict\nSee: rollout validate --help\n'],
      [['plan', EXAMPLE, '-x'], 'rollout plan: unknown option -x\nSee: rollout plan --help\n'],
      [['--verbose', 'plan'], 'rollout: unknown option --verbose; options go after the command\nSee: rollout --help\n'],
      [
        ['deploy', EXAMPLE],
        'rollout: unknown command "deploy"; commands: start, status, approve, reject, pause, resume, abort, skip-bake, retry-rollback, watch, list, history, validate, plan, codec-server, approvals-server, latency-report\nSee: rollout --help\n',
      ],
      [
        ['plan', EXAMPLE, '--version'],
        'rollout plan: --version needs a value, e.g. --version 3\nSee: rollout plan --help\n',
      ],
      [
        ['plan', EXAMPLE, '--version', '--alias', 'x'],
        'rollout plan: --version needs a value, e.g. --version 3 (got --alias; write --version=--alias if you mean it)\nSee: rollout plan --help\n',
      ],
      [
        ['plan', EXAMPLE, '--version', 'two'],
        'rollout plan: --version must be a positive whole number, got "two"\nSee: rollout plan --help\n',
      ],
      [
        ['plan', EXAMPLE, '--version', '2', '--alias', 'x'],
        'rollout plan: give --version or --alias, not both\nSee: rollout plan --help\n',
      ],
      [
        ['plan', EXAMPLE, '--version', '2', '--version', '3'],
        'rollout plan: --version is given twice\nSee: rollout plan --help\n',
      ],
      [['validate', '--help=yes'], 'rollout validate: --help takes no value\nSee: rollout validate --help\n'],
      [
        ['validate'],
        'rollout validate: give the plan file, e.g. rollout validate plan.yaml\nSee: rollout validate --help\n',
      ],
      [
        ['validate', 'a.yaml', 'b.yaml'],
        'rollout validate: give one plan file, got 2: a.yaml b.yaml\nSee: rollout validate --help\n',
      ],
    ];
    const runs = await Promise.all(cases.map(([args]) => rollout(...args)));
    runs.forEach((run, i) =>
      expect({ args: cases[i][0], ...run }).toEqual({ args: cases[i][0], code: 2, stdout: '', stderr: cases[i][1] }),
    );
  });
});

describe('rollout main() in process', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) } };
  };

  it('exits 2 naming an unreadable plan', async () => {
    const { err, io } = capture();
    expect(await main(['validate', 'no/such/plan.yaml'], io)).toBe(2);
    expect(err.join('')).toBe(
      "invalid plan no/such/plan.yaml: 1 problem\n  cannot read the file: ENOENT: no such file or directory, open 'no/such/plan.yaml'\n",
    );
  });

  it('exits 1 with the stack on an unexpected failure', async () => {
    const { err } = capture();
    const io = {
      out: () => {
        throw new Error('EPIPE: broken pipe');
      },
      err: (t: string) => void err.push(t),
    };
    expect(await main(['validate', join(root, EXAMPLE)], io)).toBe(1);
    expect(err.join('')).toMatch(/^rollout validate: unexpected error: Error: EPIPE: broken pipe\n {4}at /);
  });
});
