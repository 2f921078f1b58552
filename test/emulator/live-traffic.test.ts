/** The pure live-traffic simulation: Poisson minutes, routing by traffic weights, each version's behaviour. */
import { nearestRank } from '../../src/analysis/batch';
import { logGamma } from '../../src/analysis/distributions';
import { decideAnswer } from '../../src/emulator/invocations';
import { liveInputs, poisson, rateAt, simulateMinute, type LiveEntity } from '../../src/emulator/live-traffic';
import { Random } from '../../src/emulator/random';
import { behaviorSchema, liveTrafficSchema } from '../../src/emulator/world';

const behavior = (input: unknown) => behaviorSchema.parse(input);
const champion = behavior({ latency: { distribution: 'lognormal', median: 20, p99: 80 }, error_rate: 0.01 });
const challenger = behavior({ latency: { distribution: 'lognormal', median: 25, p99: 120 }, error_rate: 0.05 });
const split = (challengerPercent: number): LiveEntity[] => [
  { name: 'champion', percent: 100 - challengerPercent, behavior: champion },
  { name: 'challenger', percent: challengerPercent, behavior: challenger },
];

describe('simulateMinute', () => {
  it('is a function of (seed, key, minute): the same minute is the same whenever it is simulated', () => {
    const a = simulateMinute(split(10), 5, 1234, 7, { key: 'us-east-1:churn' });
    const b = simulateMinute(split(10), 5, 1234, 7, { key: 'us-east-1:churn' });
    expect(b).toEqual(a);
    const other = simulateMinute(split(10), 5, 1235, 7, { key: 'us-east-1:churn' });
    expect(other.get('champion')!.latenciesMs).not.toEqual(a.get('champion')!.latenciesMs);
    const otherSeed = simulateMinute(split(10), 5, 1234, 8, { key: 'us-east-1:churn' });
    expect(otherSeed.get('champion')!.latenciesMs).not.toEqual(a.get('champion')!.latenciesMs);
  });

  it('draws Poisson request counts at the minute rate (mean and variance rps*60)', () => {
    for (const [rps, minutes] of [
      [5, 10_000],
      [0.05, 20_000],
    ] as const) {
      const lambda = rps * 60;
      const counts = Array.from({ length: minutes }, (_, m) => {
        const outcome = simulateMinute(split(0), rps, m, 3).get('champion')!;
        return outcome.requests;
      });
      const mean = counts.reduce((s, c) => s + c, 0) / minutes;
      const variance = counts.reduce((s, c) => s + (c - mean) ** 2, 0) / (minutes - 1);
      // Fixed seed, so these cannot flake; the bounds are 6 standard errors of a Poisson's mean and variance.
      expect(Math.abs(mean - lambda)).toBeLessThan(6 * Math.sqrt(lambda / minutes));
      expect(Math.abs(variance - lambda)).toBeLessThan(6 * Math.sqrt((2 * lambda ** 2 + lambda) / minutes));
    }
    expect(simulateMinute(split(10), 0, 1, 1).get('champion')!.requests).toBe(0);
  });

  it('routes by the traffic_config weights (binomial, fixed seed)', () => {
    let champions = 0;
    let challengers = 0;
    for (let m = 0; m < 2000; m++) {
      const outcome = simulateMinute(split(10), 5, m, 11);
      champions += outcome.get('champion')!.requests;
      challengers += outcome.get('challenger')!.requests;
    }
    const n = champions + challengers;
    // Binomial(n, 0.1): within 6 sd (deterministic with this seed; the bound only says the split is 10%).
    expect(Math.abs(challengers - 0.1 * n)).toBeLessThan(6 * Math.sqrt(n * 0.1 * 0.9));
    const none = simulateMinute(split(0), 5, 1, 11);
    expect(none.get('challenger')!.requests).toBe(0);
    const nowhere = simulateMinute(
      split(0).map((e) => ({ ...e, percent: 0 })),
      5,
      1,
      11,
    );
    expect([...nowhere.values()].map((o) => o.requests)).toEqual([0, 0]);
  });

  it("answers each request exactly as the invocation path decides it (decideAnswer on the minute's stream)", () => {
    const entities: LiveEntity[] = [{ name: 'only', percent: 100, behavior: challenger }];
    const outcome = simulateMinute(entities, 2, 42, 5, { key: 'k' }).get('only')!;
    // Replay the same stream by hand: count, then per request the route draw and decideAnswer.
    const rng = Random.stream(5, 'live:k:42');
    const n = poisson(120, rng);
    const ok: number[] = [];
    let failed = 0;
    for (let i = 0; i < n; i++) {
      expect(rng.weightedIndex([100])).toBe(0);
      const answer = decideAnswer(challenger, {}, rng);
      if (answer.failed) failed++;
      else ok.push(answer.latencyMs);
    }
    ok.sort((a, b) => a - b);
    expect(outcome.requests).toBe(n);
    expect(outcome.errors5xx).toBe(failed);
    expect([...outcome.latenciesMs]).toEqual(ok);
    expect(outcome.quantilesMs.p50).toBe(nearestRank(ok, 0.5));
    expect(outcome.quantilesMs.p99).toBe(nearestRank(ok, 0.99));
  });

  it('classes error statuses like the export (429 apart from other 4xx) and applies degrade_version faults', () => {
    const status = (error_status: number) =>
      simulateMinute([{ name: 'x', percent: 100, behavior: behavior({ error_rate: 1, error_status }) }], 1, 0, 1).get(
        'x',
      )!;
    const throttled = status(429);
    expect([throttled.throttled, throttled.errors4xx, throttled.errors5xx]).toEqual([throttled.requests, 0, 0]);
    const rejected = status(400);
    expect([rejected.errors4xx, rejected.throttled]).toEqual([rejected.requests, 0]);
    expect(rejected.quantilesMs).toEqual({}); // no 2xx answer, no latency quantile
    const degraded = simulateMinute(
      [{ name: 'x', percent: 100, behavior: champion, adjustment: { errorRate: 1, latencyFactor: 2 } }],
      1,
      0,
      1,
    ).get('x')!;
    expect(degraded.errors5xx).toBe(degraded.requests);
  });

  it("refuses inputs the version cannot score with a 400, by the users' input mix", () => {
    const needsTenure = behavior({ prediction: { formula: 'tenure * 2' } });
    const spec = liveTrafficSchema.parse({
      rps: 5,
      inputs: {
        mix: [
          { weight: 3, record: { tenure: 1 } },
          { weight: 1, record: { age: 2 } },
        ],
      },
    });
    let requests = 0;
    let rejected = 0;
    for (let m = 0; m < 200; m++) {
      const outcome = simulateMinute([{ name: 'x', percent: 100, behavior: needsTenure }], 5, m, 2, {
        inputs: liveInputs(spec),
      }).get('x')!;
      requests += outcome.requests;
      rejected += outcome.errors4xx;
    }
    expect(Math.abs(rejected / requests - 0.25)).toBeLessThan(6 * Math.sqrt((0.25 * 0.75) / requests));
    expect(liveInputs(liveTrafficSchema.parse({ rps: 1, inputs: [{ a: 1 }] }))).toEqual({ records: [{ a: 1 }] });
  });

  it('is fast enough for power tests: 10,000 minutes at 5 rps well under a second', () => {
    const started = performance.now();
    let total = 0;
    for (let m = 0; m < 10_000; m++) total += simulateMinute(split(10), 5, m, 9).get('challenger')!.requests;
    const elapsed = performance.now() - started;
    expect(total).toBeGreaterThan(0);
    // About 0.6 s of CPU on this 2-core machine (3 million requests); the bound leaves room for a busy one.
    expect(elapsed).toBeLessThan(2000);
  });
});

