import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadPlan, PlanError } from '../../src/plan/load';
import { planInput, tempFiles } from './helpers';

function loadProblems(path: string): string[] {
  try {
    loadPlan(path);
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected the plan to be refused');
}

const CASES = '{"name": "zero", "input": {"amount": 0}, "expected": {"approx": 0.12}}\n';

function withEdgeCases(file: string, stage = true) {
  const plan = planInput() as any;
  return {
    ...plan,
    stages: stage ? [{ name: 'canary', traffic: 10, gate: ['edge-cases'] }] : plan.stages,
    tests: { edge_cases: { file, tolerance: 0.01 } },
  };
}

describe('loadPlan', () => {
  it('loads a plan and the edge-case file next to it', () => {
    const dir = tempFiles({ 'plan.yaml': stringify(withEdgeCases('cases/fraud.jsonl')) });
    mkdirSync(join(dir, 'cases'));
    writeFileSync(join(dir, 'cases', 'fraud.jsonl'), CASES);
    const { plan, edgeCases } = loadPlan(join(dir, 'plan.yaml'));
    expect(plan.model).toBe('main.ml.churn');
    expect(plan.stages[0].gate).toEqual(['edge-cases']);
    expect(edgeCases).toEqual([{ name: 'zero', input: { amount: 0 }, expected: { kind: 'approx', value: 0.12 } }]);
  });

  it('returns no edge cases when the plan has none', () => {
    const dir = tempFiles({ 'plan.yaml': stringify(planInput()) });
    expect(loadPlan(join(dir, 'plan.yaml')).edgeCases).toEqual([]);
  });

  it('reports an unreadable file', () => {
    const dir = tempFiles({});
    const missing = join(dir, 'missing.yaml');
    expect(loadProblems(missing)).toEqual([
      `cannot read the file: ENOENT: no such file or directory, open '${missing}'`,
    ]);
    expect(loadProblems(dir)).toEqual(['the file is a directory, not a regular file; name a file']);
    const error = (() => {
      try {
        loadPlan(missing);
      } catch (err) {
        return err as PlanError;
      }
    })();
    expect(error).toBeInstanceOf(PlanError);
    expect(error?.source).toBe(missing);
    expect(error?.message).toBe(
      `invalid plan ${missing}:\n  - cannot read the file: ENOENT: no such file or directory, open '${missing}'`,
    );
  });

  it('reports a path it cannot read as a file (a directory; permissions do not stop root)', () => {
    const dir = tempFiles({ 'plan.yaml': stringify(planInput()) });
    expect(loadProblems(dir)).toEqual([expect.stringMatching(/^the file is a directory, not a regular file/)]);
  });

  it('reports every YAML error with its line', () => {
    const dir = tempFiles({
      'bad.yaml': 'model: main.ml.churn\nprimary: [us-east-1\nstages:\n  - name: a\n    name: b\n',
      'dup.yaml': 'model: a.b.c\nmodel: d.e.f\n',
      'two.yaml': 'model: a.b.c\n---\nmodel: d.e.f\n',
      'empty.yaml': '# nothing here\n',
    });
    const bad = loadProblems(join(dir, 'bad.yaml'));
    expect(bad.length).toBeGreaterThanOrEqual(1);
    for (const problem of bad) expect(problem).toMatch(/^not valid YAML: .* at line \d+, column \d+$/);
    expect(loadProblems(join(dir, 'dup.yaml'))).toEqual([
      'not valid YAML: Map keys must be unique at line 2, column 1',
    ]);
    expect(loadProblems(join(dir, 'two.yaml'))).toEqual([
      'not valid YAML: the file holds several documents (separated by ---); a plan is one document',
    ]);
    expect(loadProblems(join(dir, 'empty.yaml'))).toEqual([
      'the file is empty; a plan needs at least model, primary, regions and stages',
    ]);
  });

  it('refuses an alias bomb', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 8; i++)
      lines.push(
        `${'b'.repeat(i)}: &${'a'.repeat(i + 1)} [${Array(10)
          .fill(`*${'a'.repeat(i)}`)
          .join(', ')}]`,
      );
    const dir = tempFiles({ 'bomb.yaml': lines.join('\n') + '\n' });
    expect(loadProblems(join(dir, 'bomb.yaml'))).toEqual([
      expect.stringMatching(/^not valid YAML: Excessive alias count/),
    ]);
  });

  it('accepts a plan of exactly 1 MiB and refuses one byte more', () => {
    const yaml = stringify(planInput());
    const padded = (size: number) => `${yaml}# ${'x'.repeat(size - yaml.length - 3)}\n`;
    expect(Buffer.byteLength(padded(1024 * 1024))).toBe(1024 * 1024);
    const dir = tempFiles({ 'limit.yaml': padded(1024 * 1024), 'over.yaml': padded(1024 * 1024 + 1) });
    expect(loadPlan(join(dir, 'limit.yaml')).plan.model).toBe('main.ml.churn');
    expect(loadProblems(join(dir, 'over.yaml'))).toEqual([
      'the file is 1048577 bytes, over the limit of 1 MiB (1048576); a plan is a few KiB',
    ]);
  });

  it('reports every schema problem at once, each starting with its path', () => {
    const plan = planInput() as any;
    const dir = tempFiles({
      'plan.yaml': stringify({
        ...plan,
        model: 'churn',
        stages: [
          { name: 'canary', traffic: 10, bake: 'soon' },
          { name: 'half', traffic: 150 },
        ],
        timeouts: { replication: '5 min' },
        on_concurrent_rollout: 'wait',
      }),
    });
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      'model: write the model as catalog.schema.model',
      'stages[0].bake: "soon" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"',
      'stages[1].traffic: traffic is 1-100',
      'timeouts.replication: "5 min" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"',
      'on_concurrent_rollout: Invalid option: expected one of "queue"|"supersede"|"refuse"',
    ]);
  });

  it('names the edge-case file and its line in edge-case problems, relative to the plan', () => {
    const dir = tempFiles({
      'plan.yaml': stringify(withEdgeCases('cases.jsonl')),
      'cases.jsonl': [
        '// cases',
        '{"input": {"amount": 0}, "expected": {"approx": 0.12}}',
        '',
        '{"input": {"amount": 1}, "expected": {"approx": 0.12, "tolerance": -0.01}}',
        '{"input": "amount=2", "expected": 1}',
      ].join('\n'),
    });
    const cases = join(dir, 'cases.jsonl');
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      `tests.edge_cases.file: ${cases}:4: expected.tolerance: must be >= 0`,
      `tests.edge_cases.file: ${cases}:5: input: must be an object of column values, got a string`,
    ]);
  });

  it('reports schema and edge-case problems together', () => {
    const dir = tempFiles({
      'plan.yaml': stringify({ ...withEdgeCases('cases.jsonl'), primary: 'mars-1' }),
      'cases.jsonl': '{"input": {}, "expected": {"min": 1, "max": 0}}\n',
    });
    expect(loadProblems(join(dir, 'plan.yaml'))).toEqual([
      'regions[0].shared_catalog: name the Delta Sharing catalog through which us-east-1 reads the model (only the primary may omit it)',
      'primary: "mars-1" is not one of regions[].name',
      `tests.edge_cases.file: ${join(dir, 'cases.jsonl')}:1: expected.max: must be >= min (1), got 0`,
    ]);
  });

  it('reports a missing, empty or over-size edge-case file', () => {
    const dir = tempFiles({
      'missing.yaml': stringify(withEdgeCases('nope.jsonl')),
      'empty.yaml': stringify(withEdgeCases('empty.jsonl')),
      'empty.jsonl': '\n# to do\n',
      'huge.yaml': stringify(withEdgeCases('huge.jsonl')),
      'huge.jsonl': CASES.repeat(20_000), // 71 bytes a line
    });
    expect(loadProblems(join(dir, 'missing.yaml'))).toEqual([
      `tests.edge_cases.file: cannot read ${join(dir, 'nope.jsonl')}: ENOENT: no such file or directory, open '${join(dir, 'nope.jsonl')}'`,
    ]);
    expect(loadProblems(join(dir, 'empty.yaml'))).toEqual([
      `tests.edge_cases.file: ${join(dir, 'empty.jsonl')}: no cases; write one JSON object per line, e.g. {"name": "zero amount", "input": {"amount": 0}, "expected": {"approx": 0.12}}`,
    ]);
    expect(loadProblems(join(dir, 'huge.yaml'))).toEqual([
      `tests.edge_cases.file: ${join(dir, 'huge.jsonl')} is 1420000 bytes, over the limit of 1 MiB (1048576); an edge-case file holds at most 1000 cases`,
    ]);
  });
});
