/**
 * The statistical canary judge and the load test wired into a rollout's stage gates, on a real dev server and the
 * emulator: a bad version is failed early and rolled back with the judge's evidence; a good one passes.
 */
import { EDGE_CASES, Rig, useRig } from '../support/temporal';
import { checkedRollouts } from '../support/invariant';
import { rolloutReport } from '../../src/rollouts';

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
      // Wide margins: these tests are about the stage's wiring (fail and roll back, pass and promote), not the judge's
      // power, which test/analysis and the bench measure; a busy CI host slows probes and blurs their latencies.
      canary: {
        probe_rps: 200,
        quantiles: [0.5],
        error_floor: { relative: 2, absolute: 0.02 },
        latency_floor: 0.3,
        max_extension: '60s',
      },
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
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('rolled-back');
  const region = report.regions[0];
  const canary = region.checks.find((c) => c.check === 'canary')!;
  expect(canary.passed).toBe(false);
  expect(canary.summary).toMatch(/^FAIL after \d+s \(probes: \d+ new \/ \d+ current requests\): /);
  const evidence = canary.evidence as any;
  expect(evidence.sources).toEqual(['probes']);
  expect(evidence.verdict.metrics.map((m: any) => `${m.metric}/${m.source}`)).toEqual([
    'errors-5xx/probes',
    'errors-4xx/probes',
    'latency-p50/probes',
  ]);
  expect(evidence.verdict.metrics.some((m: any) => m.status === 'harm')).toBe(true);
  expect(region.error).toMatch(/canary judge failed in stage canary/);
  expect((await rig.serving())['us-east-1']).toEqual(['fraud_detector-1@1:100']);
});

it('passes a good version once it is shown within every margin, and runs the load test against its SLOs', async () => {
  const version = await rig.register('candidate-good');
  const { handle } = await startRollout(rig.client, {
    plan: planWithJudge(),
    edgeCases: EDGE_CASES,
    version,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(handle);
  await invariantHolds();
  const region = report.regions[0];
  const canary = region.checks.find((c) => c.check === 'canary')!;
  expect([report.outcome, canary.passed]).toEqual(['succeeded', true]);
  expect(canary.summary).toMatch(/^PASS after \d+s \(probes: \d+ new \/ \d+ current requests\): no harm beyond/);
  const load = region.checks.find((c) => c.check === 'load')!;
  expect(load.passed).toBe(true);
  expect(load.summary).toMatch(/requests at [\d.]+ rps \(target 100\): p50 [\d.]+ms, p99 [\d.]+ms/);
  expect(region.timeline.map((t) => t.phase)).toContain('judging');
}, 90_000);
