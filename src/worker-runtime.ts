/**
 * The runtime settings the worker runs with: the `rollout-worker` bin (its shebang), `npm run worker`, and the
 * worker processes of the benchmarks and the fault suite. test/worker-runtime.test.ts keeps those places in step.
 *
 * Without them the runtime sizes its memory for the machine, not for the worker. V8 lets an old generation grow to
 * about four times its live data before a full collection, and every isolate (the main one runs activities, a second
 * one the workflows) keeps young generations of up to 48 MiB; glibc gives each of the process's many threads (Node's,
 * V8's, the Temporal core's) a malloc arena of its own. A worker's live data is small (about 40 MiB of activity state
 * and 0.3 MiB per cached workflow under 20 concurrent rollouts of 5 regions), so most of its memory was garbage not yet
 * collected and freed memory held per thread. With a 1 GiB old generation V8 grows a heap by at most about 1.6 times
 * between collections; 1 MiB semi-spaces collect short-lived objects (HTTP polls, heartbeats) sooner, for about the
 * same CPU; two malloc arenas are shared by every thread. Measured by `npm run bench -- --only scale`. A worker that
 * needs more (many more concurrent rollouts) takes a larger --max-old-space-size on its command line, which wins.
 */
export const WORKER_RUNTIME = {
  v8Flags: ['--max-old-space-size=1024', '--max-semi-space-size=1'],
  env: { MALLOC_ARENA_MAX: '2' } as Record<string, string>,
};

/** How a shell or `env -S` sets them before `node`: `MALLOC_ARENA_MAX=2 node --max-old-space-size=...`. */
export function workerNodeCommand(runtime = WORKER_RUNTIME): string {
  return [...Object.entries(runtime.env).map(([k, v]) => `${k}=${v}`), 'node', ...runtime.v8Flags].join(' ');
}
