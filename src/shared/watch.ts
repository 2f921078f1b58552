/**
 * The watcher's state and what it answers (`rollout watch`, src/workflows/watcher/): plain data shared by the
 * workflow, its activities and the CLI. Carried across continue-as-new whole.
 */

/** Who did something to the watcher, when and why (pause, hold). */
export interface OperatorMark {
  by: string;
  reason?: string;
  /** ISO time, workflow time. */
  at: string;
}

/** A hold: nothing newer than `version` is rolled out until it is released. */
export interface Hold extends OperatorMark {
  version: number;
}

export interface HoldRequest {
  version: number;
  by: string;
  reason: string;
}

/** One line of "what did you see and start, when, and why not". */
export interface WatchEvent {
  /** ISO time, workflow time. */
  at: string;
  version?: number;
  what:
    | 'baseline'
    | 'seen'
    | 'skipped'
    | 'waiting'
    | 'held'
    | 'paused'
    | 'started'
    | 'attached'
    | 'poll-failed'
    | 'start-failed'
    | 'pause'
    | 'resume'
    | 'hold'
    | 'release'
    /** A notification of a start (the plan's `notifications`) could not be delivered. */
    | 'notify-failed';
  why: string;
}

export interface StartedVersion {
  version: number;
  rolloutId: string;
  at: string;
  /** False when the rollout existed already (started by someone else, or by this watcher before a crash). */
  started: boolean;
}

export interface WatcherState {
  /** Versions up to this one existed when the watcher began: they are not new. Unset before the first poll. */
  baseline?: number;
  /** on: alias — the version the alias pointed to at the last poll (null: the alias did not exist). */
  aliasVersion?: number | null;
  /** The last change seen (a newer eligible version, or the alias moving): the quiet period runs from it. */
  lastChange?: { version: number; atMs: number };
  /** Workflow time of the last rollout this watcher started (min_time_between_rollouts runs from it). */
  lastStartMs?: number;
  /** The newest version started (or found started); on: version-ready only newer ones are candidates. */
  highestStarted: number;
  /** The last 100 versions started, newest last: never started twice (the rollout id dedupes beyond them). */
  started: StartedVersion[];
  paused?: OperatorMark;
  hold?: Hold;
  /** Newest last, at most MAX_WATCH_EVENTS. */
  events: WatchEvent[];
  polls: number;
  /** Consecutive failed polls: the next poll backs off. */
  failures: number;
}

export const MAX_WATCH_EVENTS = 50;
export const MAX_STARTED_KEPT = 100;

/** What the watcher's `watcherStatus` query answers. */
export interface WatcherStatus {
  model: string;
  planName: string;
  planHash: string;
  on: 'version-ready' | 'alias';
  alias?: string;
  /** watching | paused | held at vN */
  state: string;
  paused?: OperatorMark;
  hold?: Hold;
  started: StartedVersion[];
  /** Newest first, at most 50. */
  events: WatchEvent[];
  polls: number;
}

/** A version as the watcher's poll saw it in the primary. */
export interface ObservedVersion {
  version: number;
  status: string;
  /** Its Unity Catalog tags (read only for READY versions that could be picked). */
  tags?: Record<string, string>;
}

export interface Observation {
  /** on: version-ready — the versions newer than the watcher's mark, newest first (at most 20). */
  versions: ObservedVersion[];
  /** The newest version number of the model (any status): the baseline at the first poll. */
  newest: number;
  /** on: alias — the version it points to, or null when the alias is not set. */
  alias?: ObservedVersion | null;
}
