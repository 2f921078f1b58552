/** The approval gate (src/workflows/region/approval.ts) on its own: approve, reject, time out, refuse and record. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveUpdate, regionCommandSignal, regionStatusQuery, rejectUpdate } from '../../../src/shared/messages';
import { until } from '../../support/temporal';
import { regionInput, stepPlan, useStepRig } from '../steps/harness';
import type { RegionStepOutcome } from '../steps/step-workflows';

const rigOf = useStepRig();

const awaitingApproval = (id: string) =>
  until('the gate awaits approval', async () => {
    const status = await rigOf().client.workflow.getHandle(id).query(regionStatusQuery);
    return status.phase === 'awaiting-approval' ? status : undefined;
  });

it('waits for a person and records who approved, and why', async () => {
  let answer: unknown;
  const outcome = await rigOf().run<RegionStepOutcome>(
    'approvalGateStep',
    { region: regionInput(stepPlan()), stage: 'half' },
    async (id) => {
      await awaitingApproval(id);
      answer = await rigOf()
        .client.workflow.getHandle(id)
        .executeUpdate(approveUpdate, { args: [{ approver: 'alice', reason: 'p99 is flat' }] });
    },
  );
  expect(answer).toEqual({ decision: 'approved', regions: [{ region: 'eu-west-1', stage: 'half' }] });
  expect(outcome.failure).toBeUndefined();
  expect(outcome.status.approvals).toEqual([
    { stage: 'half', decision: 'approved', by: 'alice', reason: 'p99 is flat', at: expect.any(String) },
  ]);
  expect(rigOf().calls).toEqual([]);
});

it('fails the region with Rejected when a person rejects the stage', async () => {
  const outcome = await rigOf().run<RegionStepOutcome>(
    'approvalGateStep',
    { region: regionInput(stepPlan()), stage: 'half' },
    async (id) => {
      await awaitingApproval(id);
      await rigOf()
        .client.workflow.getHandle(id)
        .executeUpdate(rejectUpdate, { args: [{ approver: 'carol', reason: 'latency up' }] });
    },
  );
  expect(outcome.failure).toEqual({ message: 'stage half rejected by carol: latency up', type: 'Rejected' });
  expect(outcome.status.approvals.map((a) => [a.decision, a.by])).toEqual([['rejected', 'carol']]);
});

it('fails with ApprovalTimeout, recorded, when nobody answers within the plan timeout', async () => {
  const plan = stepPlan({ timeouts: { replication: '10s', config_update: '10s', approval: '500ms' } });
  const outcome = await rigOf().run<RegionStepOutcome>('approvalGateStep', { region: regionInput(plan) });
  expect(outcome.failure).toEqual({
    message: 'no approval for stage half within the approval timeout',
    type: 'ApprovalTimeout',
  });
  expect(outcome.status.approvals.map((a) => [a.decision, a.by])).toEqual([['timed-out', 'timeout']]);
});

it('refuses and records an approver the allow-list does not name, then takes one it does', async () => {
  const plan = stepPlan({ approvals: { allowed: ['alice'] } });
  let refusal: unknown;
  const outcome = await rigOf().run<RegionStepOutcome>(
    'approvalGateStep',
    { region: regionInput(plan) },
    async (id) => {
      await awaitingApproval(id);
      const handle = rigOf().client.workflow.getHandle(id);
      refusal = await handle
        .executeUpdate(approveUpdate, { args: [{ approver: 'mallory', reason: 'ship it' }] })
        .catch((err: unknown) => err);
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice' }] });
    },
  );
  expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(refusal).toMatchObject({
    cause: { type: 'ApprovalRefused', message: expect.stringMatching(/^mallory may not/) },
  });
  expect(outcome.status.refusedApprovals).toEqual([
    expect.objectContaining({ by: 'mallory', reason: 'ship it', region: 'eu-west-1', stage: 'half' }),
  ]);
  expect(outcome.status.approvals.map((a) => a.by)).toEqual(['alice']);
});

it('answers a relayed decision only while it awaits one, and validates updates before it does', async () => {
  const outcome = await rigOf().run<RegionStepOutcome>(
    'approvalGateStep',
    { region: regionInput(stepPlan()) },
    async (id) => {
      const handle = rigOf().client.workflow.getHandle(id);
      await awaitingApproval(id);
      await expect(
        handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', region: 'us-east-1' }] }),
      ).rejects.toMatchObject({ cause: { message: 'this is the eu-west-1 rollout, not us-east-1' } });
      await expect(handle.executeUpdate(approveUpdate, { args: [{ approver: ' ' }] })).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/approver identity is required/) },
      });
      await handle.signal(regionCommandSignal, { type: 'approve', request: { approver: 'parent-relay' } });
    },
  );
  expect(outcome.status.approvals.map((a) => a.by)).toEqual(['parent-relay']);
});
