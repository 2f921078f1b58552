/**
 * Pre-flight (src/workflows/rollout/preflight.ts) on its own: its turn in the model queue (proceed, wait, refused;
 * turns without the rollout's key are refused), the version and the endpoints, and nothing touched when something
 * is wrong. The queue itself is tested in test/workflows/model-queue.test.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import { messageKeyDigest } from '../../../src/activities/control';
import { rolloutStatusQuery, rolloutTurnSignal, type RolloutTurn } from '../../../src/shared/messages';
import type { RolloutStatus } from '../../../src/shared/types';
import type { PreflightStop } from '../../../src/workflows/rollout/preflight';
import { eventually } from '../../support/emulator';
import { MODEL, stepPlan, useStepRig } from '../steps/harness';

const rigOf = useStepRig();
type Outcome = { status: RolloutStatus; stop?: PreflightStop };
const rolloutInput = (plan = stepPlan()) => ({ plan, edgeCases: [], version: 2, triggeredBy: 'test' });
const OLDER = 'rollout-main.ml.fraud_detector-v1';

/** The model queue's answer to this rollout's arrival, sent as the queue sends it: with the rollout's key. */
function queueAnswers(...turns: RolloutTurn[]): void {
  rigOf().fakes.enqueueRollout = async (entry) => {
    for (const turn of turns)
      await rigOf().client.workflow.getHandle(entry.rolloutId).signal(rolloutTurnSignal, turn, entry.key);
  };
}

beforeEach(() => {
  rigOf().fakes.newMessageKey = async () => ({ key: 'the-key', digest: messageKeyDigest('the-key') });
  rigOf().fakes.resolveModelVersion = async () => ({ version: 2, status: 'READY' });
  rigOf().fakes.checkEndpoint = async () => ({
    configVersion: 1,
    state: { ready: 'READY', config_update: 'NOT_UPDATING' },
  });
});

