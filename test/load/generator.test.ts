/** The open-model load generator with fake targets: scheduling, coordinated omission, saturation, timeouts, abort. */
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad, type LoadOptions, type LoadProgress } from '../../src/load/generator';

const payloads = [{ n: 0 }, { n: 1 }, { n: 2 }];

/** Resolves after `ms` (or rejects with the signal's reason when aborted first). */
function delayed(ms: number, signal: AbortSignal, status = 200, servedModel?: string) {
  return new Promise<{ status: number; servedModel?: string }>((resolve, reject) => {
    const timer = setTimeout(() => resolve({ status, servedModel }), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}

function options(overrides: Partial<LoadOptions>): LoadOptions {
  return {
    rps: 100,
    durationMs: 1000,
    concurrency: 1000,
    timeoutMs: 5000,
    payloads,
    send: (_payload, signal) => delayed(5, signal),
    ...overrides,
  };
}

function busyWait(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // block the event loop, as a GC pause or a CPU-bound neighbour would
  }
}

test('keeps the target rate: 200 rps over 2 s with a 10 ms target, within 2%', async () => {
  const sentAt: number[] = [];
  const progress: LoadProgress[] = [];
  const result = await runLoad(
    options({
      rps: 200,
      durationMs: 2000,
      send: (_payload, signal) => {
        sentAt.push(performance.now());
        return delayed(10, signal, 200, 'champion');
      },
      onProgress: (p) => progress.push(p),
    }),
  );
  expect(result.scheduled).toBe(400);
  expect(result.completed).toBe(400);
  expect(result.dropped).toBe(0);
  expect(Math.abs(result.achievedRps - 200) / 200).toBeLessThan(0.02);
  // Evenly spaced: the sends of the second half take about half the time (no bunching at the end).
  const span = sentAt[sentAt.length - 1] - sentAt[0];
  expect(span).toBeGreaterThan(1990 - 50);
  expect(span).toBeLessThan(1995 + 50);
  expect(result.overall.statusClasses['2xx']).toBe(400);
  expect(result.byVariant.champion.requests).toBe(400);
  expect(result.overall.latencyMs.p50).toBeGreaterThanOrEqual(10);
  expect(result.overall.latencyMs.p50).toBeLessThan(20);
  expect(result.overall.samples).toHaveLength(400);
  // Progress about once a second, and a final report.
  expect(progress.length).toBeGreaterThanOrEqual(2);
  expect(progress[progress.length - 1]).toMatchObject({ scheduled: 400, completed: 400, nextIndex: 400 });
});

test('a server stall: requests scheduled during it carry their waiting time (p99 reflects it)', async () => {
  // The target stops answering for 500 ms, 300 ms into the run: everything sent meanwhile waits for the stall to end.
  let stallUntil = 0;
  let started = 0;
  const result = await runLoad(
    options({
      rps: 100,
      durationMs: 2000,
      send: async (_payload, signal) => {
        const now = performance.now();
        if (!started) started = now;
        if (!stallUntil && now - started >= 300) stallUntil = now + 500;
        const wait = stallUntil > now ? stallUntil - now : 0;
        return delayed(wait + 5, signal);
      },
    }),
  );
  expect(result.completed).toBe(200);
  // ~50 of 200 requests waited 0..500 ms: the top 1% waited almost the whole stall, the median did not wait.
  expect(result.overall.latencyMs.p99).toBeGreaterThan(450);
  expect(result.overall.latencyMs.max).toBeGreaterThan(495);
  expect(result.overall.latencyMs.p50).toBeLessThan(30);
  expect(result.overall.latencyMs.p90).toBeGreaterThan(200);
});

test('a client-side stall: requests sent late are measured from their scheduled time (no coordinated omission)', async () => {
  // send() itself blocks the event loop for 500 ms once: the generator cannot send anything meanwhile, then catches up.
  let calls = 0;
  const sentLate: number[] = [];
  const result = await runLoad(
    options({
      rps: 100,
      durationMs: 2000,
      send: (_payload, signal) => {
        calls++;
        if (calls === 30) busyWait(500);
        sentLate.push(performance.now());
        return delayed(5, signal);
      },
    }),
  );
  expect(result.completed).toBe(200);
  // ~50 requests fell due during the stall and were sent in a burst right after it: within 100 ms, where sending them
  // on schedule would have taken 500 (a 5 ms window failed on a CI host whose GC paused the burst once).
  const burst = sentLate.slice(30, 80).filter((t) => t - sentLate[30] < 100).length;
  expect(burst).toBeGreaterThan(40);
  // Their latency includes the time they waited to be sent (measured from actual send it would be ~5 ms).
  expect(result.overall.latencyMs.p99).toBeGreaterThan(450);
  expect(result.overall.latencyMs.p90).toBeGreaterThan(200);
  expect(result.overall.latencyMs.p50).toBeLessThan(30);
});

test('the concurrency cap counts requests due while it is full as dropped, never queues them', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const result = await runLoad(
    options({
      rps: 100,
      durationMs: 1000,
      concurrency: 5,
      send: async (_payload, signal) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          return await delayed(100, signal);
        } finally {
          inFlight--;
        }
      },
    }),
  );
  expect(maxInFlight).toBe(5);
  expect(result.scheduled).toBe(100);
  // 100 ms answers at 100 rps need ~10 in flight: about half are dropped.
  expect(result.dropped).toBeGreaterThan(35);
  expect(result.dropped).toBeLessThan(65);
  expect(result.completed + result.dropped).toBe(result.scheduled);
  expect(result.overall.latencyMs.max).toBeLessThan(150); // none waited in a queue
  expect(result.achievedRps).toBeLessThan(65);
});

