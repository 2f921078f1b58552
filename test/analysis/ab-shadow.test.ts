import { decideAb } from '../../src/analysis/ab';
import { compareShadow } from '../../src/analysis/shadow';

const sample = (requests: number, errors: number, latenciesMs: number[] = []) => ({ requests, errors, latenciesMs });
const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('decideAb', () => {
  it('error rate: two-sided two-proportion test (statsmodels proportions_ztest reference)', () => {
    // proportions_ztest([30, 10], [1000, 1000], alternative='two-sided') → z = 3.1944, p = 0.0014008
    const worse = decideAb(sample(1000, 10), sample(1000, 30), 'error_rate', 0.05);
    expect(worse.winner).toBe('champion');
    expect(worse.pValue).toBeCloseTo(0.0014008, 5);
    const better = decideAb(sample(1000, 30), sample(1000, 10), 'error_rate', 0.05);
    expect([better.winner, better.pValue]).toEqual(['challenger', worse.pValue]);
    expect(decideAb(sample(1000, 10), sample(1000, 12), 'error_rate', 0.05).winner).toBe('tie');
  });

  it('median latency: Mann-Whitney two-sided; either side can win', () => {
    const slow = range(200, (i) => 20 + (i % 50));
    const fast = range(200, (i) => 15 + (i % 50));
    expect(decideAb(sample(200, 0, slow), sample(200, 0, fast), 'latency_p50', 0.05).winner).toBe('challenger');
    expect(decideAb(sample(200, 0, fast), sample(200, 0, slow), 'latency_p50', 0.05).winner).toBe('champion');
    expect(decideAb(sample(200, 0, slow), sample(200, 0, slow), 'latency_p50', 0.05)).toMatchObject({
      winner: 'tie',
      pValue: 1,
    });
  });

  it('p99 latency: the heavier tail loses; no samples is a tie, never a winner', () => {
    const light = range(2000, (i) => 20 + (i % 100) / 10);
    const heavy = range(2000, (i) => (i % 100 < 5 ? 200 + i / 100 : 20 + (i % 100) / 10));
    const decision = decideAb(sample(2000, 0, light), sample(2000, 0, heavy), 'latency_p99', 0.05);
    expect(decision.winner).toBe('champion');
    expect(decision.challenger.p99).toBeGreaterThan(decision.champion.p99);
    expect(decideAb(sample(0, 0), sample(0, 0), 'latency_p99', 0.05)).toMatchObject({ winner: 'tie', pValue: 1 });
  });
});

describe('compareShadow', () => {
  const limits = { tolerance: 0.01, max_disagreement: 0 };

  it('compares numbers within the tolerance and anything else exactly', () => {
    const result = compareShadow(
      [
        { input: 'a', champion: 0.5, challenger: 0.505 },
        { input: 'b', champion: { label: 'x', p: 1 }, challenger: { p: 1, label: 'x' } },
      ],
      limits,
    );
    expect(result).toMatchObject({ inputs: 2, disagreements: 0, passed: true, numeric: { n: 1 } });
    expect(result.numeric.maxAbsoluteDifference).toBeCloseTo(0.005, 10);
  });

  it('fails beyond the allowed share, naming the worst inputs first (non-numeric mismatches, then by size)', () => {
    const result = compareShadow(
      [
        { input: 'small', champion: 0.5, challenger: 0.52 },
        { input: 'large', champion: 0.1, challenger: 0.9 },
        { input: 'label', champion: 'fraud', challenger: 'ok' },
        { input: 'same', champion: 1, challenger: 1 },
      ],
      { tolerance: 0.01, max_disagreement: 0.5, max_mean_difference: 0.1 },
    );
    expect(result.disagreements).toBe(3);
    expect(result.examples.map((e) => e.input)).toEqual(['label', 'large', 'small']);
    expect(result.failures).toEqual([
      'the versions disagree on 3 of 4 inputs (75.0%, limit 50.0% at tolerance 0.01)',
      'mean absolute difference 0.273 is over the limit of 0.1',
    ]);
  });

  it('refuses to pass with nothing compared', () => {
    expect(compareShadow([], limits)).toMatchObject({
      passed: false,
      failures: ['no inputs were scored by both versions'],
    });
  });
});
