import {
  checkExpectation,
  EdgeCaseError,
  MAX_EDGE_CASES,
  parseEdgeCases,
  type EdgeCase,
  type Expectation,
} from '../../src/plan/edge-cases';

function problems(text: string): string[] {
  try {
    parseEdgeCases(text, 'edge-cases.jsonl');
  } catch (err) {
    if (err instanceof EdgeCaseError) return err.problems;
    throw err;
  }
  throw new Error('expected the file to be refused');
}

const line = (value: unknown) => JSON.stringify(value);

describe('parseEdgeCases', () => {
  it('reads every expectation form, skipping blank lines and comments', () => {
    const text = [
      '// pinned predictions',
      '{"name": "exact", "input": {"amount": 1}, "expected": 0.5}',
      '',
      '  # a comment after spaces',
      '{"input": {"amount": 2}, "expected": {"approx": 0.4312}}',
      '{"input": {"amount": 3}, "expected": {"approx": 0.4312, "tolerance": 0.01}}',
      '{"input": {"amount": 4}, "expected": {"one_of": ["ok", "review"]}}',
      '{"input": {"amount": 5}, "expected": {"min": 0}}',
      '{"input": {"amount": 6}, "expected": {"min": 0, "max": 1}}',
      '{"input": {"amount": 7}, "expected": {"label": "ok", "scores": [0.1, 0.9]}}',
      '{"input": {}, "expected": null}',
      '   ',
    ].join('\r\n');
    const cases = parseEdgeCases(text, 'edge-cases.jsonl');
    expect(cases).toEqual<EdgeCase[]>([
      { name: 'exact', input: { amount: 1 }, expected: { kind: 'exact', value: 0.5 } },
      { name: 'line 5', input: { amount: 2 }, expected: { kind: 'approx', value: 0.4312 } },
      { name: 'line 6', input: { amount: 3 }, expected: { kind: 'approx', value: 0.4312, tolerance: 0.01 } },
      { name: 'line 7', input: { amount: 4 }, expected: { kind: 'one_of', values: ['ok', 'review'] } },
      { name: 'line 8', input: { amount: 5 }, expected: { kind: 'range', min: 0 } },
      { name: 'line 9', input: { amount: 6 }, expected: { kind: 'range', min: 0, max: 1 } },
      {
        name: 'line 10',
        input: { amount: 7 },
        expected: { kind: 'exact', value: { label: 'ok', scores: [0.1, 0.9] } },
      },
      { name: 'line 11', input: {}, expected: { kind: 'exact', value: null } },
    ]);
    // Plain JSON: the cases survive a trip through a workflow input unchanged.
    expect(JSON.parse(JSON.stringify(cases))).toEqual(cases);
  });

  it('ignores a byte-order mark', () => {
    expect(parseEdgeCases('\uFEFF{"input": {}, "expected": 1}\n', 'f')).toEqual([
      { name: 'line 1', input: {}, expected: { kind: 'exact', value: 1 } },
    ]);
  });

  it('names file:line and the field of every problem', () => {
    const text = [
      '# header',
      line({ name: 'ok', input: { a: 1 }, expected: 1 }),
      '{"input": {"a": 1}, "expected": 1', // truncated
      '[1, 2]',
      line({ input: { a: 1 } }),
      line({ name: 'no input', expected: 1 }),
      line({ name: '', input: [1], expected: 1, expect: 2 }),
      line({ input: { a: 1 }, expected: { approx: 0.5, tolerance: -0.1 } }),
      line({ input: { a: 1 }, expected: { approx: '0.5', tolerance: 'small' } }),
      line({ input: { a: 1 }, expected: { tolerance: 0.1 } }),
      line({ input: { a: 1 }, expected: { one_of: [] } }),
      line({ input: { a: 1 }, expected: { min: 2, max: 1 } }),
      line({ input: { a: 1 }, expected: { min: '0' } }),
      line({ input: { a: 1 }, expected: { approx: 1, one_of: [1] } }),
      line({ input: { a: 1 }, expected: { approx: 1, within: 2 } }),
      line({ name: 'ok', input: { a: 2 }, expected: 2 }),
    ].join('\n');
    expect(problems(text)).toEqual([
      'edge-cases.jsonl:3: not valid JSON at column 34; each line is one JSON object',
      'edge-cases.jsonl:4: a case is a JSON object {"name"?, "input", "expected"}, got an array',
      'edge-cases.jsonl:5: expected: missing; give a value, {"approx": n}, {"one_of": [...]} or {"min": a, "max": b}',
      'edge-cases.jsonl:6: input: missing; give the record to send, e.g. {"amount": 120}',
      'edge-cases.jsonl:7: expect: unknown field; a case has name, input and expected',
      'edge-cases.jsonl:7: name: must be a non-empty string, got ""',
      'edge-cases.jsonl:7: input: must be an object of column values, got an array',
      'edge-cases.jsonl:8: expected.tolerance: must be >= 0',
      'edge-cases.jsonl:9: expected.approx: must be a number, got "0.5"',
      'edge-cases.jsonl:9: expected.tolerance: must be a number, got "small"',
      'edge-cases.jsonl:10: expected.approx: missing; tolerance goes with {"approx": n, "tolerance": t}',
      'edge-cases.jsonl:11: expected.one_of: must be a non-empty array of values, got []',
      'edge-cases.jsonl:12: expected.max: must be >= min (2), got 1',
      'edge-cases.jsonl:13: expected.min: must be a number, got "0"',
      'edge-cases.jsonl:14: expected: give one of approx, one_of or min/max, not approx and one_of',
      'edge-cases.jsonl:15: expected.within: unknown field; an expectation object has approx (with tolerance), one_of, or min/max (to expect an object literally, write {"one_of": [{...}]})',
      'edge-cases.jsonl:16: name: "ok" is already the name of the case on line 2',
    ]);
  });

  it('counts a default name as taken', () => {
    expect(
      problems([line({ input: {}, expected: 1 }), line({ name: 'line 1', input: {}, expected: 2 })].join('\n')),
    ).toEqual(['edge-cases.jsonl:2: name: "line 1" is already the name of the case on line 1']);
  });

  it('lists the first 50 problems and counts the rest', () => {
    const found = problems(Array.from({ length: 60 }, () => '{').join('\n'));
    expect(found).toHaveLength(51);
    expect(found[49]).toMatch(/^edge-cases\.jsonl:50: not valid JSON/);
    expect(found[50]).toBe('edge-cases.jsonl: ... and 10 more problems');
  });

  it('refuses a file without cases', () => {
    expect(problems('// nothing yet\n\n# still nothing\n')).toEqual([
      'edge-cases.jsonl: no cases; write one JSON object per line, e.g. {"name": "zero amount", "input": {"amount": 0}, "expected": {"approx": 0.12}}',
    ]);
  });

  it(`accepts ${MAX_EDGE_CASES} cases and refuses one more`, () => {
    const caseLine = line({ input: { amount: 1 }, expected: 1 });
    expect(parseEdgeCases(Array(MAX_EDGE_CASES).fill(caseLine).join('\n'), 'f')).toHaveLength(MAX_EDGE_CASES);
    expect(
      problems(
        Array(MAX_EDGE_CASES + 1)
          .fill(caseLine)
          .join('\n'),
      ),
    ).toEqual([
      'edge-cases.jsonl: 1001 cases; the limit is 1000: keep the cases that pin down behaviour and leave bulk accuracy to the canary',
    ]);
  });

  it('refuses a file over 1 MiB, counting UTF-8 bytes', () => {
    // 400,000 three-byte characters: 400,000 UTF-16 units but 1.14 MiB of UTF-8.
    const big = line({ name: '€'.repeat(400_000), input: {}, expected: 1 });
    expect(big.length).toBeLessThan(1024 * 1024);
    expect(problems(big)).toEqual([
      `edge-cases.jsonl: the file is ${big.length + 800_000} bytes, over the limit of 1 MiB (1048576); an edge-case file holds at most 1000 cases`,
    ]);
    // Just under the limit in bytes (with a four-byte character counted as four) is fine.
    const name = '😀'.repeat(100) + 'x'.repeat(1024 * 1024 - 400 - 50);
    const justUnder = line({ name, input: {}, expected: 1 });
    expect(justUnder.length + 200).toBeLessThan(1024 * 1024);
    expect(parseEdgeCases(justUnder, 'f')[0].name).toBe(name);
  });
});

