/**
 * What the Temporal UI shows of a watcher: the `WatcherState` search attribute (watching, paused, held at vN) and
 * Current Details (the last rollouts started and the newest events). Changes nothing but what it shows.
 */
import * as wf from '@temporalio/workflow';
import { WatcherStateAttribute } from '../../shared/messages';
import type { WatcherState } from '../../shared/watch';
import type { WatcherContext } from './context';

export function stateWord(state: WatcherState): string {
  if (state.paused) return 'paused';
  if (state.hold) return `held at v${state.hold.version}`;
  return 'watching';
}

/** Upserts the search attribute when the word changed (an upsert is a history event) and redraws the details. */
export function createPublisher(ctx: WatcherContext): () => void {
  let shown: string | undefined;
  return () => {
    const { state, settings, input } = ctx;
    const word = stateWord(state);
    if (word !== shown) {
      wf.upsertSearchAttributes([{ key: WatcherStateAttribute, value: word }]);
      shown = word;
    }
    const following = settings.on === 'alias' ? `alias **${settings.alias}**` : 'new READY versions';
    wf.setCurrentDetails(
      [
        `**${input.plan.model}** · ${following} · ${word}${state.hold ? ` (by ${state.hold.by}: ${state.hold.reason ?? ''})` : ''}`,
        `started: ${
          state.started
            .slice(-5)
            .map((s) => `v${s.version}`)
            .join(', ') || 'none yet'
        }`,
        '| at | version | what | why |',
        '|---|---|---|---|',
        ...[...state.events]
          .reverse()
          .slice(0, 10)
          .map((e) => `| ${e.at} | ${e.version ? `v${e.version}` : ''} | ${e.what} | ${e.why.replace(/\|/g, '/')} |`),
      ].join('\n'),
    );
  };
}
