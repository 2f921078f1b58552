/**
 * The statistical canary judge and the load test wired into a rollout's stage gates, on a real dev server and the
 * emulator: a bad version is failed early and rolled back with the judge's evidence; a good one passes.
 */
import { EDGE_CASES, Rig, useRig } from '../support/temporal';
import { checkedRollouts } from '../support/invariant';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

const planWithJudge = () =>
  rig.plan({
    regions: rig.plan().regions.slice(0, 1),
    tests: {
      health: { queries: 2, input: { amount: 120 } },
      load: { rps: 100, duration: '2s', slo: { p99: '500ms', error_rate: 0.05 } },
      canary: { probe_rps: 200, min_requests: 200, max_requests: 600, max_extension: '10s' },
    },
    stages: [{ name: 'canary', traffic: 10, bake: '3s', gate: ['canary', 'load'] }],
  });

it('fails a bad version early with its evidence, and rolls it back', async () => {
  const version = await rig.register('candidate-bad'); // 6% errors, slower
  const { handle } = await startRollout(rig.client, {
    plan: planWithJudge(),
    edgeCases: EDGE_CASES,
    version,
    triggeredBy: 'test',
  });
  const report = await handle.result();
  await invariantHolds();
  expect(report.outcome).toBe('rolled-back');
  const region = report.regions[0];
  const canary = region.checks.find((c) => c.check === 'canary')!;
  expect(canary.passed).toBe(false);
  expect(canary.summary).toMatch(/^FAIL at look \d+/);
  const evidence = canary.evidence as any;
  expect(evidence.verdict.tests.map((t: any) => t.test)).toEqual(['error-rate', 'latency-rank', 'latency-tail']);
  expect(evidence.verdict.tests.some((t: any) => t.significant && t.worse)).toBe(true);
  expect(evidence.endpointMetrics.challenger.requests).toBeGreaterThan(0);
  expect(region.error).toMatch(/canary judge failed in stage canary/);
  expect((await rig.serving())['us-east-1']).toEqual(['fraud_detector-1@1:100']);
});

it('passes a good version at the final look and runs the load test against its SLOs', async () => {
  const version = await rig.register('candidate-good');
  const { handle } = await startRollout(rig.client, {
    plan: planWithJudge(),
    edgeCases: EDGE_CASES,
    version,
    triggeredBy: 'test',
  });
  const report = await handle.result();
  await invariantHolds();
  const region = report.regions[0];
  const canary = region.checks.find((c) => c.check === 'canary')!;
  expect([report.outcome, canary.passed]).toEqual(['succeeded', true]);
  expect(canary.summary).toMatch(/^PASS at look \d+ \((\d+) challenger/);
  const load = region.checks.find((c) => c.check === 'load')!;
  expect(load.passed).toBe(true);
  expect(load.summary).toMatch(/requests at [\d.]+ rps \(target 100\): p50 [\d.]+ms, p99 [\d.]+ms/);
  expect(region.timeline.map((t) => t.phase)).toContain('judging');
});
