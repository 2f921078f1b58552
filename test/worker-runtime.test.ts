/** The worker's runtime settings (src/worker-runtime.ts) are the same wherever the worker is started. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKER_RUNTIME, workerNodeCommand } from '../src/worker-runtime';

const ROOT = join(__dirname, '..');

it('the rollout-worker bin runs with them (its shebang)', () => {
  const shebang = readFileSync(join(ROOT, 'src/worker.ts'), 'utf8').split('\n')[0];
  expect(shebang).toBe(`#!/usr/bin/env -S ${workerNodeCommand()}`);
  expect(shebang).toBe('#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-old-space-size=1024 --max-semi-space-size=1');
});

it('npm run worker runs with them, on Node 22 or newer (scripts/with-node.sh)', () => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;
  expect(scripts.worker).toBe(`bash scripts/with-node.sh env ${workerNodeCommand()} --import tsx src/worker.ts`);
});

it('are flags this node accepts, and they bound its heap', () => {
  const out = execFileSync(
    process.execPath,
    [...WORKER_RUNTIME.v8Flags, '-e', 'console.log(require("v8").getHeapStatistics().heap_size_limit)'],
    { encoding: 'utf8' },
  );
  // 1 GiB of old generation plus a few MiB of young generation (V8's default here is several GiB).
  expect(Number(out) / 2 ** 20).toBeGreaterThan(1024);
  expect(Number(out) / 2 ** 20).toBeLessThan(1100);
});
