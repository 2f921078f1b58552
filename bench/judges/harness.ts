/**
 * Runs canary judges over sequences of `Batch`es and compares them: the bench's baselines (`kayenta.ts`,
 * `threshold.ts`) and our own sequential judge, through the same interface.
 *
 * - A judge is stateful (it accumulates the batches it has seen), so the harness takes a factory and makes a fresh
 *   judge for every run.
 * - One batch is one metric minute of live traffic, so "minutes" counts the batches a judge consumed; for probe rounds
 *   or paired replay a batch is one round, and the same count is in rounds.
 * - Every judge of a comparison sees the same batches for a given (case, seed) (common random numbers): the case's
 *   generator is called afresh for each judge and must be deterministic in its seed.
 *
 * Pure: no I/O, no clocks.
 */
import { nearestRank, type Batch } from '../../src/analysis/batch';

export type Verdict = 'pass' | 'fail' | 'continue';

/** A judge as the bench drives it: one batch in, its verdict so far out ('continue' until it decides). */
export interface BenchJudge {
  name: string;
  observe(batch: Batch): Verdict;
}

/** Makes a fresh judge for one run. */
export type JudgeFactory = () => BenchJudge;

export interface RunResult {
  /** The judge's first 'pass' or 'fail'; 'undecided' when the batches or `maxMinutes` ran out before it decided. */
  decision: 'pass' | 'fail' | 'undecided';
  /** Batches observed up to and including the deciding one (all batches observed when undecided). */
  minutes: number;
}

/** Feeds `batches` to a fresh judge until it decides, the batches end, or `maxMinutes` batches were observed. */
export function runJudge(makeJudge: JudgeFactory, batches: Iterable<Batch>, maxMinutes: number): RunResult {
  if (!(maxMinutes >= 0) || !Number.isInteger(maxMinutes))
    throw new Error(`runJudge: maxMinutes must be a whole number ≥ 0 (got ${maxMinutes})`);
  const judge = makeJudge();
  let minutes = 0;
  if (maxMinutes === 0) return { decision: 'undecided', minutes };
  for (const batch of batches) {
    minutes++;
    const verdict = judge.observe(batch);
    if (verdict === 'pass' || verdict === 'fail') return { decision: verdict, minutes };
    if (minutes >= maxMinutes) break;
  }
  return { decision: 'undecided', minutes };
}

/** What `SequentialJudge` (src/analysis/sequential-judge.ts) looks like to the bench: its verdict carries a decision. */
export interface DecidingJudge {
  observe(batch: Batch): { decision: 'pass' | 'fail' | 'continue' };
}

/** Adapts a judge whose `observe` returns an object with `decision` (e.g. `new SequentialJudge(config)`). */
export function adaptDecidingJudge(name: string, make: () => DecidingJudge): JudgeFactory {
  return () => {
    const judge = make();
    return { name, observe: (batch) => judge.observe(batch).decision };
  };
}

/** A traffic scenario: the equal case (expected 'pass') or a bad one (expected 'fail'). */
export interface BenchCase {
  name: string;
  expected: 'pass' | 'fail';
  /** The batches of one run; must give the same sequence for the same seed. */
  batches: (seed: number) => Iterable<Batch>;
}

export interface CompareOptions {
  cases: readonly BenchCase[];
  judges: readonly JudgeFactory[];
  /** Runs per (judge, case): seeds firstSeed, firstSeed + 1, … */
  seeds: number;
  firstSeed?: number;
  maxMinutes: number;
}

export interface JudgeCaseSummary {
  judge: string;
  case: string;
  expected: 'pass' | 'fail';
  runs: number;
  pass: number;
  fail: number;
  undecided: number;
  /** Equal case: fail / runs; null for a bad case. */
  falseFailureRate: number | null;
  /** Bad case: (runs − fail) / runs, i.e. passed or undecided; null for the equal case. */
  missRate: number | null;
  /** Nearest-rank median and 90th percentile of the minutes to a verdict, over the decided runs (null when none). */
  medianMinutes: number | null;
  p90Minutes: number | null;
}

/** Runs every judge on every case for `seeds` seeds and summarises decisions and minutes to a verdict. */
export function compareJudges(options: CompareOptions): JudgeCaseSummary[] {
  const { cases, judges, seeds, maxMinutes } = options;
  const firstSeed = options.firstSeed ?? 1;
  if (!(seeds >= 1) || !Number.isInteger(seeds))
    throw new Error(`compareJudges: seeds must be a whole number ≥ 1 (got ${seeds})`);
  const rows: JudgeCaseSummary[] = [];
  for (const makeJudge of judges) {
    const name = makeJudge().name;
    for (const benchCase of cases) {
      const counts = { pass: 0, fail: 0, undecided: 0 };
      const decidedMinutes: number[] = [];
      for (let s = 0; s < seeds; s++) {
        const result = runJudge(makeJudge, benchCase.batches(firstSeed + s), maxMinutes);
        counts[result.decision]++;
        if (result.decision !== 'undecided') decidedMinutes.push(result.minutes);
      }
      decidedMinutes.sort((a, b) => a - b);
      const decided = decidedMinutes.length > 0;
      rows.push({
        judge: name,
        case: benchCase.name,
        expected: benchCase.expected,
        runs: seeds,
        ...counts,
        falseFailureRate: benchCase.expected === 'pass' ? counts.fail / seeds : null,
        missRate: benchCase.expected === 'fail' ? (seeds - counts.fail) / seeds : null,
        medianMinutes: decided ? nearestRank(decidedMinutes, 0.5) : null,
        p90Minutes: decided ? nearestRank(decidedMinutes, 0.9) : null,
      });
    }
  }
  return rows;
}

const percent = (rate: number | null): string => (rate === null ? '—' : `${(100 * rate).toFixed(1)}%`);
const minutesCell = (value: number | null): string => (value === null ? '—' : String(value));

/** A markdown table of `compareJudges` rows, one row per (judge, case). */
export function formatComparison(rows: readonly JudgeCaseSummary[]): string {
  const lines = [
    '| judge | case | expected | runs | pass | fail | undecided | false failures | misses | median min | p90 min |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.judge} | ${r.case} | ${r.expected} | ${r.runs} | ${r.pass} | ${r.fail} | ${r.undecided} | ` +
        `${percent(r.falseFailureRate)} | ${percent(r.missRate)} | ${minutesCell(r.medianMinutes)} | ` +
        `${minutesCell(r.p90Minutes)} |`,
    );
  return lines.join('\n');
}
