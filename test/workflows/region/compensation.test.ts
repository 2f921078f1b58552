/**
 * Compensation (src/workflows/region/compensation.ts) on its own: restore the rollback point exactly, retry, hand a
 * failed restore to an operator and never drop it, and hold a restore that would overwrite someone else's change.
 */
import { ApplicationFailure } from '@temporalio/common';
import { regionCommandSignal, regionStatusQuery } from '../../../src/shared/messages';
import { stageConfig } from '../../../src/shared/endpoint-config';
import { until } from '../../support/temporal';
import { regionInput, rollbackPoint, stepPlan, useStepRig } from '../steps/harness';
import type { RegionStepOutcome } from '../steps/step-workflows';
import { keepExpectedLogs, type ExpectedLogs } from '../../support/logs';

const rigOf = useStepRig();
const point = rollbackPoint();
const newVersion = {
  name: 'fraud_detector-2',
  entity_name: 'main.ml.fraud_detector',
  entity_version: '2',
  workload_size: 'Small',
  scale_to_zero_enabled: false,
};
/** A region that shifted the new version to 10%, then was asked for 50% when it failed. */
const touched = {
  rollbackPoint: point,
  lastApplied: stageConfig(point, newVersion, 10),
  attempted: stageConfig(point, newVersion, 50),
};

const inRollbackFailed = (id: string) =>
  until('the region waits in rollback-failed', async () => {
    const status = await rigOf().client.workflow.getHandle(id).query(regionStatusQuery);
    return status.phase === 'rollback-failed' ? status : undefined;
  });

// A rollback that cannot complete is logged at ERROR by the region: the tests that cause one assert the log.
let rollbackErrors: ExpectedLogs;
beforeEach(() => {
  rollbackErrors = keepExpectedLogs('ERROR', 'rollback failed');
});
afterEach(() => rollbackErrors.restore());

it('restores the recorded config, checking the endpoint still serves what the rollout set or was setting', async () => {
  rigOf().fakes.applyEndpointConfig = async () => ({ configVersion: 7 });
  const outcome = await rigOf().run<RegionStepOutcome>('rollBackStep', {
    region: regionInput(stepPlan()),
    endpoint: touched,
  });
  expect(outcome.failure).toEqual({
    message: 'eu-west-1 rolled back: health failed: 2 of 3 queries',
    type: 'RegionRolledBack',
  });
  const [restore] = rigOf().calls;
  expect(restore.input).toMatchObject({
    desired: point,
    expected: [touched.lastApplied, touched.attempted],
    purpose: 'roll back to the recorded config',
  });
  expect(outcome.status.phase).toBe('rolled-back');
  expect(outcome.status.challengerWeight).toBe(0);
  expect(outcome.endpoint.lastApplied).toEqual(point);
  expect(outcome.status.timeline.map((t) => t.phase)).toEqual(['rolling-back', 'rolled-back']);
});

it('retries a failed restore, then waits in rollback-failed until an operator retries, and finishes it', async () => {
  let failing = true;
  rigOf().fakes.applyEndpointConfig = async () => {
    if (failing) throw ApplicationFailure.nonRetryable('the update failed (UPDATE_FAILED)', 'ConfigUpdateFailed');
    return { configVersion: 8 };
  };
  const outcome = await rigOf().run<RegionStepOutcome>(
    'rollBackStep',
    { region: regionInput(stepPlan()), endpoint: touched },
    async (id) => {
      const waiting = await inRollbackFailed(id);
      expect(waiting.error).toBe(
        'rollback failed: the update failed (UPDATE_FAILED); waiting for an operator (retryRollback)',
      );
      // Three attempts before it hands over; nothing more until an operator says so.
      expect(rigOf().calls).toHaveLength(3);
      failing = false;
      await rigOf()
        .client.workflow.getHandle(id)
        .signal(regionCommandSignal, { type: 'retry-rollback', request: { by: 'oncall' } });
    },
  );
  expect(outcome.status.phase).toBe('rolled-back');
  expect(outcome.status.error).toBe('health failed: 2 of 3 queries');
  expect(rigOf().calls).toHaveLength(4);
  expect(rollbackErrors.kept).toEqual(['rollback failed; waiting for an operator']);
}, 30_000);

it('holds a restore that would overwrite a change someone else made, until an operator says to overwrite it', async () => {
  let calls = 0;
  rigOf().fakes.applyEndpointConfig = async () => {
    if (++calls === 1)
      throw ApplicationFailure.nonRetryable(
        'the endpoint serves fraud_detector-9 (v9) 100%',
        'EndpointChangedExternally',
      );
    return { configVersion: 9 };
  };
  const outcome = await rigOf().run<RegionStepOutcome>(
    'rollBackStep',
    { region: regionInput(stepPlan()), endpoint: touched },
    async (id) => {
      const held = await inRollbackFailed(id);
      expect(held.error).toMatch(/^rollback held: the endpoint serves fraud_detector-9/);
      await rigOf()
        .client.workflow.getHandle(id)
        .signal(regionCommandSignal, { type: 'retry-rollback', request: { by: 'oncall' } });
    },
  );
  // Not retried on its own (it is not a transient failure); the operator's retry drops the check.
  expect(rigOf().calls.map((c) => c.input.expected)).toEqual([[touched.lastApplied, touched.attempted], undefined]);
  expect(outcome.status.phase).toBe('rolled-back');
});

it('ends untouched, restoring nothing, when it fails before the first change', async () => {
  const outcome = await rigOf().run<RegionStepOutcome>('endUntouchedStep', { region: regionInput(stepPlan()) });
  expect(outcome.failure).toEqual({ message: 'eu-west-1: replication timed out', type: 'RegionUntouched' });
  expect(outcome.status.phase).toBe('failed');
  expect(rigOf().calls).toEqual([]);
});
