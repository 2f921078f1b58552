/**
 * The metrics workflows emit (names in src/shared/rollout-metrics.ts), through the SDK's `wf.metricMeter`.
 *
 * Why this is safe in workflow code: `wf.metricMeter` (@temporalio/workflow 1.24, experimental) hands each value to
 * a worker sink (`__temporal_metrics`) that is registered with `callDuringReplay: false`, and checks
 * `workflowInfo().unsafe.isReplaying` before that, so a replayed history emits nothing again and a value is counted
 * once, when its workflow task first runs. Sinks produce no commands: emitting never changes a workflow's history,
 * and no `patched()` guard is needed (test/workflows/replay.test.ts replays the committed histories through it).
 * The worker adds `namespace`, `task_queue` and `workflow_type` labels to each value.
 */
import * as wf from '@temporalio/workflow';
import { ROLLOUT_METRICS } from '../shared/rollout-metrics';
import { nowMs } from './time';

/** Seconds of workflow time since `startMs`. */
function secondsSince(startMs: number): number {
  return Math.max(0, (nowMs() - startMs) / 1000);
}

type Metric = (typeof ROLLOUT_METRICS)[keyof typeof ROLLOUT_METRICS];

function count(metric: Metric, tags: Record<string, string>): void {
  wf.metricMeter.createCounter(metric.name, undefined, metric.help).add(1, tags);
}

function observeSeconds(metric: Metric, seconds: number, tags: Record<string, string>): void {
  wf.metricMeter.createHistogram(metric.name, 'float', 's', metric.help).record(seconds, tags);
}

/** A rollout's outcome is known: counted by outcome, with the time since its workflow started. */
export function recordRolloutVerdict(outcome: string): void {
  const tags = { outcome };
  count(ROLLOUT_METRICS.rollouts, tags);
  observeSeconds(ROLLOUT_METRICS.timeToVerdict, secondsSince(wf.workflowInfo().startTime.getTime()), tags);
}

/** A region restored its rollback point. */
export function recordRollback(region: string): void {
  count(ROLLOUT_METRICS.rollbacks, { region });
}

/** A region's restore failed; it waits in rollback-failed. */
export function recordRollbackFailure(region: string): void {
  count(ROLLOUT_METRICS.rollbackFailures, { region });
}

/** An approval gate ended with `decision` after waiting since `sinceMs` (workflow time). */
export function recordApproval(region: string, decision: string, sinceMs: number): void {
  const tags = { region, decision };
  count(ROLLOUT_METRICS.approvals, tags);
  observeSeconds(ROLLOUT_METRICS.approvalWait, secondsSince(sinceMs), tags);
}
