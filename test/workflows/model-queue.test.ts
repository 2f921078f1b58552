/**
 * Rollouts of one model started at the same moment (issue 11, item 1). Before the model queue each listed the other
 * as running (a visibility query) and waited for it, or superseded it, or was refused by it: both sat in
 * waiting-for-other-rollout, or both stopped. Now their arrivals in the model's queue workflow are ordered by
 * Temporal's history, and under every policy exactly one proceeds first.
 *
 * The 50-round races use a model of their own per round (its own queue), on an endpoint that does not exist: each
 * rollout that gets its turn fails pre-flight at once, touching nothing, which makes a round cheap and shows exactly
 * who was let through and when. The last tests roll out for real, on the emulator's endpoints.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startRollout, rolloutReport } from '../../src/rollouts';
import { leaveQueueSignal, modelQueueQuery, modelQueueWorkflowId, rolloutStatusQuery } from '../../src/shared/messages';
import type { Plan } from '../../src/plan/schema';
import type { RolloutReport } from '../../src/shared/types';
import { Rig, until, useRig } from '../support/temporal';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

type OnConcurrentRollout = Plan['on_concurrent_rollout'];

const ROUNDS = 50;
/** Rounds in flight at once: each is two rollouts and a queue on a 2-core machine. */
const AT_ONCE = 10;

interface RoundResult {
  older: RolloutReport;
  newer: RolloutReport;
  /** When each rollout's first pre-flight check of an endpoint was scheduled, if it was (ms since epoch). */
  checkedAt: { older?: number; newer?: number };
  /**
   * When each rollout told the queue it was done with the model's endpoints (its leave signal; its close if it sent
   * none). Its close comes a little later: under load a next rollout may check its endpoint in between, rightly.
   */
  closedAt: { older: number; newer: number };
}

/** Two versions of a model of its own, started together: the older (v1) and the newer (v2). */
async function startPairTogether(policy: OnConcurrentRollout, round: number): Promise<RoundResult> {
  const model = `main.race.${policy}_${round}`;
  const plan = rig.plan({
    model,
    regions: rig
      .plan()
      .regions.slice(0, 1)
      .map((r) => ({ ...r, endpoint: `no-such-endpoint-${round}` })),
    on_concurrent_rollout: policy,
  });
  const start = (version: number) => startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'race' });
  const [older, newer] = await Promise.all([start(1), start(2)]);
  const [olderReport, newerReport] = await Promise.all([rolloutReport(older.handle), rolloutReport(newer.handle)]);
  const [olderTimes, newerTimes] = await Promise.all([timesOf(older.handle), timesOf(newer.handle)]);
  return {
    older: olderReport,
    newer: newerReport,
    checkedAt: { older: olderTimes.checkedAt, newer: newerTimes.checkedAt },
    closedAt: { older: olderTimes.closedAt, newer: newerTimes.closedAt },
  };
}

async function timesOf(handle: WorkflowHandle): Promise<{ checkedAt?: number; closedAt: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
  const check = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkEndpoint');
  const left = events.find(
    (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === leaveQueueSignal.name,
  );
  return { checkedAt: check ? ms(check) : undefined, closedAt: ms(left ?? events[events.length - 1]) };
}

async function raceRounds(policy: OnConcurrentRollout): Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  for (let first = 0; first < ROUNDS; first += AT_ONCE)
    results.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(AT_ONCE, ROUNDS - first) }, (_, i) => startPairTogether(policy, first + i)),
      )),
    );
  return results;
}

const NOT_FOUND = /pre-flight failed, nothing was touched: .*no-such-endpoint/;

