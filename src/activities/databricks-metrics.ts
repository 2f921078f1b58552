/**
 * Counts the worker's Databricks requests (names in src/shared/rollout-metrics.ts): the `onRequestEnd` observer of
 * the HttpClients that WorkspaceClients builds. Requests are recorded through the running activity's
 * `Context.current().metricMeter`, which goes to the worker runtime's exporter with the activity's labels; a request
 * made outside an activity (the CLI, tests of the client) is not a worker's and is not recorded.
 */
import { Context } from '@temporalio/activity';
import {
  DatabricksApiError,
  DatabricksNetworkError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from '../databricks/errors';
import type { RequestEnd } from '../databricks/http';
import { routeOf } from '../databricks/routes';
import { ROLLOUT_METRICS } from '../shared/rollout-metrics';
import { regionOfTaskQueue } from '../shared/task-queues';

/** The running activity's context, or undefined outside one. */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** A bounded label for what went wrong: the API error's kind (`not-found`, `rate-limited`, ...) or the failure's. */
export function requestErrorKind(error: unknown): string {
  if (error instanceof DatabricksApiError) return error.kind;
  if (error instanceof DatabricksTimeoutError) return 'timeout';
  if (error instanceof DatabricksNetworkError) return 'network';
  if (error instanceof DatabricksResponseError) return 'invalid-response';
  return 'cancelled-or-other';
}

export function recordDatabricksRequest(end: RequestEnd): void {
  const context = activityContext();
  if (!context) return;
  const meter = context.metricMeter;
  const status = end.error instanceof DatabricksApiError ? end.error.status : end.status;
  const labels = {
    region: regionOfTaskQueue(context.info.taskQueue) ?? 'none',
    method: end.method,
    route: routeOf(end.path),
  };
  const { databricksRequests, databricksErrors, databricksDuration } = ROLLOUT_METRICS;
  meter
    .createCounter(databricksRequests.name, undefined, databricksRequests.help)
    .add(1, { ...labels, code: status === undefined ? 'none' : String(status) });
  if (end.error !== undefined)
    meter
      .createCounter(databricksErrors.name, undefined, databricksErrors.help)
      .add(1, { ...labels, error: requestErrorKind(end.error) });
  meter
    .createHistogram(databricksDuration.name, 'float', 's', databricksDuration.help)
    .record(end.durationMs / 1000, labels);
}
