/**
 * Replays committed histories of real rollouts (recorded by scripts/record-histories.ts) against today's workflow
 * code: a change that would break rollouts already in flight fails here. Guard such changes with patched().
 */
import { installTestRuntime } from '../support/runtime';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { DROP_WORKFLOW_SPANS, startTracing, type Tracing } from '../../src/tracing';
import { bundleWorkflows } from '../support/temporal';

const HISTORIES = join(__dirname, '..', 'histories');
const workflowIds = JSON.parse(readFileSync(join(HISTORIES, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json');
let bundle: WorkflowBundleWithSourceMap;
let tracing: Tracing;

beforeAll(async () => {
  installTestRuntime();
  bundle = await bundleWorkflows();
  // A worker exporting traces (src/tracing.ts), its spans kept in memory.
  tracing = startTracing({ serviceName: 'replay', url: 'http://127.0.0.1:1/v1/traces' }, new InMemorySpanExporter());
}, 60_000);
afterAll(() => tracing.shutdown());

it('has histories of promoted, rolled-back, shadow + A/B, aborted (before and with message keys, and before the lease outlived its holder’s cancellation), queued, live-judged, release and watched-after-promotion rollouts: parents, children, a lease, a model queue and a watcher', () => {
  expect(files.sort()).toEqual([
    'endpoint-lease.json',
    'model-queue.json',
    'region-aborted-keyed-unshielded.json',
    'region-aborted-keyed.json',
    'region-aborted.json',
    'region-after-promotion.json',
    'region-approved.json',
    'region-live-canary.json',
    'region-queued.json',
    'region-release-rolled-back.json',
    'region-release.json',
    'region-rolled-back.json',
    'region-shadow-ab.json',
    'rollout-aborted-keyed-unshielded.json',
    'rollout-aborted-keyed.json',
    'rollout-aborted.json',
    'rollout-after-promotion.json',
    'rollout-approved.json',
    'rollout-live-canary.json',
    'rollout-queued.json',
    'rollout-release-rolled-back.json',
    'rollout-release.json',
    'rollout-rolled-back.json',
    'rollout-shadow-ab.json',
    'watcher.json',
  ]);
});

it.each(files)('replays %s without a determinism violation', async (file) => {
  const history = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: bundle, sinks: DROP_WORKFLOW_SPANS }, history, workflowIds[file]);
});

// Histories recorded before the tracing interceptors existed replay on a worker that exports traces.
it.each(files)('replays %s on a worker exporting traces', async (file) => {
  const history = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: bundle, plugins: tracing.plugins }, history, workflowIds[file]);
});

it('detects a workflow change that would break a running rollout', async () => {
  // The same workflows with one extra activity call before the first one: replay must refuse it.
  const changed = await (
    await import('@temporalio/worker')
  ).bundleWorkflowCode({
    workflowsPath: require.resolve('../support/changed-workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  const history = JSON.parse(readFileSync(join(HISTORIES, 'region-approved.json'), 'utf8'));
  await expect(
    Worker.runReplayHistory({ workflowBundle: changed }, history, workflowIds['region-approved.json']),
  ).rejects.toThrow(DeterminismViolationError);
});
