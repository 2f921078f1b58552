/**
 * Power of the sequential judge on the emulator's live traffic, no probes: users at 1, 2 and 5 requests per second,
 * 10% of them to the new version, simulated minute by minute by the emulator's live-traffic model (bench/live-cases.ts)
 * and judged as the metrics export reports them. Over 40 seeds per case and rate:
 *   - an equal version passes in at least 95% of runs;
 *   - each bad version fails in at least 95% of runs (+5 points of 5xx, +5 points of 400s, errors ×3 from 0.5%,
 *     +50% p99 with the same median, +20% median).
 * Runs are capped at 7 days of metric minutes; an undecided run counts against the judge. The simulation runs in a
 * child process (bench/judge-power.ts): under jest's module sandbox the same loops run several times slower. The
 * median times to a verdict are in `npm run bench` (section judge).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PowerRow } from '../../bench/judge-power';

const root = join(__dirname, '..', '..');
let rows: PowerRow[] = [];

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench', 'judge-power.ts'), '--seeds', '40', '--rps', '1,2,5', '--json'],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  );
  rows = (JSON.parse(stdout.trim().split('\n').pop()!) as { rows: PowerRow[] }).rows;
}, 300_000);

test('every case was measured at every rate', () => {
  expect(rows.map((r) => `${r.rps}:${r.case}`)).toHaveLength(18);
});

test.each([1, 2, 5])('at %d rps every case is judged right in at least 95% of 40 runs', (rps) => {
  const wrong = rows.filter((r) => r.rps === rps && r.rightRate < 0.95);
  expect(wrong).toEqual([]);
});
