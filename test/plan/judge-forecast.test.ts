/**
 * The judge forecast: its fast sampler against a per-request simulation, the real judge's quiet decision against its
 * full verdict, and the forecast's answers moving the right way with traffic and windows.
 */
import { nearestRank, quantileKey, type Batch } from '../../src/analysis/batch';
import { DEFAULT_SEQUENTIAL_JUDGE, SequentialJudge } from '../../src/analysis/sequential-judge';
import { Random } from '../../src/emulator/random';
import {
  forecastJudge,
  forecastStages,
  judgeWindowProblems,
  sampleAggregate,
  type SimulatedVersion,
} from '../../src/plan/judge-forecast';
import { parsePlan, planInput } from './helpers';

const VERSION: SimulatedVersion = { errors5xx: 0.01, errors4xx: 0.02, medianMs: 50, sigma: Math.log(3) / 2.3263 };
const LIVE = { ...DEFAULT_SEQUENTIAL_JUDGE, sources: ['live' as const] };

function perRequest(random: Random, n: number, v: SimulatedVersion, quantiles: number[]) {
  const latencies: number[] = [];
  let errors5xx = 0;
  let errors4xx = 0;
  for (let i = 0; i < n; i++) {
    const u = random.next();
    if (u < v.errors5xx) errors5xx++;
    else if (u < v.errors5xx + v.errors4xx) errors4xx++;
    else latencies.push(v.medianMs * Math.exp(v.sigma * random.normal()));
  }
  latencies.sort((a, b) => a - b);
  const q: Record<string, number> = {};
  for (const p of quantiles) q[quantileKey(p)] = nearestRank(latencies, p);
  return { errors5xx, errors4xx, latencyCount: latencies.length, quantilesMs: q };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};
const at = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];

describe('the fast sampler', () => {
  it.each([60, 250])('draws the quantiles and counts of %i requests as a per-request simulation does', (n) => {
    const reps = 2000;
    const quantiles = [0.5, 0.99];
    const fast = Random.stream(7, 'fast');
    const slow = Random.stream(7, 'slow');
    const a = Array.from({ length: reps }, () => sampleAggregate(fast, n, VERSION, quantiles));
    const b = Array.from({ length: reps }, () => perRequest(slow, n, VERSION, quantiles));
    for (const key of ['p50', 'p99']) {
      const x = a.map((s) => s.quantilesMs[key]);
      const y = b.map((s) => s.quantilesMs[key]);
      // Means within 4 standard errors of their difference; the 90th percentiles of the statistic within 4%.
      expect(Math.abs(mean(x) - mean(y))).toBeLessThan((4 * Math.hypot(sd(x), sd(y))) / Math.sqrt(reps));
      expect(Math.abs(at(x, 0.9) / at(y, 0.9) - 1)).toBeLessThan(0.04);
    }
    for (const key of ['errors5xx', 'errors4xx', 'latencyCount'] as const) {
      const x = a.map((s) => s[key]!);
      const y = b.map((s) => s[key]);
      expect(Math.abs(mean(x) - mean(y))).toBeLessThan((4 * Math.hypot(sd(x), sd(y))) / Math.sqrt(reps) + 1e-9);
    }
  });

  it('takes the quantiles over the answers that were not errors', () => {
    const all = sampleAggregate(new Random(3), 1000, { ...VERSION, errors5xx: 0.5, errors4xx: 0 }, [0.5]);
    expect(all.latencyCount).toBe(1000 - all.errors5xx);
    expect(sampleAggregate(new Random(3), 0, VERSION, [0.5]).quantilesMs).toEqual({});
  });
});

it("the judge's quiet decision is its verdict's decision, look by look", () => {
  const random = new Random(11);
  for (const challenger of [VERSION, { ...VERSION, errors5xx: 0.06 }, { ...VERSION, medianMs: 60 }]) {
    const loud = new SequentialJudge(LIVE);
    const quiet = new SequentialJudge(LIVE);
    for (let i = 0; i < 300; i++) {
      const batch: Batch = {
        source: 'live',
        endsAt: i,
        challengerShare: 0.1,
        champion: sampleAggregate(random, 540, VERSION, LIVE.quantiles),
        challenger: sampleAggregate(random, 60, challenger, LIVE.quantiles),
      };
      const decision = quiet.observeDecision(batch);
      expect(decision).toBe(loud.observe(batch).decision);
      if (decision !== 'continue') break;
    }
  }
});

