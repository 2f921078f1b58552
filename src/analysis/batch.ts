/**
 * What the sequential judge consumes: batches of evidence about the current version (champion) and the new one
 * (challenger), whatever their source.
 * - `live`: one metric minute of the endpoint's own traffic, read from the metrics export (per served entity,
 *   per-minute aggregates published as gauges, each with its minute's timestamp).
 * - `probes`: one round of our own requests to each version through the per-served-model route.
 * - `paired`: one round of paired replay, the same input sent to both versions; errors then count only where the
 *   other version answered the same input with a 2xx (see `pairedCounts`).
 * Each batch is summarised the way the metrics export summarises a minute, so that every source is judged by the
 * same machinery: counts, and nearest-rank quantiles of the batch's latencies.
 *
 * Pure: no I/O, no Node builtins, no clocks.
 */

/** One version's aggregate over one batch. */
export interface VersionAggregate {
  /** Requests answered in the batch, every status included. */
  requests: number;
  /** 4xx answers other than 429. */
  errors4xx: number;
  /** 5xx answers; for probes also timeouts and network errors. */
  errors5xx: number;
  /** 429 answers, reported apart (counted as 4xx only when the other version was not throttled, see `pairedCounts`). */
  throttled: number;
  /**
   * Nearest-rank latency quantiles of the batch, in ms, keyed `p50`, `p99`, ... (absent when the batch has no
   * latency for the quantile, e.g. no requests). Nearest rank: the ⌈q·n⌉-th smallest of n, so that comparing two
   * batches' quantiles is a comparison of order statistics, whose null distribution is exact (see the judge).
   */
  quantilesMs: Record<string, number>;
  /**
   * How many latencies the quantiles were taken over, when not `requests` (probes take them over the 2xx answers;
   * the metrics export over every request).
   */
  latencyCount?: number;
}

export type EvidenceSource = 'live' | 'probes' | 'paired';

export interface Batch {
  source: EvidenceSource;
  /** The batch's end, ms since the epoch: the metric minute's timestamp (live), or the round's end (probes, paired). */
  endsAt: number;
  champion: VersionAggregate;
  challenger: VersionAggregate;
  /**
   * The challenger's configured share of the two versions' traffic: challenger% / (challenger% + champion%) of the
   * endpoint's traffic_config for `live`; 0.5 for probes and paired replay, which query both alike.
   */
  challengerShare: number;
}

/** Key of a quantile in `quantilesMs`: 0.5 → "p50", 0.99 → "p99", 0.999 → "p99.9". */
export function quantileKey(q: number): string {
  return `p${+(100 * q).toFixed(4)}`;
}

/** The nearest-rank q-quantile of ascending `sorted` values: the ⌈q·n⌉-th smallest (1-based), NaN when empty. */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
  return sorted[rank - 1];
}

/** The 1-based rank `nearestRank` picks among n values. */
export function nearestRankIndex(n: number, q: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
}

export const EMPTY_AGGREGATE: VersionAggregate = {
  requests: 0,
  errors4xx: 0,
  errors5xx: 0,
  throttled: 0,
  quantilesMs: {},
};

/** A status class per request, as probes record them. */
export type AnswerClass = '2xx' | '4xx' | '429' | '5xx';

export function answerClass(status: number | 'timeout' | 'network'): AnswerClass {
  if (status === 'timeout' || status === 'network') return '5xx';
  if (status === 429) return '429';
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 400 && status < 500) return '4xx';
  // 1xx/3xx never reach a scoring client; anything else that is not a 2xx answer is a failure to answer.
  return '5xx';
}

/** One probe or replay request, as the measuring loop records it. */
export interface Answer {
  status: number | 'timeout' | 'network';
  latencyMs: number;
}

/** Aggregates answers (probes: every answer counts) with nearest-rank quantiles of the 2xx latencies. */
export function aggregate(answers: readonly Answer[], quantiles: readonly number[]): VersionAggregate {
  const result: VersionAggregate = { ...EMPTY_AGGREGATE, quantilesMs: {} };
  const latencies: number[] = [];
  for (const answer of answers) {
    result.requests++;
    const kind = answerClass(answer.status);
    if (kind === '4xx') result.errors4xx++;
    else if (kind === '5xx') result.errors5xx++;
    else if (kind === '429') result.throttled++;
    if (kind === '2xx' && Number.isFinite(answer.latencyMs)) latencies.push(answer.latencyMs);
  }
  latencies.sort((a, b) => a - b);
  result.latencyCount = latencies.length;
  if (latencies.length > 0) for (const q of quantiles) result.quantilesMs[quantileKey(q)] = nearestRank(latencies, q);
  return result;
}

/**
 * Paired replay: input i was sent to both versions. A non-2xx answer of one version counts as its failure only when
 * the other version answered the same input with a 2xx (an input both refuse says nothing about the new version).
 * A 429 counts as a 4xx failure only when the other version was not throttled on that input; pairs where both were
 * throttled are reported in `throttled`.
 */
export function pairedCounts(
  pairs: readonly { champion: Answer; challenger: Answer }[],
  quantiles: readonly number[],
): { champion: VersionAggregate; challenger: VersionAggregate } {
  const sides = { champion: [] as Answer[], challenger: [] as Answer[] };
  const counts = {
    champion: { ...EMPTY_AGGREGATE, quantilesMs: {} as Record<string, number> },
    challenger: { ...EMPTY_AGGREGATE, quantilesMs: {} as Record<string, number> },
  };
  for (const pair of pairs) {
    const kinds = { champion: answerClass(pair.champion.status), challenger: answerClass(pair.challenger.status) };
    for (const side of ['champion', 'challenger'] as const) {
      const other = side === 'champion' ? 'challenger' : 'champion';
      const mine = kinds[side];
      counts[side].requests++;
      sides[side].push(pair[side]);
      if (mine === '2xx') continue;
      if (mine === '429') {
        if (kinds[other] === '429') counts[side].throttled++;
        else if (kinds[other] === '2xx') counts[side].errors4xx++;
        continue;
      }
      if (kinds[other] !== '2xx') continue;
      if (mine === '4xx') counts[side].errors4xx++;
      else counts[side].errors5xx++;
    }
  }
  for (const side of ['champion', 'challenger'] as const) {
    const latencies = aggregate(sides[side], quantiles);
    counts[side].quantilesMs = latencies.quantilesMs;
    counts[side].latencyCount = latencies.latencyCount;
  }
  return counts;
}
