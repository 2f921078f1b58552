/**
 * Live-traffic scenarios for the judge's power tests and the bench: an endpoint's users, simulated minute by minute by
 * the emulator's own live-traffic model (src/emulator/live-traffic.ts, the code that serves `live_traffic` in an
 * emulated world), split 90/10 between the current version (champion) and the new one (challenger). Each minute
 * becomes one judge batch, as the metrics export would report it.
 *
 * Cases (the issue on live-traffic judgement): an equal version, and bad ones the judge must fail: +5 points of
 * 5xx, +5 points of 400s, errors ×3 from a 0.5% base, +50% p99 with the same median, +20% median. `at the margin`
 * sits exactly on every floor at once (errors ×2 and +0.5 points; latency +10% at every quantile): the realised
 * false-failure rate there is what α bounds.
 */
import type { Batch } from '../src/analysis/batch';
import { simulateMinute, type LiveEntity } from '../src/emulator/live-traffic';
import { behaviorSchema, type Behavior } from '../src/emulator/world';

const behavior = (input: object): Behavior => behaviorSchema.parse(input);
const lognormal = (median: number, p99: number) => ({ distribution: 'lognormal' as const, median, p99 });

export const CURRENT = behavior({ latency: lognormal(50, 150), error_rate: 0.001 });

export interface LiveCase {
  name: string;
  expected: 'pass' | 'fail';
  champion: Behavior;
  challenger: Behavior;
}

export const LIVE_CASES: readonly LiveCase[] = [
  { name: 'equal', expected: 'pass', champion: CURRENT, challenger: CURRENT },
  {
    name: '+5 points of 5xx',
    expected: 'fail',
    champion: CURRENT,
    challenger: behavior({ latency: lognormal(50, 150), error_rate: 0.051 }),
  },
  {
    name: '+5 points of 400s',
    expected: 'fail',
    champion: CURRENT,
    challenger: behavior({ latency: lognormal(50, 150), error_rate: 0.05, error_status: 400 }),
  },
  {
    name: 'errors ×3 from 0.5%',
    expected: 'fail',
    champion: behavior({ latency: lognormal(50, 150), error_rate: 0.005 }),
    challenger: behavior({ latency: lognormal(50, 150), error_rate: 0.015 }),
  },
  {
    name: '+50% p99, same median',
    expected: 'fail',
    champion: CURRENT,
    challenger: behavior({ latency: lognormal(50, 225), error_rate: 0.001 }),
  },
  {
    name: '+20% median',
    expected: 'fail',
    champion: CURRENT,
    challenger: behavior({ latency: lognormal(60, 180), error_rate: 0.001 }),
  },
];

/** Exactly on every floor of the default judge: 5xx ×2 and +0.5 points (0.5% → 1%), latency +10% throughout. */
export const AT_THE_MARGIN: LiveCase = {
  name: 'at the margin',
  expected: 'pass',
  champion: behavior({ latency: lognormal(50, 150), error_rate: 0.005 }),
  challenger: behavior({ latency: lognormal(55, 165), error_rate: 0.01 }),
};

export interface LiveOptions {
  /** Users' requests per second to the endpoint (both versions). */
  rps: number;
  /** The new version's traffic percentage (default 10). */
  weight?: number;
  quantiles?: readonly number[];
}

/** The minutes of one simulated canary, endlessly: seed it to get the same minutes again. */
export function* liveBatches(seed: number, c: LiveCase, options: LiveOptions): Generator<Batch> {
  const weight = options.weight ?? 10;
  const entities: LiveEntity[] = [
    { name: 'current', percent: 100 - weight, behavior: c.champion },
    { name: 'new', percent: weight, behavior: c.challenger },
  ];
  const quantiles = options.quantiles ?? [0.5, 0.99];
  for (let minute = 0; ; minute++) {
    const outcome = simulateMinute(entities, options.rps, minute, seed, { quantiles, key: c.name });
    const aggregate = (name: string) => {
      const o = outcome.get(name)!;
      return {
        requests: o.requests,
        errors4xx: o.errors4xx,
        errors5xx: o.errors5xx,
        throttled: o.throttled,
        quantilesMs: o.quantilesMs,
        latencyCount: o.latenciesMs.length,
      };
    };
    yield {
      source: 'live',
      endsAt: (minute + 1) * 60_000,
      challengerShare: weight / 100,
      champion: aggregate('current'),
      challenger: aggregate('new'),
    };
  }
}
