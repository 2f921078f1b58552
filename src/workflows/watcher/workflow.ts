/**
 * The watcher (`rollout watch --plan <file>`): one per plan, id `rollout-watch/<model>/<plan name>`. It follows the
 * primary's Unity Catalog (a new READY version, or an alias moving, as the plan's `watch` says), and starts the
 * rollout of the version `decide` picks: after the quiet period, not sooner than the minimum time since the last,
 * never while paused, never newer than a hold, never a version tagged rolled back, never one started before. The
 * plan's `on_concurrent_rollout` governs a rollout already running (the rollout's pre-flight and model queue).
 * Durable timers only; it continues as new after `pollsPerRun` polls or when Temporal suggests it, carrying its state.
 */
import * as wf from '@temporalio/workflow';
import { DEFAULT_WATCH, type WatcherContext, type WatcherInput } from './context';
import { Notifier } from '../notifications';
import { decide, initialWatcherState, record } from './decide';
import { createPublisher } from './details';
import { registerMessages } from './messages';
import { nextDelayMs, observe } from './poll';
import { startVersion } from './start';

const POLLS_PER_RUN = 500;

export async function rolloutWatcherWorkflow(input: WatcherInput): Promise<void> {
  const state = input.state ?? initialWatcherState();
  const ctx: WatcherContext = {
    input,
    settings: input.plan.watch ?? DEFAULT_WATCH,
    state,
    wake: { now: false },
    notifier: new Notifier(input.plan.notifications ?? [], (r) => {
      if (r.result === 'failed') record(state, { at: r.at, what: 'notify-failed', why: `${r.channel}: ${r.error}` });
    }),
  };
  const publish = createPublisher(ctx);
  registerMessages(ctx, publish);
  publish();
  for (let polls = 0; polls < (input.pollsPerRun ?? POLLS_PER_RUN); polls++) {
    if (wf.workflowInfo().continueAsNewSuggested) break;
    ctx.wake.now = false;
    const observation = await observe(ctx);
    const decision = observation ? decide(ctx.state, observation, ctx.settings, new Date().getTime()) : {};
    if (decision.start !== undefined) await startVersion(ctx, decision.start);
    publish();
    await wf.condition(() => ctx.wake.now, nextDelayMs(ctx, decision.wakeAtMs, new Date().getTime()));
  }
  await ctx.notifier?.settle();
  await wf.condition(wf.allHandlersFinished);
  await wf.continueAsNew<typeof rolloutWatcherWorkflow>({ ...input, state: ctx.state });
}
