/**
 * What the watcher accepts: pause and resume, hold on a version and release (updates: the answer says what changed;
 * `temporal workflow update execute --name hold --input '{"version":5,"by":"ana","reason":"..."}'` works too), and
 * the `watcherStatus` query. Each is recorded with who and why in the state's events.
 * May change: `state.paused`, `state.hold`, `state.events`, `wake`.
 */
import * as wf from '@temporalio/workflow';
import {
  holdUpdate,
  releaseUpdate,
  watcherPauseUpdate,
  watcherResumeUpdate,
  watcherStatusQuery,
} from '../../shared/messages';
import type { OperatorRequest } from '../../shared/types';
import type { HoldRequest, WatcherStatus } from '../../shared/watch';
import type { WatcherContext } from './context';
import { record } from './decide';
import { stateWord } from './details';

function requireIdentity(request: { by?: string } | undefined): void {
  if (!request?.by?.trim()) throw new Error('an identity is required in "by" (--as, GITHUB_ACTOR or the OS user)');
}

export function registerMessages(ctx: WatcherContext, onChange: () => void): void {
  const { state } = ctx;
  const at = () => new Date().toISOString();
  const mark = (r: OperatorRequest) => ({ by: r.by, ...(r.reason ? { reason: r.reason } : {}), at: at() });
  const changed = (event: Parameters<typeof record>[1], answer: string) => {
    record(state, event);
    ctx.wake.now = true;
    onChange();
    return answer;
  };
  wf.setHandler(
    watcherPauseUpdate,
    (r) => {
      state.paused = mark(r);
      return changed({ at: at(), what: 'pause', why: `by ${r.by}: ${r.reason ?? ''}` }, `paused by ${r.by}`);
    },
    { validator: requireIdentity, description: 'Start no rollout until resumed (it keeps watching)' },
  );
  wf.setHandler(
    watcherResumeUpdate,
    (r) => {
      state.paused = undefined;
      return changed({ at: at(), what: 'resume', why: `by ${r.by}: ${r.reason ?? ''}` }, `resumed by ${r.by}`);
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        if (!state.paused) throw new Error('the watcher is not paused');
      },
      description: 'Resume a paused watcher',
    },
  );
  wf.setHandler(
    holdUpdate,
    (r) => {
      state.hold = { version: r.version, by: r.by, reason: r.reason, at: at() };
      const why = `by ${r.by}: ${r.reason}`;
      return changed({ at: at(), version: r.version, what: 'hold', why }, `held at v${r.version} by ${r.by}`);
    },
    {
      validator: (r: HoldRequest) => {
        requireIdentity(r);
        if (!Number.isSafeInteger(r.version) || r.version < 1)
          throw new Error(`"version" must be a positive whole number, got ${JSON.stringify(r.version)}`);
        if (!r.reason?.trim()) throw new Error('a hold needs a "reason": it is recorded for whoever releases it');
      },
      description: 'Roll out nothing newer than this version until released (recorded with who and why)',
    },
  );
  wf.setHandler(
    releaseUpdate,
    (r) => {
      const held = state.hold?.version;
      state.hold = undefined;
      return changed(
        { at: at(), version: held, what: 'release', why: `by ${r.by}: ${r.reason ?? ''}` },
        `released v${held} by ${r.by}`,
      );
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        if (!state.hold) throw new Error('the watcher holds no version');
      },
      description: 'Release the hold',
    },
  );
  wf.setHandler(watcherStatusQuery, (): WatcherStatus => statusOf(ctx), {
    description: 'What the watcher saw and started, when, and why not (newest 50)',
  });
}

export function statusOf({ input, settings, state }: WatcherContext): WatcherStatus {
  return {
    model: input.plan.model,
    planName: input.planName,
    planHash: input.planHash,
    on: settings.on,
    ...(settings.alias ? { alias: settings.alias } : {}),
    state: stateWord(state),
    ...(state.paused ? { paused: state.paused } : {}),
    ...(state.hold ? { hold: state.hold } : {}),
    started: state.started.slice(-20),
    events: [...state.events].reverse(),
    polls: state.polls,
  };
}