describe('rate shapes', () => {
  const spec = (shape: unknown) => liveTrafficSchema.parse({ rps: 2, shape });
  it('constant, diurnal (trough at the start, peak half a period later) and steps', () => {
    expect(rateAt(spec('constant'), 123_456)).toBe(2);
    const diurnal = spec({ diurnal: { peak: 1.5, trough: 0.5, period: '24h' } });
    expect(rateAt(diurnal, 0)).toBeCloseTo(1, 12);
    expect(rateAt(diurnal, 12 * 3_600_000)).toBeCloseTo(3, 12);
    expect(rateAt(diurnal, 6 * 3_600_000)).toBeCloseTo(2, 12);
    const steps = spec({
      steps: [
        { at: '30m', rps: 5 },
        { at: '1h', rps: 0 },
      ],
    });
    expect([0, 29 * 60_000, 30 * 60_000, 59 * 60_000, 60 * 60_000].map((t) => rateAt(steps, t))).toEqual([
      2, 2, 5, 5, 0,
    ]);
  });
});

describe('poisson and logGamma', () => {
  it('logGamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it('gives P(0) = e^-lambda for a small lambda', () => {
    const rng = Random.stream(1, 'p0');
    let zeros = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) if (poisson(2, rng) === 0) zeros++;
    const p = Math.exp(-2);
    expect(Math.abs(zeros / n - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / n));
  });
});
