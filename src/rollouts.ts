/** Starting and addressing rollouts from a client (the CLI, CI, tests, the demo). */
import {
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { isRolloutFailureType } from './shared/rollout-failure';
import { rolloutStartOptions } from './shared/rollout-start';
import type { RolloutInput, RolloutReport } from './shared/types';
import type { rolloutWorkflow } from './workflows';

export { summaryOf } from './shared/rollout-start';

export interface StartedRollout {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof rolloutWorkflow>;
  workflowId: string;
  /** False when a rollout of this version was already running and the call attached to it. */
  started: boolean;
}

/**
 * Starts the rollout of a model version, or attaches to the one already running for it: the workflow id is derived
 * from the model and version, so a second trigger (a CI re-run) does not start another.
 */
export async function startRollout(client: Client, input: RolloutInput): Promise<StartedRollout> {
  const options = rolloutStartOptions(input);
  const { workflowId } = options;
  // The root of the rollout's trace (src/tracing.ts); a no-op span when tracing is off.
  return tracer.startActiveSpan(
    'rollout start',
    { attributes: { 'rollout.id': workflowId, 'rollout.model': input.plan.model, 'rollout.version': input.version } },
    async (span) => {
      try {
        const running = await client.workflow
          .getHandle(workflowId)
          .describe()
          .then((d) => (d.status.name === 'RUNNING' ? d.runId : undefined))
          .catch(() => undefined);
        const handle = await client.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', options);
        const started = running === undefined || handle.firstExecutionRunId !== running;
        span.setAttribute('rollout.started', started);
        return { handle, workflowId, started };
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

const tracer = trace.getTracer('model-rollout');

/**
 * The rollout's report, whatever its outcome: the result of one that succeeded, or the report that an unsuccessful
 * rollout's failure carries (src/shared/rollout-failure.ts). Rejects as the workflow did when it ended without a
 * report (terminated, cancelled, timed out).
 */
export async function rolloutReport(handle: Pick<WorkflowHandle, 'result'>): Promise<RolloutReport> {
  try {
    return (await handle.result()) as RolloutReport;
  } catch (err) {
    const report = reportInFailure(err);
    if (report) return report;
    throw err;
  }
}

/** The report in a rollout's failure (a rollout that did not succeed), or undefined for any other failure. */
export function reportInFailure(err: unknown): RolloutReport | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || !isRolloutFailureType(cause.type)) return undefined;
  return cause.details?.[0] as RolloutReport | undefined;
}
