/**
 * Where the judge's batches come from, apart from the endpoint's own metrics (see live-minutes.ts):
 * - probes: a round of our own requests through the per-served-model route, each sent to one version chosen at
 *   random with equal odds, so that the conditional error test's "known split" (w = 0.5) holds exactly;
 * - paired replay: a round in which every input is sent to both versions at once, so that a failure of the new
 *   version on an input the current one answers is seen as such.
 * Every answer is recorded with its status and latency; a timeout or a network error is a 5xx (no answer).
 */
import { performance } from 'node:perf_hooks';
import { aggregate, pairedCounts, type Answer, type Batch } from '../analysis/batch';
import type { DatabricksClient } from '../databricks';
import { invocationSender } from '../load/databricks-target';
import { runLoad } from '../load/generator';

export interface ProbeTarget {
  endpoint: string;
  champion: string;
  challenger: string;
  payloads: Record<string, unknown>[];
}

export interface RoundOptions {
  /** Requests per second to each version (paired: inputs per second, each sent to both). */
  rps: number;
  durationMs: number;
  quantiles: readonly number[];
  signal?: AbortSignal;
  /** Uniform in [0, 1): which version a probe goes to. */
  random?: () => number;
}

const requestBodies = (records: Record<string, unknown>[]) =>
  records.map((record) => ({ dataframe_records: [record] }));

/** Sends through `send`, recording the answer (status or 'timeout'/'network', and latency) in `into`. */
function recording(
  send: ReturnType<typeof invocationSender>,
  record: (answer: Answer) => void,
): ReturnType<typeof invocationSender> {
  return async (payload, signal) => {
    const started = performance.now();
    try {
      const result = await send(payload, signal);
      record({ status: result.status, latencyMs: performance.now() - started });
      return result;
    } catch (err) {
      record({ status: signal.aborted ? 'timeout' : 'network', latencyMs: performance.now() - started });
      throw err;
    }
  };
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw (signal.reason as Error) ?? new Error('cancelled');
}

/** One round of probes: about `rps × 2 × duration` requests, each to a version drawn at random. */
export async function probeRound(client: DatabricksClient, target: ProbeTarget, options: RoundOptions): Promise<Batch> {
  const random = options.random ?? Math.random;
  await client.serving.prepareInvocations(target.endpoint, { signal: options.signal });
  const answers = { champion: [] as Answer[], challenger: [] as Answer[] };
  const senders = {
    champion: recording(invocationSender(client, target.endpoint, target.champion), (a) => answers.champion.push(a)),
    challenger: recording(invocationSender(client, target.endpoint, target.challenger), (a) =>
      answers.challenger.push(a),
    ),
  };
  await runLoad({
    rps: options.rps * 2,
    durationMs: options.durationMs,
    concurrency: 128,
    timeoutMs: 10_000,
    payloads: requestBodies(target.payloads),
    send: (payload, signal) => (random() < 0.5 ? senders.challenger : senders.champion)(payload, signal),
    signal: options.signal,
  });
  // Cut short: answers aborted by our own cancellation are not the versions' failures; never judge them.
  throwIfAborted(options.signal);
  return {
    source: 'probes',
    endsAt: Date.now(),
    challengerShare: 0.5,
    champion: aggregate(answers.champion, options.quantiles),
    challenger: aggregate(answers.challenger, options.quantiles),
  };
}

/** One round of paired replay: about `rps × duration` inputs, each sent to both versions at once. */
export async function pairedRound(
  client: DatabricksClient,
  target: ProbeTarget,
  options: RoundOptions,
): Promise<Batch> {
  const pairs: { champion: Answer; challenger: Answer }[] = [];
  await client.serving.prepareInvocations(target.endpoint, { signal: options.signal });
  const champion = invocationSender(client, target.endpoint, target.champion);
  const challenger = invocationSender(client, target.endpoint, target.challenger);
  await runLoad({
    rps: options.rps,
    durationMs: options.durationMs,
    concurrency: 128,
    timeoutMs: 10_000,
    payloads: requestBodies(target.payloads),
    send: async (payload, signal) => {
      const pair: Partial<{ champion: Answer; challenger: Answer }> = {};
      const results = await Promise.allSettled([
        recording(champion, (a) => (pair.champion = a))(payload, signal),
        recording(challenger, (a) => (pair.challenger = a))(payload, signal),
      ]);
      if (pair.champion && pair.challenger) pairs.push({ champion: pair.champion, challenger: pair.challenger });
      const answered = results[1];
      if (answered.status === 'rejected') throw answered.reason as Error;
      return answered.value;
    },
    signal: options.signal,
  });
  throwIfAborted(options.signal);
  const counts = pairedCounts(pairs, options.quantiles);
  return { source: 'paired', endsAt: Date.now(), challengerShare: 0.5, ...counts };
}
