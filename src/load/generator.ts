/**
 * Open-model (constant arrival rate) load generator.
 *
 * Request `i` is due at `start + (i - startAt) * 1000 / rps`, whatever happened to the requests before it: a slow
 * answer never delays the next send (no coordinated omission). Each latency is measured from the request's SCHEDULED
 * send time, so if the generator itself falls behind (event loop blocked, GC pause, timer lag), the time a request
 * spent waiting to be sent is part of its latency, as in wrk2.
 *
 * Scheduling is a drift-free timer loop: the next due time is computed from the start time and the index (never by
 * adding intervals to "now"); on each wake-up every request that is due is sent, then the loop sleeps until the next
 * due time.
 *
 * Saturation is reported, never hidden: a request that comes due while `concurrency` requests are in flight is not
 * queued but counted in `dropped` (the client could not keep the arrival rate).
 *
 * Latencies (of every completed request: successes, HTTP errors, timeouts and network errors alike) go into HDR
 * histograms (1 µs .. 60 s, 3 significant digits; longer values are clamped to 60 s), overall and per served model.
 * Dropped requests have no latency. Each histogram is paired with a reservoir of up to 5000 raw latencies (seeded
 * PRNG) for rank tests (e.g. Mann-Whitney between champion and challenger).
 *
 * Resuming with everything measured so far: `onCheckpoint` gives, at the first progress tick and then about every 5 s, a `LoadCheckpoint` (counters,
 * histograms and sample reservoirs as plain JSON; a Temporal activity heartbeats it). Pass it back as `resume`, with
 * the same `durationMs` (the whole test's), and the run schedules the rest of the test and reports the whole of it.
 * Requests in flight when the checkpoint was taken are not in it (they are neither counted nor re-sent).
 *
 * Resuming by index only: `LoadProgress.nextIndex` is the
 * absolute index of the next request that was not yet scheduled. Call `runLoad` again with `startAt: nextIndex` and
 * `durationMs` = the remaining duration (original duration - nextIndex * 1000 / rps). The new run schedules indices
 * `startAt, startAt + 1, ...` from its own start time, so the payload round-robin and the indices in later progress
 * reports continue where the first run stopped. Counters and histograms of the new run cover only the new run: merge
 * results (counts add; for percentiles keep the per-run figures or merge the sample reservoirs) in the caller.
 *
 * Abort (`signal`): the loop stops at once, every in-flight request is aborted, and `runLoad` resolves promptly (it
 * does not wait for `send` to honour the abort) with the partial result and `aborted: true`; requests cut short by
 * the abort are not counted as completed. The caller decides whether an abort is an error (an activity should throw
 * its cancellation).
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

export interface LoadProgress {
  /** Requests whose due time has passed in this run (sent or dropped). */
  scheduled: number;
  /** Requests that got an outcome (any status class). */
  completed: number;
  dropped: number;
  elapsedMs: number;
  /** Absolute index of the next request to schedule: pass it as `startAt` to resume. */
  nextIndex: number;
}

export interface LoadOptions {
  /** Arrival rate, requests per second. */
  rps: number;
  /** Length of the sending phase of this run; requests due at offsets in [0, durationMs) are scheduled. */
  durationMs: number;
  /** In-flight cap: a request due while `concurrency` are in flight is counted as dropped, never queued. */
  concurrency: number;
  /** Per request, from its actual send; a timeout counts as status class 'timeout' (and its latency is recorded). */
  timeoutMs: number;
  /** Request bodies, used round-robin by absolute index. */
  payloads: Record<string, unknown>[];
  /**
   * Sends one request. Resolve with the HTTP status (any status, errors included) and the served model that
   * answered; throw for no HTTP answer (classified 'timeout' when the error is a timeout, else 'network').
   */
  send: (payload: Record<string, unknown>, signal: AbortSignal) => Promise<{ status: number; servedModel?: string }>;
  /** Stops promptly when aborted (in-flight requests are aborted too). */
  signal?: AbortSignal;
  /** Called about once per second, and once at the end. */
  onProgress?: (progress: LoadProgress) => void;
  /** Resume support: the first index to schedule (see the module comment). Default 0. */
  startAt?: number;
  /** Seed of the reservoir-sampling PRNG (default 1). */
  seed?: number;
  /** Called with everything measured so far (to pass back as `resume`): at the first progress tick, then about every 5 s, and at the end. */
  onCheckpoint?: (checkpoint: LoadCheckpoint) => void;
  /** Continue a run from its checkpoint; `durationMs` is then the whole test's duration (see the module comment). */
  resume?: LoadCheckpoint;
}

