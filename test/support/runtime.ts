/**
 * The worker runtime of a test process. It is process-wide and the first test file to create it decides its
 * options (jest runs the files in band), so every file installs it the same way: expected failures (refused updates,
 * failing activities) are logged at WARN, and the SDK core's own lines (a task completed after its workflow closed,
 * a replay's nondeterminism) go through the same logger, which prints only errors.
 *
 * A file that scrapes the worker's metrics calls it first, at the top level, with `metricsAddress` (the runtime's
 * Prometheus endpoint, as `ROLLOUT_METRICS_ADDRESS` sets it in the worker); the others install it without metrics.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { prometheusMetrics } from '../../src/worker-metrics';

export function installTestRuntime(options: { metricsAddress?: string } = {}): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: {
        logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} },
        ...(options.metricsAddress ? { metrics: prometheusMetrics(options.metricsAddress) } : {}),
      },
    });
  } catch {
    // Installed already in this process.
  }
}