const HOUR = 3_600_000;
const live = (rps: number, windowMs: number, runs = 30) =>
  forecastJudge({ judge: LIVE, rps, weight: 10, probeRps: 50, windowMs, runs });

it('is deterministic, and more traffic passes an equal version sooner and detects smaller effects', () => {
  const low = live(2, HOUR);
  expect(live(2, HOUR).equal).toEqual(low.equal);
  const high = live(50, HOUR);
  expect(high.equal.medianMs!).toBeLessThan(low.equal.medianMs!);
  expect(high.equal.passedInWindow).toBeGreaterThan(low.equal.passedInWindow);
  for (const [i, bad] of high.bad.entries()) expect(bad.medianMs!).toBeLessThan(low.bad[i].medianMs!);
  expect(high.detectableErrors!).toBeLessThan(low.detectableErrors!);
  expect(high.detectableSlowdown!).toBeLessThanOrEqual(low.detectableSlowdown!);
});

it('says none within the window when no effect on the grid is detected', () => {
  const tiny = live(0.02, 10 * 60_000, 10);
  expect(tiny.detectableErrors).toBeUndefined();
  expect(tiny.detectableSlowdown).toBeUndefined();
});

it('simulates every source, alone and together, and passes an equal version on probes sooner than on light traffic', () => {
  const at = (sources: ('live' | 'probes' | 'paired')[]) =>
    forecastJudge({
      judge: { ...LIVE, sources },
      rps: 2,
      weight: 10,
      probeRps: 50,
      windowMs: HOUR,
      runs: 10,
      equalOnly: true,
    }).equal;
  const paired = at(['paired']);
  const probes = at(['probes']);
  const all = at(['live', 'probes', 'paired']);
  expect(paired.passedInWindow).toBeGreaterThan(0.5);
  expect(probes.passedInWindow).toBeGreaterThan(0.5);
  // All three must show it: no sooner than live alone, which takes hours at 2 rps (here past the looks simulated).
  expect(all.passedInWindow).toBeLessThan(0.5);
  expect(all.medianMs ?? Infinity).toBeGreaterThan(HOUR);
  expect(probes.medianMs!).toBeLessThan(HOUR);
});

describe('judged stages', () => {
  const plan = (bake: string, canary: Record<string, unknown>, traffic = 10) => {
    const input = planInput();
    input.tests = { health: { input: { x: 1 } }, canary };
    input.stages = [{ name: 'canary', traffic, bake, gate: ['canary'] }];
    return parsePlan(input);
  };

  it('refuses a stage at 1 rps with a 10-minute window, naming the field and the fix, and accepts a 24h window', () => {
    const short = judgeWindowProblems(
      forecastStages(plan('5m', { sources: ['live'], traffic: { rps: 1 } }), { runs: 20, equalOnly: true }),
    );
    expect(short).toHaveLength(1);
    expect(short[0]).toMatch(
      /^stages\[0\]\.bake: at 1 rps and 10% an equal version needs about \d+h\d\dm \(median\) to pass the canary judge; this window is 10m \(bake 5m \+ max_extension 5m\), within which it passes in 0% of 20 simulated runs \(refused below 50%\): lengthen bake or tests\.canary\.max_extension, raise the stage's traffic, or add probes/,
    );
    expect(
      judgeWindowProblems(
        forecastStages(plan('24h', { sources: ['live'], traffic: { rps: 1 } }), { runs: 20, equalOnly: true }),
      ),
    ).toEqual([]);
  });

  it('forecasts probes without traffic, and not live traffic it is not told', () => {
    const [probes] = forecastStages(plan('5m', { sources: ['probes'] }), { runs: 20, equalOnly: true });
    expect(probes.forecast?.equal.passedInWindow).toBeGreaterThan(0.5);
    const [unknown] = forecastStages(plan('5m', { sources: ['live'] }));
    expect(unknown.forecast).toBeUndefined();
    expect(unknown.unknown).toMatch(/^traffic unknown: set tests.canary.traffic.rps to forecast/);
    expect(judgeWindowProblems([unknown])).toEqual([]);
  });
});