it(`queue: of ${ROUNDS} pairs started together, every pair runs both, one strictly after the other`, async () => {
  const rounds = await raceRounds('queue');
  for (const { older, newer, checkedAt, closedAt } of rounds) {
    // Both got their turn (neither waited forever), and each reached its endpoint check.
    expect([older.outcome, newer.outcome]).toEqual(['failed', 'failed']);
    expect(older.error).toMatch(NOT_FOUND);
    expect(newer.error).toMatch(NOT_FOUND);
    // One first: the second checked nothing before the first had closed.
    const [firstClosed, secondChecked] =
      checkedAt.older! <= checkedAt.newer! ? [closedAt.older, checkedAt.newer!] : [closedAt.newer, checkedAt.older!];
    expect(secondChecked).toBeGreaterThanOrEqual(firstClosed);
  }
  // Both orders happen: the order is the queue's arrival order, not the version.
  const olderFirst = rounds.filter((r) => r.checkedAt.older! < r.checkedAt.newer!).length;
  console.info(`queue: the older version went first in ${olderFirst} of ${ROUNDS} rounds`);
}, 600_000);

it(`refuse: of ${ROUNDS} pairs started together, exactly one is refused and the other proceeds`, async () => {
  for (const { older, newer } of await raceRounds('refuse')) {
    const outcomes = [older.outcome, newer.outcome].sort();
    expect(outcomes).toEqual(['failed', 'refused']);
    const refused = older.outcome === 'refused' ? older : newer;
    const proceeded = refused === older ? newer : older;
    expect(refused.error).toMatch(/refused: another rollout of main\.race\.refuse_\d+ is running/);
    expect(refused.regions[0].phase).toBe('skipped');
    expect(proceeded.error).toMatch(NOT_FOUND);
  }
}, 600_000);

it(`supersede: of ${ROUNDS} pairs started together, only the older version is superseded, every time`, async () => {
  for (const { older, newer, checkedAt } of await raceRounds('supersede')) {
    expect(older.outcome).toBe('superseded');
    expect(older.error).toMatch(/^superseded by rollout-main\.race\.supersede_\d+-v2/);
    expect(newer.outcome).toBe('failed');
    expect(newer.error).toMatch(NOT_FOUND);
    // The newer one proceeds only once the older has stopped: the older may have checked, never after.
    if (checkedAt.older !== undefined) expect(checkedAt.older).toBeLessThan(checkedAt.newer!);
  }
}, 600_000);

it('two versions started together under queue both roll out for real, one after the other', async () => {
  const [v1, v2] = [await rig.register('candidate-good'), await rig.register('candidate-good')];
  const plan = rig.plan({ regions: rig.plan().regions.slice(0, 1), on_concurrent_rollout: 'queue' });
  const start = (version: number) => startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'ci' });
  const [a, b] = await Promise.all([start(v1), start(v2)]);
  const queue = rig.client.workflow.getHandle(modelQueueWorkflowId(plan.model));
  const inQueue = await until('both rollouts in the model queue', async () => {
    const held = await queue.query(modelQueueQuery).catch(() => undefined);
    // Told in arrival order: the first to proceed, the second to wait.
    return held?.rollouts.length === 2 && held.rollouts.every((r) => r.told) ? held : undefined;
  });
  expect(inQueue.rollouts.map((r) => r.told)).toEqual(['proceed', 'wait']);
  const waiting = inQueue.rollouts[1].rolloutId === a.workflowId ? a : b;
  expect((await waiting.handle.query(rolloutStatusQuery)).phase).toBe('waiting-for-other-rollout');
  const [ra, rb] = await Promise.all([rolloutReport(a.handle), rolloutReport(b.handle)]);
  expect([ra.outcome, rb.outcome]).toEqual(['succeeded', 'succeeded']);
  // The queue ends with its last rollout.
  await until(
    'the model queue to end',
    async () => ((await queue.describe()).status.name === 'COMPLETED' ? true : undefined),
    60_000,
  );
  // Whichever went last is what serves now.
  const last = inQueue.rollouts[1].rolloutId === a.workflowId ? v1 : v2;
  expect(Object.values(await rig.serving())[0]).toEqual([expect.stringMatching(new RegExp(`@${last}:100$`))]);
}, 120_000);
