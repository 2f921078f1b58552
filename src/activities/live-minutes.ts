/**
 * Live traffic as judge batches: the endpoint's metrics export, read repeatedly, gives per served entity the last
 * completed minute's aggregates with that minute's timestamp. Each new timestamp is one batch; a reading that
 * repeats a minute adds nothing (the export's values are per-minute gauges, never counters to subtract). The
 * cursor remembers the newest minute judged, so a resumed attempt never judges a minute twice.
 */
import type { Batch, VersionAggregate } from '../analysis/batch';
import type { DatabricksClient } from '../databricks';
import {
  readMetricMinutes,
  type EntityMinuteReading as EntityMinute,
  type MetricMinuteReading as MetricMinute,
} from '../databricks/serving-metrics';
import { METRIC_MINUTE_MS } from '../databricks/metric-names';

export interface MinuteCursorState {
  /** The newest minute seen when the canary started: it and older minutes are before the canary. */
  startedAfter?: number;
  /** The newest minute judged. */
  last?: number;
  /** Wall-clock moments (ms) at which the export showed a new minute, newest last (at most 5). */
  arrivals: number[];
}

export class MinuteCursor {
  private constructor(private readonly state: MinuteCursorState) {}

  static async start(client: DatabricksClient, endpoint: string): Promise<MinuteCursorState> {
    const newest = latest(await readMinutes(client, endpoint));
    return { startedAfter: newest, last: newest, arrivals: [] };
  }

  static from(state: MinuteCursorState): MinuteCursor {
    return new MinuteCursor({ ...state, arrivals: [...(state.arrivals ?? [])] });
  }

  snapshot(): MinuteCursorState {
    return { ...this.state, arrivals: [...this.state.arrivals] };
  }

  /** The minutes exported since the last call, oldest first. */
  async next(client: DatabricksClient, endpoint: string): Promise<MetricMinute[]> {
    const minutes = (await readMinutes(client, endpoint))
      .filter((m) => this.state.last === undefined || m.timestamp > this.state.last)
      .sort((a, b) => a.timestamp - b.timestamp);
    if (minutes.length > 0) {
      // With no minute at the start, the first minute exported is the canary's first.
      if (this.state.startedAfter === undefined) this.state.startedAfter = minutes[0].timestamp - METRIC_MINUTE_MS;
      this.state.last = minutes.at(-1)!.timestamp;
      this.state.arrivals = [...this.state.arrivals, Date.now()].slice(-5);
    }
    return minutes;
  }

  /** Metric time judged so far: from the start to the newest minute's end, by the export's own timestamps. */
  elapsedMs(): number {
    const { startedAfter, last } = this.state;
    return startedAfter === undefined || last === undefined ? 0 : Math.max(0, last - startedAfter);
  }

  /**
   * How long to wait before the next read: about a quarter of the wall time between new minutes as observed (a
   * real workspace: ~15 s; an emulator running 600× faster: 25 ms; floored at 10 ms), 1 s until two are seen.
   */
  suggestedPollMs(now: number): number {
    const arrivals = this.state.arrivals;
    if (arrivals.length < 2) return Math.min(1_000, Math.max(50, now - (arrivals[0] ?? now)) || 1_000);
    const perMinute = (arrivals.at(-1)! - arrivals[0]) / (arrivals.length - 1);
    return Math.min(15_000, Math.max(10, perMinute / 4));
  }
}

/** The export's minutes (a sample without a timestamp describes the minute completed before the read). */
async function readMinutes(client: DatabricksClient, endpoint: string): Promise<MetricMinute[]> {
  return readMetricMinutes((await client.serving.getMetrics(endpoint)).samples, Date.now());
}

function latest(minutes: MetricMinute[]): number | undefined {
  return minutes.length === 0 ? undefined : Math.max(...minutes.map((m) => m.timestamp));
}

/**
 * One version's minute as a judge aggregate (the reader already tells 429 apart from other 4xx when the export
 * does); latency quantiles are over the minute's 2xx answers.
 */
