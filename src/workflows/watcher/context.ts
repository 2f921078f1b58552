/**
 * The watcher's input and the context its steps share. The state is everything it knows; continue-as-new carries it
 * whole, so a new run starts where the last one stopped (what it saw, started, the pause and the hold).
 */
import type { Plan, WatchSettings } from '../../plan/schema';
import type { EdgeCase } from '../../plan/edge-cases';
import type { WatcherState } from '../../shared/watch';
import type { Notifier } from '../notifications';

export interface WatcherInput {
  /** The plan the rollouts are started with; its `watch` says what to follow. */
  plan: Plan;
  edgeCases: EdgeCase[];
  /** With the model, the watcher's id (`rollout-watch/<model>/<planName>`). */
  planName: string;
  /** SHA-256 of the plan and edge cases as started: `rollout watch` warns when a running watcher has another. */
  planHash: string;
  /** Who started the watcher; rollouts it starts say "<who> (<watcher id>)". */
  triggeredBy: string;
  /** Carried by continue-as-new. */
  state?: WatcherState;
  /** Polls per run before continue-as-new (tests make it small). */
  pollsPerRun?: number;
}

export interface WatcherContext {
  input: WatcherInput;
  settings: WatchSettings;
  state: WatcherState;
  /** Set by a message that may change the decision (resume, release): the watcher polls again at once. */
  wake: { now: boolean };
  /** The plan's notification channels: told of each rollout started (`watcher-started`), never awaited. */
  notifier?: Notifier;
}

/** A plan without `watch` is refused by `rollout watch`; a watcher of one follows new READY versions by default. */
export const DEFAULT_WATCH: WatchSettings = {
  on: 'version-ready',
  min_time_between_rollouts: 0,
  quiet_period: 0,
  poll: 30_000,
};
