/**
 * Power of the sequential judge on the emulator's live traffic (bench/live-cases.ts), no probes, and the realised
 * false-failure rate at the margin. Pure simulation, so it runs in seconds; run it in a process of its own
 * (`npx tsx bench/judge-power.ts --seeds 40 [--rps 1,2,5] [--json]`): under jest's module sandbox the same loops run
 * several times slower.
 */
import { nearestRank } from '../src/analysis/batch';
import { SequentialJudge } from '../src/analysis/sequential-judge';
import { AT_THE_MARGIN, LIVE_CASES, liveBatches, type LiveCase } from './live-cases';

export const CAP_MINUTES = 7 * 24 * 60;

export interface PowerRow {
  rps: number;
  case: string;
  expected: 'pass' | 'fail';
  runs: number;
  pass: number;
  fail: number;
  undecided: number;
  /** Runs judged as expected ÷ runs. */
  rightRate: number;
  /** Median and 90th percentile of metric minutes to the expected verdict (null when none). */
  medianMinutes: number | null;
  p90Minutes: number | null;
}

export function measureCase(c: LiveCase, rps: number, seeds: number, capMinutes = CAP_MINUTES): PowerRow {
  const counts = { pass: 0, fail: 0, undecided: 0 };
  const minutesToRight: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const judge = new SequentialJudge();
    let minutes = 0;
    let decision: 'pass' | 'fail' | 'continue' = 'continue';
    for (const batch of liveBatches(seed, c, { rps })) {
      minutes++;
      decision = judge.observe(batch).decision;
      if (decision !== 'continue' || minutes >= capMinutes) break;
    }
    counts[decision === 'continue' ? 'undecided' : decision]++;
    if (decision === c.expected) minutesToRight.push(minutes);
  }
  minutesToRight.sort((a, b) => a - b);
  const right = c.expected === 'pass' ? counts.pass : counts.fail;
  return {
    rps,
    case: c.name,
    expected: c.expected,
    runs: seeds,
    ...counts,
    rightRate: right / seeds,
    medianMinutes: minutesToRight.length ? nearestRank(minutesToRight, 0.5) : null,
    p90Minutes: minutesToRight.length ? nearestRank(minutesToRight, 0.9) : null,
  };
}

export interface MarginRow {
  rps: number;
  runs: number;
  /** Runs failed within the cap: the realised false-failure rate at the margin (α bounds it). */
  failed: number;
  rate: number;
  capMinutes: number;
}

/** A version exactly at every floor: how often the judge fails it (it must not exceed α). */
export function measureMargin(rps: number, seeds: number, capMinutes: number): MarginRow {
  let failed = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const judge = new SequentialJudge();
    let minutes = 0;
    for (const batch of liveBatches(seed, AT_THE_MARGIN, { rps })) {
      minutes++;
      const decision = judge.observe(batch).decision;
      if (decision === 'fail') failed++;
      if (decision !== 'continue' || minutes >= capMinutes) break;
    }
  }
  return { rps, runs: seeds, failed, rate: failed / seeds, capMinutes };
}

function parseArgs(argv: string[]) {
  let seeds = 40;
  let rates = [1, 2, 5];
  let json = false;
  let margin = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--seeds') seeds = Number(argv[++i]);
    else if (arg === '--margin-seeds') margin = Number(argv[++i]);
    else if (arg === '--rps') rates = argv[++i].split(',').map(Number);
    else
      throw new Error(
        `unknown argument "${arg}"; usage: judge-power [--seeds N] [--rps 1,2,5] [--margin-seeds N] [--json]`,
      );
  }
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error('--seeds: expected a whole number of at least 1');
  if (rates.some((r) => !(r > 0))) throw new Error('--rps: expected rates above 0, e.g. 1,2,5');
  return { seeds, rates, json, margin };
}

function main() {
  const { seeds, rates, json, margin } = parseArgs(process.argv.slice(2));
  const rows = rates.flatMap((rps) => LIVE_CASES.map((c) => measureCase(c, rps, seeds)));
  const margins = margin > 0 ? rates.map((rps) => measureMargin(rps, margin, 3 * 24 * 60)) : [];
  if (json) console.log(JSON.stringify({ seeds, rows, margins }));
  else {
    for (const r of rows)
      console.log(
        `${r.rps} rps ${r.case}: ${r.pass} passed, ${r.fail} failed, ${r.undecided} undecided of ${r.runs}; ` +
          `median ${r.medianMinutes ?? '—'} min, p90 ${r.p90Minutes ?? '—'} min to the expected verdict`,
      );
    for (const m of margins)
      console.log(`${m.rps} rps at the margin: ${m.failed}/${m.runs} failed within ${m.capMinutes} min`);
  }
}

if (require.main === module) main();