function aggregateOf(entity: EntityMinute | undefined): VersionAggregate {
  const requests = entity?.requests ?? 0;
  const errors4xx = entity?.errors4xx ?? 0;
  const errors5xx = entity?.errors5xx ?? 0;
  const throttled = entity?.throttled ?? 0;
  return {
    requests,
    errors4xx,
    errors5xx,
    throttled,
    quantilesMs: { ...(entity?.quantilesMs ?? {}) },
    latencyCount: Math.max(0, requests - errors4xx - errors5xx - throttled),
  };
}

/**
 * A minute as the region records it (plain JSON, for heartbeats and activity results): each served entity's
 * aggregate, as the judge takes it.
 */
export interface RecordedMinute {
  /** The end of the minute, ms since the epoch (the export's timestamp). */
  timestamp: number;
  entities: Record<string, VersionAggregate>;
}

export function recordedMinute(minute: MetricMinute): RecordedMinute {
  return {
    timestamp: minute.timestamp,
    entities: Object.fromEntries([...minute.entities].map(([name, entity]) => [name, aggregateOf(entity)])),
  };
}

/**
 * Batches of a version's minutes after the rollout (`after`, its entity `afterEntity`) against the version it replaced
 * in minutes recorded before the rollout (`before`, already one entity's): the k-th minute after is paired with
 * recorded minute `(firstIndex + k) mod before.length`, round robin when there are more minutes after than before.
 * The traffic split of a pair is its realised one (each version's requests of both), so the judge's conditional
 * error test asks whether the new version's share of the errors is beyond its share of the requests (by the margins),
 * and the sample-ratio check, having nothing to compare, never fires. 429s stay apart (an endpoint throttled in one
 * minute and not the other says nothing about a version). Pairs where either side has no requests are left out.
 */
export function beforeAfterBatches(
  before: readonly VersionAggregate[],
  after: readonly RecordedMinute[],
  afterEntity: string,
  firstIndex: number,
): Batch[] {
  if (before.length === 0) return [];
  return after.flatMap((minute, k) => {
    const champion = before[(firstIndex + k) % before.length];
    const challenger = minute.entities[afterEntity];
    if (!challenger || !(champion.requests > 0 && challenger.requests > 0)) return [];
    const challengerShare = challenger.requests / (challenger.requests + champion.requests);
    return [{ source: 'live' as const, endsAt: minute.timestamp, champion, challenger, challengerShare }];
  });
}

/**
 * Batches of the two versions' minutes. A 429 counts as a 4xx failure of a version only in a minute where the other
 * version was not throttled (throttling of the whole endpoint says nothing about the new version).
 */
export function liveMinuteBatches(
  minutes: readonly MetricMinute[],
  champion: string,
  challenger: string,
  challengerShare: number,
): Batch[] {
  return minutes.map((minute) => {
    const cp = aggregateOf(minute.entities.get(champion));
    const ch = aggregateOf(minute.entities.get(challenger));
    if (ch.throttled > 0 && cp.throttled === 0) ch.errors4xx += ch.throttled;
    if (cp.throttled > 0 && ch.throttled === 0) cp.errors4xx += cp.throttled;
    return { source: 'live', endsAt: minute.timestamp, champion: cp, challenger: ch, challengerShare };
  });
}

/**
 * The challenger's configured share of the two versions' traffic, from the endpoint's traffic_config as it is now
 * (what the routing really does, not what the plan meant). Refuses a split the judge cannot use.
 */
export async function challengerShareOf(
  client: DatabricksClient,
  endpoint: string,
  champion: string,
  challenger: string,
): Promise<number> {
  const detail = await client.serving.getEndpoint(endpoint);
  const routes = detail.config?.traffic_config?.routes ?? [];
  const percent = (name: string) =>
    routes
      .filter((r) => (r.served_entity_name ?? r.served_model_name) === name)
      .reduce((sum, r) => sum + r.traffic_percentage, 0);
  const ch = percent(challenger);
  const cp = percent(champion);
  if (!(ch > 0 && cp > 0))
    throw new Error(
      `${endpoint}: live traffic cannot judge ${challenger} against ${champion}: traffic_config routes ${ch}% and ${cp}% to them (both need a share)`,
    );
  return ch / (ch + cp);
}
