/**
 * The A/B decision on the same machinery as the canary judge (see sequential-judge.ts): two e-processes on one
 * statistic, one gathering evidence that the new version is worse, one that it is better, each at α/2. The winner's
 * direction is the direction of the process that crossed, so the direction always comes from the same statistic as
 * the evidence (the previous A/B took its p-value from Mann–Whitney and its direction from the medians, and could
 * crown the slower version).
 * - `error_rate`: the conditional binomial on error counts (4xx and 5xx; 429 apart) given the traffic split, at ratio
 *   1: with the challenger taking share w, an erring request is the challenger's with probability w exactly when the
 *   two error rates are equal.
 * - `latency_p50`, `latency_p99`: per batch, is the challenger's nearest-rank quantile above the champion's? Its exact
 *   probability under equal distributions comes from the order statistics (order-statistics.ts).
 * Anytime-valid, so the stage may stop as soon as one side wins; no winner by the end of the window is a tie.
 *
 * Pure and deterministic: no I/O, no Node builtins, no clocks.
 */
import type { Batch, VersionAggregate } from './batch';
import {
  binomialTilt,
  crossed,
  isEProcessState,
  log10Value,
  newEProcess,
  TILT_GRID,
  type EProcessState,
} from './e-process';
import { quantileExceedanceNull } from './order-statistics';

export type AbMetric = 'error_rate' | 'latency_p50' | 'latency_p99';
export type AbWinner = 'champion' | 'challenger' | 'tie';

export interface AbTotals {
  requests: number;
  /** 4xx and 5xx answers (429 apart). */
  errors: number;
  throttled: number;
  errorRate: number;
}

export interface AbState {
  worse: EProcessState;
  better: EProcessState;
  champion: { requests: number; errors: number; throttled: number };
  challenger: { requests: number; errors: number; throttled: number };
  /** latency: batches compared and those where the challenger's quantile was above; Σ of the null probabilities. */
  compared: number;
  above: number;
  nullSum: number;
  batches: number;
}

export interface AbVerdict {
  metric: AbMetric;
  /** `undecided` while the window runs; the caller turns it into a tie at the end. */
  winner: AbWinner | 'undecided';
  method: string;
  alpha: number;
  /** log10 e-values of "new version worse" and "new version better", and the threshold each must reach. */
  evidence: { worse: number; better: number; threshold: number };
  champion: AbTotals;
  challenger: AbTotals;
  batches: number;
  summary: string;
}

const METHODS: Record<AbMetric, string> = {
  error_rate:
    'e-processes (mixture SPRT) on the new version’s share of errors given the traffic split, both directions at α/2',
  latency_p50:
    'e-processes (mixture SPRT) on “new version’s p50 above the current one’s” per batch, with the exact order-statistic null, both directions at α/2',
  latency_p99:
    'e-processes (mixture SPRT) on “new version’s p99 above the current one’s” per batch, with the exact order-statistic null, both directions at α/2',
};

const LABEL: Record<AbMetric, string> = {
  error_rate: 'error rate',
  latency_p50: 'median latency',
  latency_p99: 'p99 latency',
};

export class SequentialAb {
  private readonly state: AbState;

  constructor(
    readonly metric: AbMetric,
    readonly alpha: number,
    resumed?: AbState,
  ) {
    if (!(alpha > 0 && alpha < 0.5)) throw new RangeError('A/B alpha must be between 0 and 0.5');
    this.state =
      resumed && isEProcessState(resumed.worse, TILT_GRID.length) && isEProcessState(resumed.better, TILT_GRID.length)
        ? (JSON.parse(JSON.stringify(resumed)) as AbState)
        : {
            worse: newEProcess(TILT_GRID.length),
            better: newEProcess(TILT_GRID.length),
            champion: { requests: 0, errors: 0, throttled: 0 },
            challenger: { requests: 0, errors: 0, throttled: 0 },
            compared: 0,
            above: 0,
            nullSum: 0,
            batches: 0,
          };
  }