describe('checkExpectation', () => {
  const exact = (value: any): Expectation => ({ kind: 'exact', value });

  it('matches exact values by deep equality, key order aside', () => {
    expect(checkExpectation(exact({ a: [1, 'x', null], b: true }), { b: true, a: [1, 'x', null] }, 0)).toEqual({
      pass: true,
    });
    expect(checkExpectation(exact({ a: [1, 'x'] }), { a: [1, 'x'], extra: 1 }, 0)).toEqual({
      pass: false,
      reason: 'expected {"a":[1,"x"]}, got {"a":[1,"x"],"extra":1}',
    });
    expect(checkExpectation(exact([1, 2]), [2, 1], 0)).toEqual({ pass: false, reason: 'expected [1,2], got [2,1]' });
    expect(checkExpectation(exact('fraud'), 'Fraud', 0)).toEqual({
      pass: false,
      reason: 'expected "fraud", got "Fraud"',
    });
    expect(checkExpectation(exact(1), '1', 0)).toEqual({ pass: false, reason: 'expected 1, got "1"' });
    expect(checkExpectation(exact(null), undefined, 0)).toEqual({ pass: false, reason: 'expected null, got nothing' });
    expect(checkExpectation(exact({}), [], 0).pass).toBe(false);
  });

  it('compares exact numbers within the default tolerance, at any depth', () => {
    expect(checkExpectation(exact(0.5), 0.5, 0)).toEqual({ pass: true });
    expect(checkExpectation(exact(0.5), 0.5001, 0)).toEqual({
      pass: false,
      reason: 'expected 0.5, got 0.5001 (off by 0.0001)',
    });
    expect(checkExpectation(exact(0.5), 0.5001, 0.001)).toEqual({ pass: true });
    expect(checkExpectation(exact(0.5), 0.52, 0.01)).toEqual({
      pass: false,
      reason: 'expected 0.5 ± 0.01, got 0.52 (off by 0.02)',
    });
    expect(checkExpectation(exact({ scores: [0.1, 0.9] }), { scores: [0.105, 0.895] }, 0.01)).toEqual({ pass: true });
    expect(checkExpectation(exact({ scores: [0.1, 0.9] }), { scores: [0.105, 0.895] }, 0).pass).toBe(false);
  });

  it('checks approx with its own tolerance or the default, forgiving float rounding at the edge', () => {
    const approx: Expectation = { kind: 'approx', value: 0.4312, tolerance: 0.01 };
    expect(checkExpectation(approx, 0.47, 0)).toEqual({
      pass: false,
      reason: 'expected 0.4312 ± 0.01, got 0.47 (off by 0.0388)',
    });
    expect(checkExpectation(approx, 0.44, 0)).toEqual({ pass: true });
    // 0.4312 - 0.4212 is 0.010000000000000009 in floating point: still within 0.01.
    expect(0.4312 - 0.4212).toBeGreaterThan(0.01);
    expect(checkExpectation(approx, 0.4212, 0)).toEqual({ pass: true });
    expect(checkExpectation(approx, 0.4211, 0)).toEqual({
      pass: false,
      reason: 'expected 0.4312 ± 0.01, got 0.4211 (off by 0.0101)',
    });
    const withDefault: Expectation = { kind: 'approx', value: 0.4312 };
    expect(checkExpectation(withDefault, 0.45, 0.02)).toEqual({ pass: true });
    expect(checkExpectation(withDefault, 0.4313, 0)).toEqual({
      pass: false,
      reason: 'expected 0.4312 ± 0, got 0.4313 (off by 0.0001)',
    });
    // A tolerance of 0 given by the case is not replaced by the default.
    expect(checkExpectation({ kind: 'approx', value: 1, tolerance: 0 }, 1.5, 1).pass).toBe(false);
    expect(checkExpectation(withDefault, '0.4312', 0.1)).toEqual({
      pass: false,
      reason: 'expected 0.4312 ± 0.1, got "0.4312" (not a number)',
    });
  });

  it('checks one_of', () => {
    const oneOf: Expectation = { kind: 'one_of', values: ['ok', 'review', { label: 'x' }] };
    expect(checkExpectation(oneOf, 'review', 0)).toEqual({ pass: true });
    expect(checkExpectation(oneOf, { label: 'x' }, 0)).toEqual({ pass: true });
    expect(checkExpectation(oneOf, 'block', 0)).toEqual({
      pass: false,
      reason: 'expected one of ["ok","review",{"label":"x"}], got "block"',
    });
    const numbers: Expectation = { kind: 'one_of', values: [0, 1] };
    expect(checkExpectation(numbers, 0.999, 0.01)).toEqual({ pass: true });
    expect(checkExpectation(numbers, 0.5, 0.01)).toEqual({
      pass: false,
      reason: 'expected one of [0,1] (± 0.01), got 0.5',
    });
  });

  it('checks min and max, inclusive', () => {
    const range: Expectation = { kind: 'range', min: 0.2, max: 0.8 };
    expect(checkExpectation(range, 0.2, 0)).toEqual({ pass: true });
    expect(checkExpectation(range, 0.8, 0)).toEqual({ pass: true });
    expect(checkExpectation(range, 0.81, 0)).toEqual({ pass: false, reason: 'expected between 0.2 and 0.8, got 0.81' });
    expect(checkExpectation({ kind: 'range', min: 0.2 }, 0.1, 0)).toEqual({
      pass: false,
      reason: 'expected >= 0.2, got 0.1',
    });
    expect(checkExpectation({ kind: 'range', max: 0.8 }, 0.9, 0)).toEqual({
      pass: false,
      reason: 'expected <= 0.8, got 0.9',
    });
    expect(checkExpectation({ kind: 'range', max: 0.8 }, -5, 0)).toEqual({ pass: true });
    expect(checkExpectation(range, null, 0)).toEqual({
      pass: false,
      reason: 'expected between 0.2 and 0.8, got null (not a number)',
    });
  });

  it('refuses a negative default tolerance', () => {
    expect(() => checkExpectation({ kind: 'exact', value: 1 }, 1, -1)).toThrow('defaultTolerance must be >= 0, got -1');
  });
});
