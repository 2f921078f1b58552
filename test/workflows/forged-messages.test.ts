/**
 * Messages sent by someone other than our workflows (issue 11, items 3 and 4), the way anyone allowed to signal in
 * the namespace can send them (`temporal workflow signal ...`): a region command approving as "mallory" past the
 * plan's allow-list, a lease release for a lease someone else holds, a region status with a huge revision, a
 * supersede. Before, each took effect. Now each rollout holds a random message key (made by an activity, kept in
 * its history and its children's input, never in a query's answer); a message without it is refused and recorded,
 * and the rollout goes on as if it had not been sent.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  approveUpdate,
  endpointLeaseQuery,
  endpointLeaseWorkflowId,
  regionCommandSignal,
  regionStatusQuery,
  regionStatusSignal,
  regionWorkflowId,
  releaseLeaseSignal,
  rolloutStatusQuery,
  skipBakeUpdate,
  supersedeSignal,
} from '../../src/shared/messages';
import type { RegionStatus, RolloutStatus } from '../../src/shared/types';
import { checkedRollouts } from '../support/invariant';
import { ENDPOINT, Rig, until, useRig } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

const REGION = 'eu-west-1';

async function startOneRegion(stage: Record<string, unknown>, allowed?: string[]) {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.filter((r) => r.name === REGION || r.name === rig.plan().primary),
    waves: [{ name: 'all', regions: [rig.plan().primary, REGION] }],
    stages: [{ name: 'canary', traffic: 20, bake: '0ms', ...stage }],
    timeouts: { replication: '10s', config_update: '10s', approval: '2m' },
    ...(allowed ? { approvals: { allowed } } : {}),
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const region = rig.client.workflow.getHandle(regionWorkflowId(handle.workflowId, REGION));
  return { handle, region, version };
}

function regionIn(handle: { query: (q: typeof rolloutStatusQuery) => Promise<RolloutStatus> }, phase: string) {
  return until(`${REGION} ${phase}`, async () => {
    const status = await handle.query(rolloutStatusQuery);
    const region = status.regions.find((r) => r.region === REGION)!;
    return region.phase === phase ? status : undefined;
  });
}

it('a region command forged as mallory, keyless or with a guessed key, approves nothing and is recorded', async () => {
  const { handle, region, version } = await startOneRegion({ approval: true }, ['alice']);
  await regionIn(handle, 'awaiting-approval');
  const forged = { type: 'approve', request: { approver: 'mallory', reason: 'trust me' } } as const;
  await region.signal(regionCommandSignal, forged);
  await region.signal(regionCommandSignal, forged, 'a-guessed-key');
  const refused = await until('both forgeries recorded', async () => {
    const status = await region.query(regionStatusQuery);
    return status.refusedMessages?.count === 2 ? status : undefined;
  });
  expect(refused.phase).toBe('awaiting-approval');
  expect(refused.approvals).toEqual([]);
  expect(refused.refusedMessages!.newest.map((m) => m.message)).toEqual(['regionCommand', 'regionCommand']);
  // Mallory through the region's own update: refused by the allow-list, and recorded.
  await expect(region.executeUpdate(approveUpdate, { args: [{ approver: 'mallory' }] })).rejects.toThrow(
    WorkflowUpdateFailedError,
  );
  // Alice, through the parent: the only approval.
  await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', reason: 'reviewed' }] });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  const eu = report.regions.find((r) => r.region === REGION)!;
  expect(eu.approvals.map((a) => [a.decision, a.by])).toEqual([['approved', 'alice']]);
  expect(eu.refusedApprovals?.map((r) => r.by)).toEqual(['mallory']);
  expect(eu.refusedMessages?.count).toBe(2);
  expect((await rig.serving())[REGION]).toEqual([`fraud_detector-${version}@${version}:100`]);
  await invariantHolds();
});

it('a forged lease release leaves the lease with its holder, so no other rollout can interleave', async () => {
  const { handle } = await startOneRegion({ bake: '1h' });
  await regionIn(handle, 'baking');
  const lease = rig.client.workflow.getHandle(endpointLeaseWorkflowId(REGION, ENDPOINT));
  await lease.signal(releaseLeaseSignal);
  await lease.signal(releaseLeaseSignal, 'a-guessed-key');
  const held = await until('both releases refused', async () => {
    const answer = await lease.query(endpointLeaseQuery);
    return answer.refusedMessages?.count === 2 ? answer : undefined;
  });
  expect(held.holder).toBe(regionWorkflowId(handle.workflowId, REGION));
  expect((await lease.describe()).status.name).toBe('RUNNING');
  await handle.executeUpdate(skipBakeUpdate, { args: [{ by: 'test' }] });
  expect((await rolloutReport(handle)).outcome).toBe('succeeded');
  await invariantHolds();
});

it('a forged region status with a huge revision changes nothing the parent shows, and the real approval counts', async () => {
  const { handle, version } = await startOneRegion({ approval: true });
  const before = await regionIn(handle, 'awaiting-approval');
  const real = before.regions.find((r) => r.region === REGION)!;
  const lie: RegionStatus = { ...real, phase: 'promoted', challengerWeight: 100, revision: Number.MAX_SAFE_INTEGER };
  await handle.signal(regionStatusSignal, lie);
  await handle.signal(regionStatusSignal, lie, 'a-guessed-key');
  const after = await until('both forgeries recorded', async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.refusedMessages?.count === 2 ? status : undefined;
  });
  expect(after.regions.find((r) => r.region === REGION)!.phase).toBe('awaiting-approval');
  expect(after.refusedMessages!.newest.map((m) => m.message)).toEqual(['regionStatus', 'regionStatus']);
  const answer = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', region: REGION }] });
  expect(answer.regions).toEqual([{ region: REGION, stage: 'canary' }]);
  await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice' }] }).catch(() => undefined);
  expect((await rolloutReport(handle)).outcome).toBe('succeeded');
  expect((await rig.serving())[REGION]).toEqual([`fraud_detector-${version}@${version}:100`]);
});

it('a forged supersede does not stop a rollout ordered by its model queue', async () => {
  const { handle } = await startOneRegion({ bake: '1h' });
  await regionIn(handle, 'baking');
  await handle.signal(supersedeSignal, { by: 'mallory' });
  const status = await until('the supersede recorded', async () => {
    const s = await handle.query(rolloutStatusQuery);
    return s.refusedMessages?.count === 1 ? s : undefined;
  });
  expect(status.refusedMessages!.newest[0]).toMatchObject({ message: 'supersede' });
  expect(status.regions.find((r) => r.region === REGION)!.phase).toBe('baking');
  await handle.executeUpdate(skipBakeUpdate, { args: [{ by: 'test' }] });
  expect((await rolloutReport(handle)).outcome).toBe('succeeded');
  await invariantHolds();
});

it('compares approvers in their one spelling: " alice " approves as alice, a zero-width lookalike is refused', async () => {
  const { handle, region } = await startOneRegion({ approval: true }, ['alice']);
  await regionIn(handle, 'awaiting-approval');
  // Sent as `temporal workflow update execute` would, past the CLI's own checks.
  await expect(
    region.executeUpdate(approveUpdate, { args: [{ approver: 'al\u200bice', reason: 'lookalike' }] }),
  ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/no control, zero-width or format characters/) } });
  await expect(
    handle.executeUpdate(approveUpdate, { args: [{ approver: 'Alice', reason: 'another person', region: REGION }] }),
  ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/^Alice may not approve/) } });
  await handle.executeUpdate(approveUpdate, { args: [{ approver: ' alice ', reason: 'padded' }] });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  const eu = report.regions.find((r) => r.region === REGION)!;
  expect(eu.approvals.map((a) => a.by)).toEqual(['alice']);
  expect(eu.refusedApprovals?.map((r) => r.why)).toEqual([expect.stringMatching(/identity is refused/)]);
});