test('a request past timeoutMs is a timeout, even when send ignores its signal', async () => {
  const seen: AbortSignal[] = [];
  const result = await runLoad(
    options({
      rps: 50,
      durationMs: 400,
      timeoutMs: 50,
      send: (_payload, signal) => {
        seen.push(signal);
        // Every other request never settles at all.
        return seen.length % 2 ? delayed(1000, signal) : new Promise(() => undefined);
      },
    }),
  );
  expect(result.scheduled).toBe(20);
  expect(result.completed).toBe(20);
  expect(result.overall.statusClasses.timeout).toBe(20);
  expect(result.byVariant.unknown.statusClasses.timeout).toBe(20);
  expect(seen.every((s) => s.aborted)).toBe(true);
  expect(result.overall.latencyMs.p50).toBeGreaterThanOrEqual(50);
  // Generous bounds (a busy machine delays timers): the late answers (at 300 ms) were not waited for.
  expect(result.overall.latencyMs.max).toBeLessThan(250);
  expect(result.totalMs).toBeLessThan(1000);
});

test('classifies statuses and thrown errors', async () => {
  let i = 0;
  const result = await runLoad(
    options({
      rps: 200,
      durationMs: 100,
      send: async () => {
        switch (i++ % 5) {
          case 0:
            return { status: 200, servedModel: 'a' };
          case 1:
            return { status: 429, servedModel: 'a' };
          case 2:
            return { status: 503 };
          case 3:
            throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          default:
            throw Object.assign(new Error('timed out'), { name: 'DatabricksTimeoutError' });
        }
      },
    }),
  );
  expect(result.overall.statusClasses).toEqual({ '2xx': 4, '4xx': 4, '5xx': 4, timeout: 4, network: 4 });
  expect(result.byVariant.a.requests).toBe(8);
  expect(result.byVariant.unknown.requests).toBe(12);
});

test('abort stops the run and in-flight requests within ~100 ms', async () => {
  const controller = new AbortController();
  const inFlightSignals: AbortSignal[] = [];
  const run = runLoad(
    options({
      rps: 100,
      durationMs: 5000,
      signal: controller.signal,
      send: (_payload, signal) => {
        inFlightSignals.push(signal);
        return delayed(2000, signal);
      },
    }),
  );
  await sleep(300);
  const abortedAt = performance.now();
  controller.abort(new Error('cancelled'));
  const result = await run;
  expect(performance.now() - abortedAt).toBeLessThan(100);
  expect(result.aborted).toBe(true);
  expect(result.scheduled).toBeGreaterThanOrEqual(29);
  expect(result.scheduled).toBeLessThanOrEqual(32);
  expect(result.completed).toBe(0);
  expect(inFlightSignals.every((s) => s.aborted)).toBe(true);
  // Nothing is sent after the abort.
  const count = inFlightSignals.length;
  await sleep(50);
  expect(inFlightSignals).toHaveLength(count);
});

test('an already aborted signal sends nothing', async () => {
  const send = jest.fn((_p: Record<string, unknown>, s: AbortSignal) => delayed(1, s));
  const result = await runLoad(options({ signal: AbortSignal.abort(), send }));
  expect(send).not.toHaveBeenCalled();
  expect(result).toMatchObject({ aborted: true, scheduled: 0, completed: 0 });
});

