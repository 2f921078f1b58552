import { normInv } from '../../src/analysis/distributions';
import { DEFAULT_JUDGE, judge, type Verdict, type VariantSample } from '../../src/analysis/judge';

/** Deterministic lognormal quantile grid: n latencies with the given median and log-space sigma. */
function grid(n: number, medianMs: number, sigma: number): number[] {
  return Array.from({ length: n }, (_, i) => medianMs * Math.exp(sigma * normInv((i + 0.5) / n)));
}

const SIGMA = Math.log(3) / normInv(0.99); // median 20 ms, p99 60 ms

function sample(requests: number, errors: number, latenciesMs: number[]): VariantSample {
  return { requests, errors, latenciesMs };
}

function expectNoNaN(v: Verdict): void {
  const walk = (x: unknown): void => {
    if (typeof x === 'number') expect(Number.isFinite(x)).toBe(true);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
  };
  walk(v);
  expect(JSON.parse(JSON.stringify(v))).toEqual(v);
}

describe('judge', () => {
  it('no challenger traffic is inconclusive, never a failure', () => {
    const v = judge(sample(1800, 3, grid(1800, 20, SIGMA)), sample(0, 0, []), DEFAULT_JUDGE, 0);
    expect(v.decision).toBe('inconclusive');
    expect(v.reasons).toEqual(['no challenger traffic yet']);
    expect(v.tests).toEqual([]);
    expectNoNaN(v);
  });

  it('no traffic at all, and no champion traffic, are inconclusive', () => {
    expect(judge(sample(0, 0, []), sample(0, 0, []), DEFAULT_JUDGE, 0).decision).toBe('inconclusive');
    const v = judge(sample(0, 0, []), sample(500, 0, grid(500, 20, SIGMA)), DEFAULT_JUDGE, 0);
    expect(v).toMatchObject({ decision: 'inconclusive', reasons: ['no champion traffic yet'] });
    expectNoNaN(v);
  });

  it('requests without latency samples: error test only, and never a pass', () => {
    const v = judge(sample(18000, 20, []), sample(2000, 2, []), DEFAULT_JUDGE, 0.9);
    expect(v.decision).toBe('inconclusive');
    expect(v.tests.map((t) => t.test)).toEqual(['error-rate']);
    expect(v.reasons).toContain('no challenger latency samples yet');
    expectNoNaN(v);
  });

  it('all-identical latencies and zero errors pass at the final look without NaN', () => {
    const v = judge(sample(18000, 0, Array(18000).fill(20)), sample(2000, 0, Array(2000).fill(20)), DEFAULT_JUDGE, 0.9);
    expect(v.decision).toBe('pass');
    expect(v.tests.every((t) => t.pValue === 1 && !t.significant)).toBe(true);
    expectNoNaN(v);
  });

  it('equal variants are inconclusive before the final look and pass at it', () => {
    const early = judge(
      sample(3600, 7, grid(3600, 20, SIGMA)),
      sample(400, 1, grid(400, 20, SIGMA)),
      DEFAULT_JUDGE,
      0.1,
      2,
    );
    expect(early).toMatchObject({ decision: 'inconclusive', look: 2, informationFraction: 0.2 });
    expect(early.reasons.some((r) => r.startsWith('final look not reached'))).toBe(true);
    const final = judge(
      sample(18000, 36, grid(18000, 20, SIGMA)),
      sample(2000, 4, grid(2000, 20, SIGMA)),
      DEFAULT_JUDGE,
      0.9,
      10,
    );
    expect(final.decision).toBe('pass');
    expect(final.alphaSpent).toBe(DEFAULT_JUDGE.alpha);
    expect(final.tests).toHaveLength(3);
    expect(final.challenger).toMatchObject({ requests: 2000, errorRate: 0.002 });
    expect(final.challenger.p50).toBeCloseTo(20, 0);
    expect(final.challenger.p99).toBeCloseTo(60, -1);
    expectNoNaN(final);
  });

  it('never passes below minRequests, on either side', () => {
    const config = { ...DEFAULT_JUDGE, maxRequests: 100, minRequests: 200 };
    const v = judge(sample(900, 0, grid(900, 20, SIGMA)), sample(150, 0, grid(150, 20, SIGMA)), config, 0.5);
    expect(v.decision).toBe('inconclusive');
    expect(v.reasons.some((r) => r.includes('fewer than minRequests'))).toBe(true);
    const w = judge(sample(100, 0, grid(100, 20, SIGMA)), sample(2000, 0, grid(2000, 20, SIGMA)), DEFAULT_JUDGE, 0.9);
    expect(w.decision).toBe('inconclusive');
    expect(w.reasons).toContain('champion has 100 requests, fewer than minRequests 200');
  });

  it('fails fast on errors at the first look, with the evidence', () => {
    const v = judge(sample(1800, 4, grid(1800, 20, SIGMA)), sample(200, 12, grid(200, 20, SIGMA)), DEFAULT_JUDGE, 0);
    expect(v.decision).toBe('fail');
    const e = v.tests.find((t) => t.test === 'error-rate')!;
    expect(e).toMatchObject({ significant: true, worse: true, floor: 0.01 });
    expect(e.pValue).toBeLessThan(e.alphaAtLook);
    expect(v.reasons[0]).toMatch(/^error-rate: errors 6\.00% vs 0\.22%/);
    expectNoNaN(v);
  });

  it('one error in a handful of requests does not fail the canary', () => {
    const v = judge(sample(27, 0, grid(27, 20, SIGMA)), sample(3, 1, grid(3, 20, SIGMA)), DEFAULT_JUDGE, 0);
    expect(v.decision).toBe('inconclusive');
  });

  it('fails on a uniform slowdown (latency-rank) and on a heavier tail with the same median (latency-tail)', () => {
    const slow = judge(sample(1800, 4, grid(1800, 20, SIGMA)), sample(200, 0, grid(200, 30, SIGMA)), DEFAULT_JUDGE, 0);
    expect(slow.decision).toBe('fail');
    expect(slow.tests.find((t) => t.test === 'latency-rank')!.significant).toBe(true);
    const tail = judge(
      sample(1800, 4, grid(1800, 20, SIGMA)),
      sample(200, 0, grid(200, 20, Math.log(4.5) / normInv(0.99))),
      DEFAULT_JUDGE,
      0,
    );
    expect(tail.decision).toBe('fail');
    expect(tail.tests.find((t) => t.test === 'latency-rank')!.significant).toBe(false);
    expect(tail.reasons).toHaveLength(1);
    expect(tail.reasons[0]).toMatch(/^latency-tail: /);
  });

  it('a significant difference below the floor is not a failure', () => {
    // 5% slower everywhere, 20000 vs 180000 requests: significant, but under the 10% floor.
    const config = { ...DEFAULT_JUDGE, maxRequests: 20000 };
    const v = judge(sample(180000, 0, grid(180000, 20, SIGMA)), sample(20000, 0, grid(20000, 21, SIGMA)), config, 0.9);
    const rank = v.tests.find((t) => t.test === 'latency-rank')!;
    expect(rank.significant).toBe(true);
    expect(rank.effect).toBeLessThan(rank.floor);
    expect(v.decision).toBe('pass');
    expect(v.reasons.some((r) => r.includes('significant but below its floor'))).toBe(true);
  });

  it('no new information since the previous look spends no alpha', () => {
    const v = judge(
      sample(3600, 100, grid(3600, 20, SIGMA)),
      sample(400, 100, grid(400, 20, SIGMA)),
      DEFAULT_JUDGE,
      0.2,
    );
    expect(v.decision).toBe('inconclusive');
    expect(v.tests.every((t) => t.alphaAtLook === 0 && !t.significant)).toBe(true);
    expect(v.reasons).toContain('no new information since the previous look');
  });
});
