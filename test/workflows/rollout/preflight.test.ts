/**
 * Pre-flight (src/workflows/rollout/preflight.ts) on its own: other rollouts of the model (refuse, queue,
 * supersede), the version and the endpoints, and nothing touched when something is wrong.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { RolloutStatus } from '../../../src/shared/types';
import type { PreflightStop } from '../../../src/workflows/rollout/preflight';
import { stepPlan, useStepRig } from '../steps/harness';

const rigOf = useStepRig();
type Outcome = { status: RolloutStatus; stop?: PreflightStop };
const rolloutInput = (plan = stepPlan()) => ({ plan, edgeCases: [], version: 2, triggeredBy: 'test' });

beforeEach(() => {
  rigOf().fakes.findConcurrentRollouts = async () => [];
  rigOf().fakes.resolveModelVersion = async () => ({ version: 2, status: 'READY' });
  rigOf().fakes.checkEndpoint = async () => ({
    configVersion: 1,
    state: { ready: 'READY', config_update: 'NOT_UPDATING' },
  });
});

it('passes when no other rollout runs, the version is ready and every endpoint exists', async () => {
  const outcome = await rigOf().run<Outcome>('preflightStep', rolloutInput());
  expect(outcome.stop).toBeUndefined();
  // The readiness checks run at once, each on its region's queue: their order is not fixed.
  expect(rigOf().callNames()[0]).toBe('findConcurrentRollouts');
  expect(rigOf().callNames().slice(1).sort()).toEqual(['checkEndpoint', 'checkEndpoint', 'resolveModelVersion']);
  const resolve = rigOf().calls.find((c) => c.name === 'resolveModelVersion')!;
  expect(resolve.input.residency).toEqual([
    { region: 'us-east-1', jurisdiction: undefined },
    { region: 'eu-west-1', jurisdiction: undefined },
  ]);
  expect(
    rigOf()
      .calls.filter((c) => c.name === 'checkEndpoint')
      .map((c) => c.queue)
      .sort(),
  ).toEqual(['rollout-eu-west-1', 'rollout-us-east-1']);
});

it('refuses, touching nothing, when another rollout runs and the plan says refuse', async () => {
  rigOf().fakes.findConcurrentRollouts = async () => ['rollout-main.ml.fraud_detector-v1'];
  const outcome = await rigOf().run<Outcome>(
    'preflightStep',
    rolloutInput(stepPlan({ on_concurrent_rollout: 'refuse' })),
  );
  expect(outcome.stop).toEqual({
    outcome: 'refused',
    error:
      'refused: another rollout of main.ml.fraud_detector is running (rollout-main.ml.fraud_detector-v1); the plan says on_concurrent_rollout: refuse',
  });
  expect(rigOf().callNames()).toEqual(['findConcurrentRollouts']);
});

it.each([
  ['queue', ['findConcurrentRollouts', 'waitForRolloutsToClose']],
  ['supersede', ['findConcurrentRollouts', 'supersedeRollouts', 'waitForRolloutsToClose']],
] as const)('under %s, waits for the other rollout to close before it checks anything', async (policy, first) => {
  rigOf().fakes.findConcurrentRollouts = async () => ['rollout-main.ml.fraud_detector-v1'];
  rigOf().fakes.supersedeRollouts = async () => undefined;
  rigOf().fakes.waitForRolloutsToClose = async () => undefined;
  const outcome = await rigOf().run<Outcome>(
    'preflightStep',
    rolloutInput(stepPlan({ on_concurrent_rollout: policy })),
  );
  expect(outcome.stop).toBeUndefined();
  expect(rigOf().callNames().slice(0, first.length)).toEqual(first);
  expect(outcome.status.phase).toBe('pre-flight');
});

it('fails, touching nothing, with every problem found at once', async () => {
  rigOf().fakes.resolveModelVersion = async () => {
    throw ApplicationFailure.nonRetryable(
      'us-east-1: model main.ml.fraud_detector v2 is FAILED_REGISTRATION',
      'NotReady',
    );
  };
  rigOf().fakes.checkEndpoint = async (target) => {
    if (target.region === 'eu-west-1')
      throw ApplicationFailure.nonRetryable('eu-west-1/fraud-detector: endpoint not found', 'NotFound');
    return { configVersion: 1, state: { ready: 'READY', config_update: 'NOT_UPDATING' } };
  };
  const outcome = await rigOf().run<Outcome>('preflightStep', rolloutInput());
  expect(outcome.stop).toEqual({
    outcome: 'failed',
    error:
      'pre-flight failed, nothing was touched: us-east-1: model main.ml.fraud_detector v2 is FAILED_REGISTRATION; eu-west-1/fraud-detector: endpoint not found',
  });
  expect(rigOf().callNames()).not.toContain('applyEndpointConfig');
});