  snapshot(): AbState {
    return JSON.parse(JSON.stringify(this.state)) as AbState;
  }

  observe(batch: Batch): AbVerdict {
    const w = batch.challengerShare;
    if (w > 0 && w < 1) {
      const s = this.state;
      s.batches++;
      add(s.champion, batch.champion);
      add(s.challenger, batch.challenger);
      if (this.metric === 'error_rate') {
        const ch = errorsOf(batch.challenger);
        const cp = errorsOf(batch.champion);
        s.worse = binomialTilt(s.worse, ch, ch + cp, w, 'greater');
        s.better = binomialTilt(s.better, ch, ch + cp, w, 'less');
      } else {
        const key = this.metric === 'latency_p50' ? 'p50' : 'p99';
        const q = this.metric === 'latency_p50' ? 0.5 : 0.99;
        const ch = batch.challenger.quantilesMs[key];
        const cp = batch.champion.quantilesMs[key];
        const m = latencyCount(batch.challenger);
        const n = latencyCount(batch.champion);
        if (Number.isFinite(ch) && Number.isFinite(cp) && m > 0 && n > 0) {
          const p0 = quantileExceedanceNull(m, n, q);
          s.worse = binomialTilt(s.worse, ch > cp ? 1 : 0, 1, p0, 'greater');
          s.better = binomialTilt(s.better, ch >= cp ? 1 : 0, 1, p0, 'less');
          s.compared++;
          if (ch > cp) s.above++;
          s.nullSum += p0;
        }
      }
    }
    return this.verdict();
  }

  verdict(): AbVerdict {
    const s = this.state;
    const level = this.alpha / 2;
    const worse = crossed(s.worse, level);
    const better = crossed(s.better, level);
    // Both can only cross together on contradictory evidence of a broken split; no winner then.
    const winner = worse && !better ? 'champion' : better && !worse ? 'challenger' : 'undecided';
    const totals = (t: AbState['champion']): AbTotals => ({
      ...t,
      errorRate: t.requests > 0 ? t.errors / t.requests : 0,
    });
    const champion = totals(s.champion);
    const challenger = totals(s.challenger);
    const evidence = {
      worse: round3(log10Value(s.worse)),
      better: round3(log10Value(s.better)),
      threshold: round3(-Math.log10(level)),
    };
    const observed =
      this.metric === 'error_rate'
        ? `errors ${pct(challenger.errorRate)} of ${challenger.requests} (new) vs ${pct(champion.errorRate)} of ${champion.requests} (current)`
        : `the new version's ${this.metric.slice(8)} was above the current one's in ${s.above} of ${s.compared} batches (${s.compared > 0 ? pct(s.nullSum / s.compared, 1) : 'n/a'} expected if equal)`;
    const outcome =
      winner === 'champion'
        ? `the current version has the lower ${LABEL[this.metric]}`
        : winner === 'challenger'
          ? `the new version has the lower ${LABEL[this.metric]}`
          : `no significant difference in ${LABEL[this.metric]} yet`;
    return {
      metric: this.metric,
      winner,
      method: METHODS[this.metric],
      alpha: this.alpha,
      evidence,
      champion,
      challenger,
      batches: s.batches,
      summary: `${outcome}: ${observed}; evidence 10^${evidence.worse} (worse) / 10^${evidence.better} (better) vs 10^${evidence.threshold}`,
    };
  }
}

function add(into: AbState['champion'], from: VersionAggregate) {
  into.requests += Math.max(0, from.requests);
  into.errors += errorsOf(from);
  into.throttled += Math.max(0, from.throttled);
}

const errorsOf = (a: VersionAggregate) => Math.max(0, a.errors4xx) + Math.max(0, a.errors5xx);
const latencyCount = (a: VersionAggregate) => Math.max(0, a.latencyCount ?? a.requests);
const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const round3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 0);