/** A recorder's state as plain JSON: the histogram in HDR's compressed base64 encoding. */
export interface RecorderState {
  requests: number;
  statusClasses: Record<StatusClass, number>;
  histogram: string;
  samples: number[];
  seen: number;
}

export interface LoadCheckpoint extends LoadProgress {
  /** Sending-phase time of the runs before, for the achieved rate of the whole test. */
  sendingMsBefore: number;
  overall: RecorderState;
  byVariant: Record<string, RecorderState>;
}

export type StatusClass = '2xx' | '4xx' | '5xx' | 'timeout' | 'network';

export interface VariantStats {
  requests: number;
  statusClasses: Record<StatusClass, number>;
  /** Milliseconds, from the scheduled send time; all zero when nothing completed. */
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Up to 5000 latencies (ms), reservoir-sampled with a seeded PRNG, for rank tests. */
  samples: number[];
}

export interface LoadResult {
  targetRps: number;
  /** Requests actually sent (scheduled - dropped) per second of the sending phase. */
  achievedRps: number;
  scheduled: number;
  completed: number;
  dropped: number;
  /** Wall time of the sending phase (at least `durationMs` unless aborted; longer when the loop fell behind). */
  durationMs: number;
  /** Wall time from start until the last in-flight request settled (or the abort). */
  totalMs: number;
  aborted: boolean;
  overall: VariantStats;
  /** Keyed by served model name; 'unknown' when the answer named none (thrown errors, or send gave none). */
  byVariant: Record<string, VariantStats>;
}

export const MAX_SAMPLES = 5000;

/** A latency in ms rounded to whole microseconds: what the histograms keep, and half the size as JSON. */
export const toMicroseconds = (ms: number) => Math.round(ms * 1000) / 1000;
const LOWEST_US = 1;
const HIGHEST_US = 60_000_000;
const PROGRESS_INTERVAL_MS = 1000;
const CHECKPOINT_INTERVAL_MS = 5000;

