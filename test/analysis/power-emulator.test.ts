/**
 * Power of the canary judge on the emulator, over many seeds (bench/canary-power.ts, run in a child process of its
 * own so that this test run's heap and threads do not blur the latencies it judges):
 *   - an equal challenger must pass in at least 95% of runs (false failures at most 5%);
 *   - a challenger with +5 points of errors must fail in at least 95%.
 *
 * The third case of the issue, +50% p99 with the same median, is measured by `npm run bench` (its verdict section
 * runs every case of bench/canary-power.ts) and by the seeded Monte-Carlo test of the judge
 * (judge-monte-carlo.test.ts), not asserted here: its outcome measures the host as much as the judge. Latencies are
 * measured on the client; with two CPU-bound processes beside it on this 2-core machine the champion's measured p95
 * rose from 43 ms (configured) to as much as 125 ms, and the challenger's tail went unseen in 7 of 70 seeds over
 * three runs. On a quiet machine it is caught in 20 of 20. An equal challenger and an error rate are judged the same
 * on a busy host: the probes are counterbalanced, and errors do not depend on timing.
 *
 * POWER_SEEDS sets the number of seeds per case (default 20); the figures are written to
 * test-artifacts/canary-power.json and printed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PowerCase, PowerFigures } from '../../bench/canary-power';

const SEEDS = Number(process.env.POWER_SEEDS ?? 20);
const root = join(__dirname, '..', '..');

async function measureInChildProcess(
  name: string,
): Promise<{ canary: unknown; figures: Record<string, PowerFigures> }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench', 'canary-power.ts'), '--seeds', String(SEEDS), '--case', name, '--json'],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const results: Record<string, PowerFigures> = {};
let canary: unknown;
afterAll(() => {
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync(
    join('test-artifacts', 'canary-power.json'),
    JSON.stringify({ seeds: SEEDS, canary, results }, null, 2),
  );
  console.log(`canary judge power on the emulator (${SEEDS} seeds per case):\n${JSON.stringify(results, null, 2)}`);
});

const TIMING_FREE_CASES: PowerCase[] = ['equal', 'errors +5 points'];

it.each(TIMING_FREE_CASES)(
  'judges "%s" correctly in at least 95% of seeds',
  async (name) => {
    const measured = await measureInChildProcess(name);
    canary = measured.canary;
    const figures = measured.figures[name];
    results[name] = figures;
    // The misses are printed with the judge's reasons, so that a failure here says why.
    expect({ rate: figures.rate >= 0.95 ? 'at least 95%' : figures.rate, misses: figures.misses }).toEqual({
      rate: 'at least 95%',
      misses: figures.rate >= 0.95 ? figures.misses : [],
    });
  },
  300_000,
);
