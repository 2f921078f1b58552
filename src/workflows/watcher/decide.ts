/**
 * Which version the watcher starts, and why not the others: pure, so it is unit-tested on its own and replays the
 * same. Databricks' model trigger semantics: a change (a newer eligible version, or the alias moving) opens a quiet
 * period, and a rollout starts only once it has passed and the minimum time since the previous rollout too; a burst
 * of versions therefore rolls out only the newest. Pause and hold gate it; a version is never started twice.
 */
import { ROLLED_BACK_TAG, type WatchSettings } from '../../plan/schema';
import {
  MAX_WATCH_EVENTS,
  type Hold,
  type Observation,
  type ObservedVersion,
  type WatchEvent,
  type WatcherState,
} from '../../shared/watch';

export interface Decision {
  /** The version to start now. */
  start?: number;
  /** Workflow time (ms) at which a waiting candidate may start: the watcher polls again no later than then. */
  wakeAtMs?: number;
}

export function initialWatcherState(): WatcherState {
  return { highestStarted: 0, started: [], events: [], polls: 0, failures: 0 };
}

/** Appends an event unless the latest one about the same version says the same (a poll that learns nothing). */
export function record(state: WatcherState, event: WatchEvent): void {
  const last = [...state.events].reverse().find((e) => e.version === event.version);
  if (last && last.what === event.what && last.why === event.why) return;
  state.events.push(event);
  if (state.events.length > MAX_WATCH_EVENTS) state.events.splice(0, state.events.length - MAX_WATCH_EVENTS);
}

/** Why a READY version may not be rolled out (its tags), or undefined when it may. */
export function ineligibility(version: ObservedVersion, settings: Pick<WatchSettings, 'tags'>): string | undefined {
  if (version.status !== 'READY') return `${version.status}, not READY`;
  const tags = version.tags ?? {};
  if (ROLLED_BACK_TAG in tags) return `tagged ${ROLLED_BACK_TAG}: ${tags[ROLLED_BACK_TAG] || '(no reason)'}`;
  for (const [key, value] of Object.entries(settings.tags ?? {}))
    if (tags[key] !== value)
      return `tag ${key} is ${key in tags ? `"${tags[key]}"` : 'absent'}, the plan wants "${value}"`;
  return undefined;
}

const wasStarted = (state: WatcherState, version: number) => state.started.some((s) => s.version === version);

/**
 * on: alias — a move of the alias (to another version, or set again after being deleted) is the change: the quiet
 * period runs from it. The version it points to is a candidate only once it has moved to it since the baseline.
 */
function aliasCandidate(state: WatcherState, observation: Observation, settings: WatchSettings, nowMs: number) {
  const at = new Date(nowMs).toISOString();
  const target = observation.alias ?? null;
  if ((target?.version ?? null) !== state.aliasVersion) {
    state.aliasVersion = target?.version ?? null;
    if (target) {
      state.lastChange = { version: target.version, atMs: nowMs };
      record(state, { at, version: target.version, what: 'seen', why: `${settings.alias} moved to it` });
    }
  }
  if (!target || state.lastChange?.version !== target.version) return undefined;
  const why = ineligibility(target, settings);
  if (why)
    record(state, { at, version: target.version, what: 'skipped', why: `${settings.alias} points to it, but ${why}` });
  else if (wasStarted(state, target.version))
    record(state, {
      at,
      version: target.version,
      what: 'skipped',
      why: 'already started; a version is never started twice',
    });
  else return target.version;
  return undefined;
}

const heldWhy = (hold: Hold) => `newer than v${hold.version}, held by ${hold.by}: ${hold.reason ?? ''}`;

/**
 * on: version-ready — the newest eligible version newer than the baseline and every version started; the others are
 * passed over, with the reason. A version newer than a hold is held (recorded), not a candidate: the hold pins the
 * newest one at or below it. A new newest one is the change: the quiet period runs from it.
 */
function readyCandidate(state: WatcherState, observation: Observation, settings: WatchSettings, nowMs: number) {
  const at = new Date(nowMs).toISOString();
  const mark = Math.max(state.baseline ?? 0, state.highestStarted);
  let best: number | undefined;
  for (const version of [...observation.versions].sort((a, b) => b.version - a.version)) {
    if (version.version <= mark) continue;
    const why = ineligibility(version, settings);
    if (why) record(state, { at, version: version.version, what: 'skipped', why });
    else if (state.hold && version.version > state.hold.version)
      record(state, { at, version: version.version, what: 'held', why: heldWhy(state.hold) });
    else if (best === undefined) best = version.version;
    else record(state, { at, version: version.version, what: 'skipped', why: `superseded by v${best}` });
  }
  if (best !== undefined && state.lastChange?.version !== best) {
    state.lastChange = { version: best, atMs: nowMs };
    record(state, { at, version: best, what: 'seen', why: 'READY, the newest eligible' });
  }
  return best;
}

/** Decides after a poll: updates `state` (events, marks) and says which version to start, if any. */
export function decide(
  state: WatcherState,
  observation: Observation,
  settings: WatchSettings,
  nowMs: number,
): Decision {
  const at = new Date(nowMs).toISOString();
  if (state.baseline === undefined) {
    state.baseline = observation.newest;
    state.aliasVersion = observation.alias === undefined ? undefined : (observation.alias?.version ?? null);
    const what =
      settings.on === 'alias'
        ? `${settings.alias} at ${state.aliasVersion ? `v${state.aliasVersion}` : 'nothing'}`
        : `v${observation.newest}`;
    record(state, { at, what: 'baseline', why: `watching from ${what}: what exists now is not new` });
    return {};
  }
  const candidate =
    settings.on === 'alias'
      ? aliasCandidate(state, observation, settings, nowMs)
      : readyCandidate(state, observation, settings, nowMs);
  if (candidate === undefined) return {};
  const version = candidate;
  if (state.paused) {
    record(state, {
      at,
      version,
      what: 'paused',
      why: `watcher paused by ${state.paused.by}${state.paused.reason ? `: ${state.paused.reason}` : ''}`,
    });
    return {};
  }
  if (state.hold && version > state.hold.version) {
    record(state, { at, version, what: 'held', why: heldWhy(state.hold) });
    return {};
  }
  const quietUntil = (state.lastChange?.atMs ?? nowMs) + settings.quiet_period;
  const spacedUntil = state.lastStartMs === undefined ? 0 : state.lastStartMs + settings.min_time_between_rollouts;
  const wakeAtMs = Math.max(quietUntil, spacedUntil);
  if (wakeAtMs > nowMs) {
    const why =
      quietUntil >= spacedUntil
        ? `quiet period: starts at ${new Date(quietUntil).toISOString()} if nothing newer arrives`
        : `minimum time between rollouts: not before ${new Date(spacedUntil).toISOString()}`;
    record(state, { at, version, what: 'waiting', why });
    return { wakeAtMs };
  }
  return { start: version };
}
