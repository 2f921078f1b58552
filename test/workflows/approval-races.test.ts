/**
 * Two people deciding the same stage at the same moment (issue 11, item 2). Before, a rejecter could be told
 * "rejected eu-west-1" while the region was promoted on the other person's approval, and two approvers were both told
 * "approved". Now the region takes the first decision for a stage and refuses, and records, every later one; the
 * parent answers each person with what their decision did: it took effect, or it was "already decided by X"
 * (AlreadyDecided: the CLI exits 7).
 *
 * Each round is one rollout over ten regions, every one awaiting approval; each region gets its pair of decisions
 * at once, through the parent (as `rollout approve` and `rollout reject` send them).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { generateWorld } from '../../src/emulator/generate-world';
import { approveUpdate, rejectUpdate, rolloutStatusQuery } from '../../src/shared/messages';
import { abortUpdate } from '../../src/shared/messages';
import type { ApprovalAnswer, RolloutStatus } from '../../src/shared/types';
import { checkedRollouts } from '../support/invariant';
import { Rig, until, useRig } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

const REGIONS = 10;
// One more region, in a second wave, keeps each rollout open (awaiting its own approval) while the racing answers
// arrive, even when every race went to the rejection.
const rigOf = useRig(() =>
  generateWorld({ regions: REGIONS + 1, replicationDelay: '100ms', configUpdateDuration: '100ms' }),
);
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

type Decision = 'approve' | 'reject';
interface Sent {
  decision: Decision;
  by: string;
  answer?: ApprovalAnswer;
  refusal?: { message: string; type?: string };
}

async function rolloutAwaitingApprovalEverywhere() {
  const version = await rig.register('candidate-good');
  const names = rig.plan().regions.map((r) => r.name);
  const racing = names.slice(0, REGIONS);
  const plan = rig.plan({
    waves: [
      { name: 'racing', regions: racing },
      { name: 'last', regions: names.slice(REGIONS) },
    ],
    // After the raced stage, an approved region awaits approval of the next: the rollout stays open.
    stages: [
      { name: 'canary', traffic: 20, bake: '0ms', approval: true },
      { name: 'half', traffic: 50, bake: '0ms', approval: true },
    ],
    timeouts: { replication: '20s', config_update: '20s', approval: '5m' },
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  await until(
    'every racing region awaiting approval',
    async () => {
      const status = await handle.query(rolloutStatusQuery);
      return status.regions.slice(0, REGIONS).every((r) => r.phase === 'awaiting-approval') ? status : undefined;
    },
    60_000,
  );
  return { handle, version, regions: racing };
}

type Handle = Awaited<ReturnType<typeof rolloutAwaitingApprovalEverywhere>>['handle'];

/** The status once every racing region has moved on from the raced stage (to the next one, or restored). */
function settled(handle: Handle): Promise<RolloutStatus> {
  return until(
    'every racing region past the raced stage',
    async () => {
      const status = await handle.query(rolloutStatusQuery);
      const racing = status.regions.slice(0, REGIONS);
      return racing.every((r) => r.phase === 'rolled-back' || (r.phase === 'awaiting-approval' && r.stage === 'half'))
        ? status
        : undefined;
    },
    60_000,
  );
}

/** Ends the round as an operator would; every endpoint is back where it was. */
async function abortAndCheck(handle: Handle): Promise<void> {
  await handle.executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'end of round' }] });
  expect((await rolloutReport(handle)).outcome).toBe('aborted');
  await invariantHolds();
}

async function send(handle: Handle, decision: Decision, by: string, region: string): Promise<Sent> {
  const update = decision === 'approve' ? approveUpdate : rejectUpdate;
  try {
    const answer = await handle.executeUpdate(update, {
      args: [{ approver: by, reason: 'race', region, stage: 'canary' }],
    });
    return { decision, by, answer };
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const cause = err.cause as ApplicationFailure | undefined;
    return { decision, by, refusal: { message: cause?.message ?? err.message, type: cause?.type ?? undefined } };
  }
}

/** One decision took effect and one was answered "already decided", naming the first; the region did what won. */
function expectFirstDecisionWon(region: string, pair: Sent[], status: RolloutStatus): Sent {
  const tookEffect = pair.filter((s) => s.answer);
  const refused = pair.filter((s) => s.refusal);
  expect({ region, tookEffect: tookEffect.length, refused: refused.length }).toEqual({
    region,
    tookEffect: 1,
    refused: 1,
  });
  const [winner, loser] = [tookEffect[0], refused[0]];
  const past = winner.decision === 'approve' ? 'approved' : 'rejected';
  // The refusal comes from the region (it took the first) or, once the parent has heard, from the parent.
  expect(winner.answer).toEqual({ decision: past, regions: [{ region, stage: 'canary' }] });
  expect(loser.refusal).toEqual({
    type: 'AlreadyDecided',
    message: `${region}: stage canary was already ${past} by ${winner.by}`,
  });
  const outcome = status.regions.find((r) => r.region === region)!;
  // Approved: on to the next stage, awaiting its approval. Rejected: restored.
  expect([outcome.phase, outcome.stage]).toEqual(
    winner.decision === 'approve' ? ['awaiting-approval', 'half'] : ['rolled-back', 'canary'],
  );
  expect(outcome.approvals.map((a) => [a.stage, a.decision, a.by])).toEqual([['canary', past, winner.by]]);
  // Recorded where it was refused: in the region's status, or in the rollout's.
  const recorded = [
    ...(outcome.refusedApprovals ?? []),
    ...(status.refusedApprovals ?? []).filter((r) => r.region === region),
  ];
  expect(recorded.map((r) => [r.by, r.why])).toEqual([
    [loser.by, `${region}: stage canary was already ${past} by ${winner.by}`],
  ]);
  return winner;
}

it('of 50 approve/reject pairs sent at once, exactly one decision takes effect each time, and each person is told what theirs did', async () => {
  const winners: Record<Decision, number> = { approve: 0, reject: 0 };
  for (let round = 0; round < 50 / REGIONS; round++) {
    const { handle, regions } = await rolloutAwaitingApprovalEverywhere();
    // Alternate who sends first, so that neither is always ahead on the wire.
    const pairs = await Promise.all(
      regions.map((region, i) =>
        Promise.all(
          (i + round) % 2
            ? [send(handle, 'approve', 'alice', region), send(handle, 'reject', 'carol', region)]
            : [send(handle, 'reject', 'carol', region), send(handle, 'approve', 'alice', region)],
        ),
      ),
    );
    const status = await settled(handle);
    regions.forEach((region, i) => winners[expectFirstDecisionWon(region, pairs[i], status).decision]++);
    await abortAndCheck(handle);
  }
  console.info(`approve/reject races: approval first in ${winners.approve}, rejection first in ${winners.reject}`);
}, 600_000);

it('two approvers at once: the first is recorded and told "approved", the second is told who approved first', async () => {
  const { handle, regions } = await rolloutAwaitingApprovalEverywhere();
  const pairs = await Promise.all(
    regions.map((region) =>
      Promise.all([send(handle, 'approve', 'alice', region), send(handle, 'approve', 'bob', region)]),
    ),
  );
  const status = await settled(handle);
  regions.forEach((region, i) => expectFirstDecisionWon(region, pairs[i], status));
  await abortAndCheck(handle);
}, 300_000);
