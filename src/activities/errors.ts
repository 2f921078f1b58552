/**
 * Turns Databricks client errors into Temporal failures the retry policy understands: configuration, permission and
 * not-found errors are non-retryable; throttling retries after the server's Retry-After; 5xx and network errors retry
 * with the policy's backoff.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DatabricksError } from '../databricks';

/** Failure types a workflow may branch on. */
export const FailureType = {
  ReplicationTimeout: 'ReplicationTimeout',
  EndpointUpdateFailed: 'EndpointUpdateFailed',
  EndpointConfigReverted: 'EndpointConfigReverted',
  EndpointBusy: 'EndpointBusy',
  /** The endpoint serves a config the rollout did not set: someone else changed it; it is not overwritten. */
  EndpointChangedExternally: 'EndpointChangedExternally',
  VersionNotReady: 'VersionNotReady',
  CheckFailed: 'CheckFailed',
  ResidencyViolation: 'ResidencyViolation',
  /** AI Gateway fallbacks would hide the new version's errors from a live-traffic judge. */
  GatewayFallbackHidesErrors: 'GatewayFallbackHidesErrors',
} as const;

export function toActivityFailure(err: unknown, context: string): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DatabricksError) {
    const type = `Databricks.${err.kind}`;
    const message = `${context}: ${err.message}`;
    if (!err.retryable) return ApplicationFailure.create({ message, type, nonRetryable: true, cause: err });
    return ApplicationFailure.create({ message, type, nextRetryDelay: err.retryAfterMs, cause: err });
  }
  // A TypeError from bad arguments will not get better on retry.
  if (err instanceof TypeError)
    return ApplicationFailure.create({ message: `${context}: ${err.message}`, type: 'TypeError', nonRetryable: true });
  return err;
}

/** Runs an activity body, converting whatever it throws. */
export async function classified<T>(context: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err, context);
  }
}
