/**
 * Monte-Carlo operating characteristics of `judge` with the default configuration.
 *
 * Each simulated canary looks every 200 challenger requests up to maxRequests = 2000 (10 looks); the champion gets
 * 9× the requests (10% canary weight). Latencies are lognormal; errors are Bernoulli per request. A canary stops
 * at its first pass or fail. Everything is seeded (mulberry32), so the figures below are exactly reproducible.
 */

import { normInv } from '../../src/analysis/distributions';
import { DEFAULT_JUDGE, judge, type JudgeConfig } from '../../src/analysis/judge';

// Bound once: global lookups are slow inside jest's vm sandbox.
const { PI, cos, exp, floor, imul, log, sqrt } = Math;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  return sqrt(-2 * log(1 - rand())) * cos(2 * PI * rand());
}

interface Variant {
  medianMs: number;
  p99Ms: number;
  errorRate: number;
}

interface Outcome {
  failures: number;
  passes: number;
  inconclusive: number;
  /** Challenger requests at each canary's verdict (pass or fail). */
  requestsAtVerdict: number[];
  failedBy: Record<string, number>;
}

const CANARIES = 400;
const STEP = 200;
const CHAMPION_PER_CHALLENGER = 9;

function simulate(champion: Variant, challenger: Variant, seed: number, config: JudgeConfig = DEFAULT_JUDGE): Outcome {
  const rand = mulberry32(seed);
  const z99 = normInv(0.99);
  const draw = (v: Variant, n: number, latencies: number[]): number => {
    const sigma = log(v.p99Ms / v.medianMs) / z99;
    let errors = 0;
    for (let i = 0; i < n; i++) {
      latencies.push(v.medianMs * exp(sigma * normal(rand)));
      if (rand() < v.errorRate) errors++;
    }
    return errors;
  };
  const outcome: Outcome = { failures: 0, passes: 0, inconclusive: 0, requestsAtVerdict: [], failedBy: {} };
  for (let c = 0; c < CANARIES; c++) {
    const cpLatencies: number[] = [];
    const chLatencies: number[] = [];
    let cpErrors = 0;
    let chErrors = 0;
    let previous = 0;
    let decided = false;
    for (let look = 1; look * STEP <= config.maxRequests; look++) {
      cpErrors += draw(champion, STEP * CHAMPION_PER_CHALLENGER, cpLatencies);
      chErrors += draw(challenger, STEP, chLatencies);
      const v = judge(
        { requests: cpLatencies.length, errors: cpErrors, latenciesMs: cpLatencies },
        { requests: chLatencies.length, errors: chErrors, latenciesMs: chLatencies },
        config,
        previous,
        look,
      );
      previous = v.informationFraction;
      if (v.decision === 'inconclusive') continue;
      decided = true;
      outcome.requestsAtVerdict.push(chLatencies.length);
      if (v.decision === 'pass') outcome.passes++;
      else {
        outcome.failures++;
        for (const t of v.tests) {
          if (t.significant && t.effect >= t.floor) outcome.failedBy[t.test] = (outcome.failedBy[t.test] ?? 0) + 1;
        }
      }
      break;
    }
    if (!decided) outcome.inconclusive++;
  }
  return outcome;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[floor((s.length - 1) / 2)];
}

const CHAMPION: Variant = { medianMs: 20, p99Ms: 60, errorRate: 0.002 };

describe('judge Monte-Carlo (400 canaries per case, looks every 200 challenger requests up to 2000)', () => {
  // Figures with the default config (Pocock spending, α = 0.05) and these seeds:
  //   same distribution        → 1/400 failed (0.25%), 399 passed at 2000 requests
  //   +5 points of errors      → 400/400 failed, median 200 challenger requests at the verdict
  //   latencies ×1.5           → 400/400 failed, median 200
  //   same median, p99 +50%    → 400/400 failed, median 200 (all by latency-tail)
  // Wider runs (same simulator via tsx, seeds 101–108; null with 2000 canaries, others 400), Pocock / O'Brien-Fleming:
  //   same distribution        → 1.20% / 0.10% failed (Pocock: 20 of 24 by latency-tail)
  //   +5 points of errors      → 100% / 100%, median 200 / 400 requests at the verdict
  //   latencies ×1.5           → 100% / 100%, median 200 / 200
  //   same median, p99 +50%    → 100% / 100%, median 200 / 400
  //   +1 point of errors       → 79% / 73%, median 600 / 800
  //   latencies ×1.1           → 92% / 91%, median 400 / 600
  //   latencies ×1.05 (< floor)→ 22% / 15% failed (floors are checked on noisy point estimates)
  //   same median, p99 +20%    → 95% / 93%, median 600 / 800
  it('false-failure rate ≤ 5% when the challenger equals the champion', () => {
    const o = simulate(CHAMPION, CHAMPION, 1);
    expect(o.failures / CANARIES).toBeLessThanOrEqual(0.05);
    expect(o.passes + o.failures).toBe(CANARIES); // every canary reaches a verdict by the final look
  });

  it('fails ≥ 95% of challengers with +5 points of errors', () => {
    const o = simulate(CHAMPION, { ...CHAMPION, errorRate: 0.052 }, 2);
    expect(o.failures / CANARIES).toBeGreaterThanOrEqual(0.95);
    expect(medianOf(o.requestsAtVerdict)).toBeLessThanOrEqual(400);
  });

  it('fails ≥ 95% of challengers whose latencies are ×1.5 (median and p99 +50%)', () => {
    const o = simulate(CHAMPION, { ...CHAMPION, medianMs: 30, p99Ms: 90 }, 3);
    expect(o.failures / CANARIES).toBeGreaterThanOrEqual(0.95);
    expect(medianOf(o.requestsAtVerdict)).toBeLessThanOrEqual(400);
  });

  it('fails ≥ 95% of challengers with the same median but p99 +50% (the tail test)', () => {
    const o = simulate(CHAMPION, { ...CHAMPION, p99Ms: 90 }, 4);
    expect(o.failures / CANARIES).toBeGreaterThanOrEqual(0.95);
    expect(o.failedBy['latency-tail'] ?? 0).toBeGreaterThanOrEqual(0.95 * CANARIES);
    expect(medianOf(o.requestsAtVerdict)).toBeLessThanOrEqual(600);
  });
});