test('startAt resumes the schedule: indices, round-robin payloads and progress continue', async () => {
  // A first run of 1 s at 50 rps "crashes" after ~0.5 s; the second resumes from the last heartbeat.
  const firstSeen: unknown[] = [];
  const controller = new AbortController();
  let last: LoadProgress | undefined;
  const first = runLoad(
    options({
      rps: 50,
      durationMs: 1000,
      signal: controller.signal,
      send: (payload, signal) => {
        firstSeen.push(payload.n);
        return delayed(1, signal);
      },
      onProgress: (p) => (last = p),
    }),
  );
  await sleep(500);
  controller.abort();
  await first;
  // The last report (sent on abort too) is what a heartbeat would have recorded.
  expect(last!.nextIndex).toBe(firstSeen.length);
  const startAt = last!.nextIndex;
  expect(startAt).toBeGreaterThan(20);
  expect(startAt).toBeLessThan(30);

  const secondSeen: unknown[] = [];
  const sentAt: number[] = [];
  const progress: LoadProgress[] = [];
  const t0 = performance.now();
  const second = await runLoad(
    options({
      rps: 50,
      durationMs: 1000 - (startAt * 1000) / 50,
      startAt,
      send: (payload, signal) => {
        secondSeen.push(payload.n);
        sentAt.push(performance.now() - t0);
        return delayed(1, signal);
      },
      onProgress: (p) => progress.push(p),
    }),
  );
  expect(firstSeen.length + secondSeen.length).toBe(50);
  expect(second.scheduled).toBe(50 - startAt);
  expect([...firstSeen, ...secondSeen]).toEqual(Array.from({ length: 50 }, (_, i) => i % 3));
  // The resumed schedule starts at once and keeps the 20 ms spacing.
  expect(sentAt[0]).toBeLessThan(10);
  expect(sentAt[sentAt.length - 1]).toBeGreaterThan((secondSeen.length - 1) * 20 - 10);
  expect(progress[progress.length - 1].nextIndex).toBe(50);
});

test('rejects bad options', async () => {
  await expect(runLoad(options({ rps: 0 }))).rejects.toThrow(RangeError);
  await expect(runLoad(options({ payloads: [] }))).rejects.toThrow(/payloads/);
  await expect(runLoad(options({ concurrency: 0 }))).rejects.toThrow(/concurrency/);
});

test('a checkpoint resumes the whole test: counters, histograms and reservoirs carry over', async () => {
  // A first run of 3 s at 50 rps "crashes" after ~1.3 s; its last checkpoint goes through JSON like a heartbeat.
  const controller = new AbortController();
  let saved: string | undefined;
  const servedBy = (n: unknown) => (n === 0 ? 'champion' : 'challenger');
  const send: LoadOptions['send'] = (payload, signal) =>
    delayed(1, signal, payload.n === 2 ? 503 : 200, servedBy(payload.n));
  const crash = setTimeout(() => controller.abort(), 1300);
  const first = await runLoad(
    options({
      rps: 50,
      durationMs: 3000,
      signal: controller.signal,
      send,
      onCheckpoint: (checkpoint) => (saved = JSON.stringify(checkpoint)),
    }),
  );
  clearTimeout(crash);
  expect(first.aborted).toBe(true);
  const checkpoint = JSON.parse(saved!);
  expect(checkpoint.completed).toBeGreaterThan(0);
  expect(checkpoint.nextIndex).toBeLessThan(150);
  const second = await runLoad(options({ rps: 50, durationMs: 3000, resume: checkpoint, send }));
  // The whole test was scheduled once: 150 requests, none twice.
  expect(second.scheduled).toBe(150);
  expect(second.completed).toBe(second.overall.requests);
  expect(second.completed).toBeGreaterThanOrEqual(150 - (checkpoint.scheduled - checkpoint.completed));
  const variants = second.byVariant;
  expect(variants.champion.requests + variants.challenger.requests).toBe(second.completed);
  expect(second.overall.statusClasses['5xx']).toBe(variants.challenger.statusClasses['5xx']);
  expect(second.overall.statusClasses['5xx']).toBeGreaterThanOrEqual(45);
  expect(second.overall.samples).toHaveLength(second.completed);
  expect(second.overall.latencyMs.p50).toBeGreaterThan(0);
});