/** mulberry32: small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    useWebAssembly: false,
  });
}

class VariantRecorder {
  readonly histogram: Histogram;
  readonly statusClasses: Record<StatusClass, number> = { '2xx': 0, '4xx': 0, '5xx': 0, timeout: 0, network: 0 };
  readonly samples: number[] = [];
  requests = 0;
  private seen = 0;

  constructor(
    private readonly random: () => number,
    state?: RecorderState,
  ) {
    this.histogram = newHistogram();
    if (state) {
      this.histogram.add(decodeFromCompressedBase64(state.histogram, 32, false));
      Object.assign(this.statusClasses, state.statusClasses);
      this.samples.push(...state.samples.slice(0, MAX_SAMPLES));
      this.requests = state.requests;
      this.seen = state.seen;
    }
  }

  state(): RecorderState {
    return {
      requests: this.requests,
      statusClasses: { ...this.statusClasses },
      histogram: encodeIntoCompressedBase64(this.histogram),
      // Microsecond precision is what the histogram keeps too; it halves the checkpoint's size.
      samples: this.samples.map(toMicroseconds),
      seen: this.seen,
    };
  }

  record(statusClass: StatusClass, latencyMs: number): void {
    this.requests++;
    this.statusClasses[statusClass]++;
    const us = Math.min(HIGHEST_US, Math.max(LOWEST_US, Math.round(latencyMs * 1000)));
    this.histogram.recordValue(us);
    // Algorithm R.
    this.seen++;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(latencyMs);
    else {
      const j = Math.floor(this.random() * this.seen);
      if (j < MAX_SAMPLES) this.samples[j] = latencyMs;
    }
  }

  stats(): VariantStats {
    const h = this.histogram;
    const empty = h.totalCount === 0;
    const at = (p: number) => (empty ? 0 : h.getValueAtPercentile(p) / 1000);
    return {
      requests: this.requests,
      statusClasses: { ...this.statusClasses },
      latencyMs: {
        p50: at(50),
        p90: at(90),
        p99: at(99),
        p999: at(99.9),
        max: empty ? 0 : h.maxValue / 1000,
        mean: empty ? 0 : h.mean / 1000,
      },
      samples: [...this.samples],
    };
  }
}

export function statusClass(status: number): StatusClass {
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 400 && status < 500) return '4xx';
  // 5xx, and anything a load test should not get as a final answer (1xx, 3xx): counted as server errors.
  return '5xx';
}

function isTimeoutError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; kind?: unknown; code?: unknown };
  return (
    e.name === 'TimeoutError' ||
    e.name === 'DatabricksTimeoutError' ||
    e.kind === 'timeout' ||
    e.code === 'ETIMEDOUT' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT'
  );
}

function validate(options: LoadOptions): void {
  const { rps, durationMs, concurrency, timeoutMs, payloads } = options;
  if (!(Number.isFinite(rps) && rps > 0)) throw new RangeError(`rps must be a positive number, got ${rps}`);
  if (!(Number.isFinite(durationMs) && durationMs >= 0)) throw new RangeError(`durationMs must be >= 0`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be an integer >= 1`);
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive`);
  if (payloads.length === 0) throw new RangeError('payloads must not be empty');
  const startAt = options.startAt ?? 0;
  if (!(Number.isInteger(startAt) && startAt >= 0)) throw new RangeError(`startAt must be an integer >= 0`);
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validate(options);
  const { rps, concurrency, timeoutMs, payloads, send, signal, onProgress, onCheckpoint, resume } = options;
  const startAt = resume?.nextIndex ?? options.startAt ?? 0;
  const intervalMs = 1000 / rps;
  // Indices startAt .. endIndex-1 are due at offsets (i - startAt) * intervalMs < durationMs; a resumed run covers
  // what is left of the whole test.
  const durationMs = resume ? Math.max(0, options.durationMs - startAt * intervalMs) : options.durationMs;
  const count = Math.ceil((durationMs * rps) / 1000 - 1e-9);
  const endIndex = startAt + count;

  // Resumed runs draw from a stream of their own, so a resumed reservoir does not replay the first run's choices.
  const random = prng((options.seed ?? 1) + startAt);
  const overall = new VariantRecorder(random, resume?.overall);
  const byVariant = new Map<string, VariantRecorder>(
    Object.entries(resume?.byVariant ?? {}).map(([name, state]) => [name, new VariantRecorder(random, state)]),
  );
  const variant = (name: string) => {
    let recorder = byVariant.get(name);
    if (!recorder) byVariant.set(name, (recorder = new VariantRecorder(random)));
    return recorder;
  };

  const inFlight = new Set<AbortController>();
  let scheduled = resume?.scheduled ?? 0;
  let completed = resume?.completed ?? 0;
  let dropped = resume?.dropped ?? 0;
  const sendingMsBefore = resume ? resume.sendingMsBefore + resume.elapsedMs : 0;
  let nextIndex = startAt;
  let aborted = signal?.aborted ?? false;
  let drained: (() => void) | undefined;
  let wake: (() => void) | undefined;

  const start = performance.now();
  const dueAt = (index: number) => start + (index - startAt) * intervalMs;
  const progress = (): LoadProgress => ({
    scheduled,
    completed,
    dropped,
    elapsedMs: performance.now() - start,
    nextIndex,
  });

  const onAbort = () => {
    aborted = true;
    for (const controller of inFlight) controller.abort(signal?.reason);
    wake?.();
    drained?.();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const checkpoint = (): LoadCheckpoint => ({
    ...progress(),
    sendingMsBefore,
    overall: overall.state(),
    byVariant: Object.fromEntries([...byVariant].map(([name, recorder]) => [name, recorder.state()])),
  });
  // A checkpoint encodes every histogram and copies the reservoirs, on the loop that times the requests; the SDK
  // sends a heartbeat only every few seconds anyway. So: the first tick, then every CHECKPOINT_INTERVAL_MS, and the end.
  let lastCheckpoint = -Infinity;
  const tick = (final = false) => {
    onProgress?.(progress());
    const now = performance.now();
    if (onCheckpoint && (final || now - lastCheckpoint >= CHECKPOINT_INTERVAL_MS)) {
      lastCheckpoint = now;
      onCheckpoint(checkpoint());
    }
  };
  const ticker = onProgress || onCheckpoint ? setInterval(() => tick(), PROGRESS_INTERVAL_MS) : undefined;

  const dispatch = (index: number) => {
    const scheduledAt = dueAt(index);
    const controller = new AbortController();
    inFlight.add(controller);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        const err = new DOMException(`request timed out after ${timeoutMs}ms`, 'TimeoutError');
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    let attempt: Promise<{ status: number; servedModel?: string }>;
    try {
      attempt = send(payloads[index % payloads.length], controller.signal);
    } catch (err) {
      attempt = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // A send that ignores its signal is still classified as a timeout at timeoutMs (its late answer is ignored).
    Promise.race([attempt, timeout])
      .then(
        (answer) => ({ cls: statusClass(answer.status), servedModel: answer.servedModel }),
        (err: unknown) => ({
          cls: (timedOut || isTimeoutError(err) ? 'timeout' : 'network') as StatusClass,
          servedModel: undefined,
        }),
      )
      .then(({ cls, servedModel }) => {
        clearTimeout(timer);
        inFlight.delete(controller);
        if (aborted && controller.signal.aborted && !timedOut) return; // cut short by the caller's abort
        const latencyMs = performance.now() - scheduledAt;
        completed++;
        overall.record(cls, latencyMs);
        variant(servedModel ?? 'unknown').record(cls, latencyMs);
        if (inFlight.size === 0) drained?.();
      })
      .catch(() => undefined);
    attempt.catch(() => undefined); // a late rejection after the timeout won the race
  };

  let sendingEnd: number | undefined;
  try {
    while (!aborted && nextIndex < endIndex) {
      const now = performance.now();
      while (nextIndex < endIndex && dueAt(nextIndex) <= now) {
        scheduled++;
        if (inFlight.size >= concurrency) dropped++;
        else dispatch(nextIndex);
        nextIndex++;
      }
      if (nextIndex >= endIndex) break;
      const delay = dueAt(nextIndex) - performance.now();
      if (delay > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            wake = undefined;
            resolve();
          }, delay);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
        });
      }
    }
    // The sending phase lasts until the end of the window (or later, if the loop fell behind).
    const windowEnd = start + durationMs;
    if (!aborted && performance.now() < windowEnd) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, windowEnd - performance.now());
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    }
    sendingEnd = performance.now();
    if (!aborted && inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
    }
  } finally {
    drained = undefined;
    if (ticker) clearInterval(ticker);
    signal?.removeEventListener('abort', onAbort);
  }
  const end = performance.now();
  sendingEnd ??= end; // aborted during the sending phase
  tick(true);

  const sendingMs: number = sendingMsBefore + (sendingEnd - start);
  const sent = scheduled - dropped;
  return {
    targetRps: rps,
    achievedRps: sendingMs > 0 ? (sent * 1000) / sendingMs : 0,
    scheduled,
    completed,
    dropped,
    durationMs: sendingMs,
    totalMs: end - start,
    aborted,
    overall: overall.stats(),
    byVariant: Object.fromEntries([...byVariant].map(([name, recorder]) => [name, recorder.stats()])),
  };
}
