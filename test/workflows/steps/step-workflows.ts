/**
 * Test workflows that run one step module of the region or rollout workflow on its own, with the real module code
 * and a real context, so each step's test can drive it with recorded activities (harness.ts) and operator messages.
 */
import * as wf from '@temporalio/workflow';
import type { RegionRolloutInput, RegionStatus, RolloutInput, RolloutStatus } from '../../../src/shared/types';
import { acquireEndpointLease, type EndpointLease } from '../../../src/workflows/endpoint-lease';
import { describeFailure, failureType } from '../../../src/workflows/failures';
import { approvalGate } from '../../../src/workflows/region/approval';
import { endUntouched, rollBack } from '../../../src/workflows/region/compensation';
import { createRegionContext, type EndpointState, type RegionContext } from '../../../src/workflows/region/context';
import { newVersionEntity } from '../../../src/workflows/region/endpoint-changes';
import { registerRegionMessages } from '../../../src/workflows/region/messages';
import { walkStages } from '../../../src/workflows/region/stages';
import { createRolloutContext, issueMessageKey } from '../../../src/workflows/rollout/context';
import { registerRolloutMessages } from '../../../src/workflows/rollout/messages';
import { preflight, type PreflightStop } from '../../../src/workflows/rollout/preflight';

export { endpointLeaseWorkflow } from '../../../src/workflows/endpoint-lease';

export interface StepFailure {
  message: string;
  type?: string;
}

/** A region step's input: the region's input, and the endpoint state it starts from (a recorded rollback point). */
export interface RegionStepInput {
  region: RegionRolloutInput;
  endpoint?: EndpointState;
  stage?: string;
}

/** What the region's state is after the step, and how the step ended. */
export interface RegionStepOutcome {
  status: RegionStatus;
  endpoint: EndpointState;
  failure?: StepFailure;
}

const failureOf = (err: unknown): StepFailure => ({ message: describeFailure(err), type: failureType(err) });

async function runRegionStep(
  input: RegionStepInput,
  step: (region: RegionContext) => Promise<unknown>,
): Promise<RegionStepOutcome> {
  const region = createRegionContext(input.region);
  Object.assign(region.endpoint, input.endpoint);
  registerRegionMessages(region);
  let failure: StepFailure | undefined;
  try {
    await step(region);
  } catch (err) {
    failure = failureOf(err);
  }
  await region.progress.settled();
  return { status: region.status, endpoint: region.endpoint, ...(failure ? { failure } : {}) };
}

export async function approvalGateStep(input: RegionStepInput): Promise<RegionStepOutcome> {
  return runRegionStep(input, (region) => approvalGate(region, input.stage ?? 'half'));
}

export async function walkStagesStep(input: RegionStepInput): Promise<RegionStepOutcome> {
  return runRegionStep(input, (region) => walkStages(region, newVersionEntity(region)));
}

/** Compensation after a check failed (the endpoint was touched), or after a cancel (`cancelAfterMs`). */
export async function rollBackStep(input: RegionStepInput): Promise<RegionStepOutcome> {
  return runRegionStep(input, async (region) => {
    throw await rollBack(region, wf.ApplicationFailure.nonRetryable('health failed: 2 of 3 queries', 'CheckFailed'));
  });
}

export async function endUntouchedStep(input: RegionStepInput): Promise<RegionStepOutcome> {
  return runRegionStep(input, async (region) => {
    throw await endUntouched(region, wf.ApplicationFailure.nonRetryable('replication timed out', 'Timeout'));
  });
}

/** Pre-flight of a rollout; its status after, and why it stopped, if it did. */
export async function preflightStep(
  input: RolloutInput,
): Promise<{ status: RolloutStatus; stop?: PreflightStop; failure?: StepFailure }> {
  const rollout = createRolloutContext(input);
  registerRolloutMessages(rollout);
  try {
    await issueMessageKey(rollout);
    const stop = await preflight(rollout);
    return { status: rollout.status, ...(stop ? { stop } : {}) };
  } catch (err) {
    return { status: rollout.status, failure: failureOf(err) };
  }
}

/**
 * Takes the leases of `endpoints` at once and cancels the taking `cancelAfterMs` later, while some starts may still be
 * in flight; releases every lease it got, as a region's end does. The leases it got, by endpoint.
 */
export async function leasesCancelledWhileTaken(input: {
  region: string;
  endpoints: string[];
  cancelAfterMs: number;
}): Promise<string[]> {
  const taken = new Map<string, EndpointLease>();
  const scope = new wf.CancellationScope();
  const taking = scope.run(() =>
    Promise.allSettled(
      input.endpoints.map(async (endpoint) => {
        taken.set(endpoint, await acquireEndpointLease(input.region, endpoint, async () => {}, 'step-key'));
      }),
    ),
  );
  await wf.sleep(input.cancelAfterMs);
  scope.cancel();
  await taking;
  for (const lease of taken.values()) await lease.release(true);
  return [...taken.keys()].sort();
}
