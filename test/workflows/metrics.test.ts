/**
 * The worker's Prometheus endpoint during real rollouts (dev server, emulator, the workers of `createWorkers` with
 * the worker's WorkspaceClients): the runtime is installed with a Prometheus exporter on a free port, as
 * `ROLLOUT_METRICS_ADDRESS` installs it in `rollout-worker`, and the test scrapes it while a rollout waits for an
 * approval and after rollouts end. Our counters move with the rollout; the SDK core's metrics are served beside them.
 */
import { freePort } from '../../scripts/dev-server';
import { routeOf } from '../../src/databricks/routes';
import { rolloutReport, startRollout } from '../../src/rollouts';
import { approveUpdate, rolloutStatusQuery } from '../../src/shared/messages';
import { ROLLOUT_METRICS } from '../../src/shared/rollout-metrics';
import { SDK_METRICS } from '../../src/worker-metrics';
import { installTestRuntime } from '../support/runtime';
import { EDGE_CASES, ENDPOINT, Rig, until, useRig } from '../support/temporal';

let metricsUrl: string;
// Declared before useRig: this file's runtime, with the exporter, is installed before the dev server connects.
beforeAll(async () => {
  const address = `127.0.0.1:${await freePort()}`;
  installTestRuntime({ metricsAddress: address });
  metricsUrl = `http://${address}/metrics`;
});
const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition, the samples only (no comments). */
async function scrape(): Promise<Sample[]> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  const samples: Sample[] = [];
  for (const line of (await res.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const { rollouts, timeToVerdict, rollbacks, approvals, approvalWait, databricksRequests, databricksDuration } =
  ROLLOUT_METRICS;
const CONFIG_ROUTE = '/api/2.0/serving-endpoints/{name}/config';

it('counts Databricks requests as a rollout runs, then its approval and outcome; and a rollback', async () => {
  const [primary, second] = rig.plan().regions.slice(0, 2);
  const regions = [primary, second];
  const before = await scrape();
  expect(routeOf(`/api/2.0/serving-endpoints/${ENDPOINT}/config`)).toBe(CONFIG_ROUTE);

  const good = await rig.register('candidate-good');
  const { handle } = await startRollout(rig.client, {
    plan: rig.plan({
      regions,
      stages: [{ name: 'canary', traffic: 10, bake: '0ms', approval: true }],
      timeouts: { replication: '10s', config_update: '10s', approval: '5m' },
    }),
    edgeCases: [],
    version: good,
    triggeredBy: 'test',
  });
  await until('both regions awaiting approval', async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions.every((r) => r.phase === 'awaiting-approval') ? true : undefined;
  });

  // Mid-rollout: each region's endpoint config was written (the canary's weight), under its route template, not its
  // name; nothing has ended yet.
  const waiting = await scrape();
  for (const { name: region } of regions) {
    const configWrites = { region, route: CONFIG_ROUTE, method: 'PUT' };
    expect(total(waiting, databricksRequests.name, configWrites)).toBeGreaterThan(
      total(before, databricksRequests.name, configWrites),
    );
    expect(total(waiting, `${databricksDuration.name}_count`, { region })).toBeGreaterThan(0);
  }
  expect(waiting.filter((s) => s.labels.route?.includes(ENDPOINT))).toEqual([]);
  expect(total(waiting, rollouts.name)).toBe(total(before, rollouts.name));
  expect(total(waiting, approvals.name)).toBe(total(before, approvals.name));

  await handle.executeUpdate(approveUpdate, { args: [{ approver: 'metrics-test' }] });
  expect((await rolloutReport(handle)).outcome).toBe('succeeded');

  const succeeded = await until('the outcome counted', async () => {
    const now = await scrape();
    return total(now, rollouts.name, { outcome: 'succeeded' }) > total(before, rollouts.name, { outcome: 'succeeded' })
      ? now
      : undefined;
  });
  expect(total(succeeded, rollouts.name, { outcome: 'succeeded' })).toBe(
    total(before, rollouts.name, { outcome: 'succeeded' }) + 1,
  );
  expect(total(succeeded, `${timeToVerdict.name}_count`, { outcome: 'succeeded' })).toBeGreaterThan(0);
  // Our label, and the TypeScript SDK's own (camelCase, unlike the core's `task_queue`): the workflow's type and queue.
  expect(succeeded.find((s) => s.name === rollouts.name && s.labels.outcome === 'succeeded')?.labels).toMatchObject({
    workflowType: 'rolloutWorkflow',
    taskQueue: 'rollout-control',
  });
  for (const { name: region } of regions) {
    expect(total(succeeded, approvals.name, { region, decision: 'approved' })).toBe(
      total(before, approvals.name, { region, decision: 'approved' }) + 1,
    );
    expect(total(succeeded, `${approvalWait.name}_count`, { region, decision: 'approved' })).toBeGreaterThan(0);
    expect(total(succeeded, databricksRequests.name, { region })).toBeGreaterThan(
      total(waiting, databricksRequests.name, { region }),
    );
  }

  // A version that fails its edge cases: each region restores its endpoint.
  const bad = await rig.register('candidate-bad');
  const rolledBack = await startRollout(rig.client, {
    plan: rig.plan({ regions, tests: { edge_cases: { file: 'inline', tolerance: 0.02 } } }),
    edgeCases: EDGE_CASES,
    version: bad,
    triggeredBy: 'test',
  });
  expect((await rolloutReport(rolledBack.handle)).outcome).toBe('rolled-back');
  const after = await until('the rollback counted', async () => {
    const now = await scrape();
    return total(now, rollouts.name, { outcome: 'rolled-back' }) > 0 ? now : undefined;
  });
  for (const { name: region } of regions)
    expect(total(after, rollbacks.name, { region })).toBe(total(before, rollbacks.name, { region }) + 1);

  // The SDK core's own metrics come through the same endpoint: each one the dashboard shows.
  const names = new Set(after.map((s) => s.name));
  for (const { name, kind } of Object.values(SDK_METRICS))
    expect(names).toContain(kind === 'histogram' ? `${name}_bucket` : name);
  // In seconds: a workflow task takes tens of milliseconds here, so its mean is well under 1 (in ms, over 1).
  const taskLatency = (suffix: string) =>
    total(after, `${SDK_METRICS.workflowTaskExecutionLatency.name}_${suffix}`, { workflow_type: 'rolloutWorkflow' });
  expect(taskLatency('sum') / taskLatency('count')).toBeLessThan(1);
}, 90_000);