it('arrives in the model queue with its key, and checks everything once the queue says proceed', async () => {
  queueAnswers({ turn: 'proceed' });
  const outcome = await rigOf().run<Outcome>('preflightStep', rolloutInput());
  expect(outcome.stop).toBeUndefined();
  // The readiness checks run at once, each on its region's queue: their order is not fixed.
  expect(rigOf().callNames().slice(0, 2)).toEqual(['newMessageKey', 'enqueueRollout']);
  expect(rigOf().callNames().slice(2).sort()).toEqual(['checkEndpoint', 'checkEndpoint', 'resolveModelVersion']);
  const arrival = rigOf().calls.find((c) => c.name === 'enqueueRollout')!;
  expect(arrival.input).toMatchObject({ model: MODEL, version: 2, policy: 'queue', key: 'the-key' });
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

it('refuses, touching nothing, when the queue refuses it', async () => {
  queueAnswers({ turn: 'refused', by: [OLDER], reason: 'on_concurrent_rollout: refuse' });
  const outcome = await rigOf().run<Outcome>(
    'preflightStep',
    rolloutInput(stepPlan({ on_concurrent_rollout: 'refuse' })),
  );
  expect(outcome.stop).toEqual({
    outcome: 'refused',
    error: `refused: another rollout of main.ml.fraud_detector is running (${OLDER}); the plan says on_concurrent_rollout: refuse`,
  });
  expect(rigOf().callNames()).toEqual(['newMessageKey', 'enqueueRollout']);
});

it('waits while the queue says wait, ignores a turn without its key, and proceeds when the queue says so', async () => {
  queueAnswers({ turn: 'wait', behind: [OLDER] });
  const outcome = await rigOf().run<Outcome>('preflightStep', rolloutInput(), async (id) => {
    const handle = rigOf().client.workflow.getHandle(id);
    const status = () => handle.query(rolloutStatusQuery);
    await eventually(async () => ((await status()).phase === 'waiting-for-other-rollout' ? true : undefined));
    await handle.signal(rolloutTurnSignal, { turn: 'proceed' }, 'a guessed key');
    await handle.signal(rolloutTurnSignal, { turn: 'proceed' }, undefined as unknown as string);
    await eventually(async () => ((await status()).refusedMessages?.count === 2 ? true : undefined));
    expect((await status()).phase).toBe('waiting-for-other-rollout');
    expect(rigOf().callNames()).toEqual(['newMessageKey', 'enqueueRollout']);
    await handle.signal(rolloutTurnSignal, { turn: 'proceed' }, 'the-key');
  });
  expect(outcome.stop).toBeUndefined();
  expect(outcome.status.phase).toBe('pre-flight');
  expect(outcome.status.refusedMessages?.newest.map((r) => [r.message, r.why])).toEqual([
    ['rolloutTurn', 'not from the model queue'],
    ['rolloutTurn', 'not from the model queue'],
  ]);
  expect(rigOf().callNames()).toContain('checkEndpoint');
});

it('fails, touching nothing, with every problem found at once', async () => {
  rigOf().fakes.resolveModelVersion = async () => {
    throw ApplicationFailure.nonRetryable(
      'us-east-1: model main.ml.fraud_detector v2 is FAILED_REGISTRATION',
      'NotReady',
    );
  };
  queueAnswers({ turn: 'proceed' });
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

describe('AI Gateway fallbacks (the check itself runs over HTTP in test/workflows/rollout.test.ts)', () => {
  const liveCanary = (onGatewayFallback?: 'refuse' | 'warn') =>
    stepPlan({
      tests: {
        canary: { sources: ['live'] },
        health: { queries: 1, input: {} },
        load: { rps: 100, duration: '10s' },
      },
      stages: [
        { name: 'canary', traffic: 10, bake: '1m', gate: ['canary', 'load'] },
        { name: 'ab', traffic: 50, bake: '1m', ab: { source: 'live' } },
        { name: 'all', traffic: 100 },
      ],
      ...(onGatewayFallback ? { on_gateway_fallback: onGatewayFallback } : {}),
    });
  const endpointChecks = () =>
    rigOf()
      .calls.filter((c) => c.name === 'checkEndpoint')
      .map((c) => c.input.liveJudged);

  it('asks each endpoint check about fallbacks, naming the stages that judge live traffic and the plan’s policy', async () => {
    queueAnswers({ turn: 'proceed' });
    await rigOf().run<Outcome>('preflightStep', rolloutInput(liveCanary()));
    expect(endpointChecks()).toEqual([
      { stages: ['canary', 'ab'], onGatewayFallback: 'refuse' },
      { stages: ['canary', 'ab'], onGatewayFallback: 'refuse' },
    ]);
    // The load test (100 per second) is the busiest test: what a rate limit is checked against.
    const peaks = rigOf()
      .calls.filter((c) => c.name === 'checkEndpoint')
      .map((c) => c.input.peakTestRate);
    expect(peaks).toEqual([
      { rps: 100, stage: 'canary' },
      { rps: 100, stage: 'canary' },
    ]);
  });

  it('does not ask when no stage judges live traffic (probes query one served model: no fallback applies)', async () => {
    queueAnswers({ turn: 'proceed' });
    await rigOf().run<Outcome>(
      'preflightStep',
      rolloutInput(
        stepPlan({
          tests: { canary: { sources: ['probes'] }, health: { queries: 1, input: {} } },
          stages: [{ name: 'canary', traffic: 10, bake: '1m', gate: ['canary'] }],
        }),
      ),
    );
    expect(endpointChecks()).toEqual([undefined, undefined]);
  });

  it('puts the warnings a check returns in the status, and goes on', async () => {
    queueAnswers({ turn: 'proceed' });
    rigOf().fakes.checkEndpoint = async (target) => ({
      configVersion: 1,
      state: { ready: 'READY', config_update: 'NOT_UPDATING' },
      ...(target.region === 'eu-west-1' ? { warnings: ['eu-west-1/fraud-detector has AI Gateway fallbacks on'] } : {}),
    });
    const outcome = await rigOf().run<Outcome>('preflightStep', rolloutInput(liveCanary('warn')));
    expect(outcome.stop).toBeUndefined();
    expect(outcome.status.warnings).toEqual(['eu-west-1/fraud-detector has AI Gateway fallbacks on']);
    expect(endpointChecks()[0]).toEqual({ stages: ['canary', 'ab'], onGatewayFallback: 'warn' });
  });
});
