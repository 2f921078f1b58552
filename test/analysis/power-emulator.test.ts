/**
 * Power of the canary judge on the emulator, over many seeds (bench/canary-power.ts, run in a child process of its
 * own so that this test run's heap and threads do not blur the latencies it judges):
 *   - an equal challenger must pass in at least 95% of runs (false failures at most 5%);
 *   - a challenger with +5 points of errors must fail in at least 95%;
 *   - a challenger with +50% p99 latency (same median, heavier tail) must fail in at least 95%.
 * POWER_SEEDS sets the number of seeds per case (default 20); the figures are written to
 * test-artifacts/canary-power.json and printed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { POWER_CASES, type PowerFigures } from '../../bench/canary-power';

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

it.each(Object.keys(POWER_CASES))(
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
