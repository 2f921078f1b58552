/**
 * The shadow check before any user traffic and A/B stages, on a real dev server and the emulator.
 */
import { generateWorld } from '../../src/emulator/generate-world';
import {
  approveUpdate,
  pauseUpdate,
  regionStatusQuery,
  regionWorkflowId,
  resumeUpdate,
  rolloutStatusQuery,
} from '../../src/shared/messages';
import { checkedRollouts } from '../support/invariant';
import { EDGE_CASES, FAST_METRICS, Rig, useRig, until } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

const rigOf = useRig(() => ({
  ...FAST_METRICS,
  ...generateWorld({
    regions: 3,
    replicationDelay: '150ms',
    configUpdateDuration: '150ms',
    behaviors: {
      // Never fails, but predicts differently from the current version (what only the shadow check sees here).
      'candidate-drifted': {
        latency: { distribution: 'lognormal', median: '20ms', p99: '60ms' },
        error_rate: 0,
        prediction: { formula: 'round(sigmoid(0.009 * amount - 1), 4)' },
      },
      // Predicts like the current version, but 8% of its answers are errors (a health query never is).
      'candidate-erroring': {
        latency: { distribution: 'lognormal', median: '20ms', p99: '60ms' },
        error_rate: 0.08,
        prediction: { formula: 'round(sigmoid(0.004 * amount - 2), 4)' },
      },
    },
  }),
}));
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

const ORIGINAL = ['fraud_detector-1@1:100'];

/** The endpoint configs the region asked for, in order, read from its workflow history (applyEndpointConfig inputs). */
async function appliedConfigs(rolloutId: string, region: string) {
  const history = await rig.client.workflow.getHandle(regionWorkflowId(rolloutId, region)).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyEndpointConfig')
    .map((e) => {
      const payload = e.activityTaskScheduledEventAttributes!.input!.payloads![0];
      const input = JSON.parse(Buffer.from(payload.data!).toString('utf8'));
      return input.desired.routes.map((r: any) => `${r.served_entity_name}:${r.traffic_percentage}`).sort();
    });
}

const shadowPlan = (edgeCases: boolean) =>
  rig.plan({
    regions: rig.plan().regions.slice(0, 1),
    tests: {
      health: { queries: 1, input: { amount: 120 } },
      ...(edgeCases ? { edge_cases: { file: 'inline' } } : {}),
      shadow: { tolerance: 0.02, max_disagreement: 0 },
    },
    stages: [{ name: 'canary', traffic: 20, bake: '200ms' }],
  });

describe('shadow check', () => {
  it('scores the same inputs on both versions at 0% before any user traffic, then walks the stages', async () => {
    const version = await rig.register('candidate-good');
    const { handle, workflowId } = await startRollout(rig.client, {
      plan: shadowPlan(true),
      edgeCases: EDGE_CASES,
      version,
      triggeredBy: 'test',
    });
    const report = await rolloutReport(handle);
    expect(report.outcome).toBe('succeeded');
    const region = report.regions[0];
    const shadow = region.checks.find((c) => c.check === 'shadow')!;
    expect(shadow.passed).toBe(true);
    expect(shadow.summary).toMatch(/^4 inputs scored by both versions at 0% traffic: 0 disagree/);
    expect((shadow.evidence as any).numeric.n).toBe(4);
    const phases = region.timeline.map((t) => t.phase);
    expect(phases.indexOf('shadow-testing')).toBeLessThan(phases.lastIndexOf('updating'));
    // The first change serves the new version at 0%; user traffic reaches it only after the shadow check.
    const challenger = `fraud_detector-${version}`;
    expect(await appliedConfigs(workflowId, 'us-east-1')).toEqual([
      ['fraud_detector-1:100', `${challenger}:0`],
      ['fraud_detector-1:80', `${challenger}:20`],
      [`${challenger}:100`],
    ]);
    await invariantHolds();
  });

  it('rolls back a version whose predictions differ, without it ever taking traffic', async () => {
    // Without edge cases, the shadow comparison is what catches the different predictions.
    const version = await rig.register('candidate-drifted');
    const { handle, workflowId } = await startRollout(rig.client, {
      plan: shadowPlan(false),
      edgeCases: [],
      version,
      triggeredBy: 'test',
    });
    const report = await rolloutReport(handle);
    expect(report.outcome).toBe('rolled-back');
    const region = report.regions[0];
    const shadow = region.checks.find((c) => c.check === 'shadow')!;
    expect(shadow.passed).toBe(false);
    expect(shadow.failures.join('\n')).toMatch(/disagree on 1 of 1 inputs/);
    expect(shadow.summary).toMatch(/health: 0\.\d+ → 0\.\d+/);
    expect(region.error).toMatch(/shadow failed/);
    const challenger = `fraud_detector-${version}`;
    expect(await appliedConfigs(workflowId, 'us-east-1')).toEqual([
      ['fraud_detector-1:100', `${challenger}:0`],
      ['fraud_detector-1:100'],
    ]);
    expect((await rig.serving())['us-east-1']).toEqual(ORIGINAL);
    await invariantHolds();
  });
});

describe('A/B stages', () => {
  const abPlan = (ab: Record<string, unknown>) =>
    rig.plan({
      regions: rig.plan().regions.slice(0, 1),
      tests: { health: { queries: 1, input: { amount: 120 } } },
      stages: [{ name: 'ab', traffic: 50, bake: '3s', ab: { probe_rps: 100, ...ab } }],
    });

  it('keeps the current version when it wins on the plan metric, with a per-variant report', async () => {
    const version = await rig.register('candidate-erroring'); // 8% errors against 0.2%
    const { handle } = await startRollout(rig.client, {
      plan: abPlan({ metric: 'error_rate', decide_by: 'rule' }),
      edgeCases: [],
      version,
      triggeredBy: 'test',
    });
    const report = await rolloutReport(handle);
    expect(report.outcome).toBe('rolled-back');
    const region = report.regions[0];
    const ab = region.checks.find((c) => c.check === 'ab')! as any;
    expect([ab.passed, ab.winner]).toEqual([false, 'champion']);
    const decision = ab.evidence.decision;
    expect(decision.method).toMatch(/^e-processes \(mixture SPRT\) on the new version’s share of errors/);
    expect(decision.source).toMatch(/^probes/);
    expect(decision.challenger.requests).toBeGreaterThan(50);
    expect(decision.challenger.errorRate).toBeGreaterThan(decision.champion.errorRate);
    // The direction comes from the statistic that decided: the "worse" evidence crossed, the "better" did not.
    expect(decision.evidence.worse).toBeGreaterThanOrEqual(decision.evidence.threshold);
    expect(region.error).toMatch(/A\/B in stage ab keeps the current version \(it won\)/);
    expect(region.timeline.map((t) => t.phase)).toContain('ab-testing');
    expect((await rig.serving())['us-east-1']).toEqual(ORIGINAL);
    await invariantHolds();
  });

  it('on a tie, follows on_tie (keep-new promotes)', async () => {
    const version = await rig.register('candidate-good');
    const { handle } = await startRollout(rig.client, {
      // alpha 0.001: equal error rates are called a tie in all but 0.1% of runs.
      plan: abPlan({ metric: 'error_rate', on_tie: 'keep-new', alpha: 0.001 }),
      edgeCases: [],
      version,
      triggeredBy: 'test',
    });
    const report = await rolloutReport(handle);
    const ab = report.regions[0].checks.find((c) => c.check === 'ab')! as any;
    expect([report.outcome, ab.winner]).toEqual(['succeeded', 'tie']);
    await invariantHolds();
  });

  it('hands the choice to a person with the report when decide_by is approval', async () => {
    const version = await rig.register('candidate-good');
    const { handle } = await startRollout(rig.client, {
      plan: abPlan({ metric: 'latency_p50', decide_by: 'approval' }),
      edgeCases: [],
      version,
      triggeredBy: 'test',
    });
    const status = await until(
      'awaiting approval',
      async () => {
        const s = await handle.query(rolloutStatusQuery);
        return s.regions[0]?.phase === 'awaiting-approval' ? s : undefined;
      },
      60_000,
    );
    const ab = status.regions[0].checks.find((c: any) => c.check === 'ab') as any;
    expect(ab.evidence.decision.metric).toBe('latency_p50');
    expect(ab.evidence.decision.batches).toBeGreaterThan(0);
    expect(ab.evidence.decision.champion.requests).toBeGreaterThan(0);
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', reason: 'new one is faster' }] });
    const report = await rolloutReport(handle);
    expect(report.outcome).toBe('succeeded');
    expect(report.regions[0].approvals).toMatchObject([{ stage: 'ab', decision: 'approved', by: 'alice' }]);
    await invariantHolds();
  });
});

describe('pause', () => {
  it('reaches a region in an A/B stage, and resume lets it finish', async () => {
    const version = await rig.register('candidate-good');
    const plan = rig.plan({
      regions: rig.plan().regions.slice(0, 1),
      tests: { health: { queries: 1, input: { amount: 120 } } },
      stages: [{ name: 'ab', traffic: 50, bake: '3s', ab: { probe_rps: 20, on_tie: 'keep-new', alpha: 0.001 } }],
    });
    const { handle, workflowId } = await startRollout(rig.client, {
      plan,
      edgeCases: [],
      version,
      triggeredBy: 'test',
    });
    await until('A/B running', async () => {
      const s = await handle.query(rolloutStatusQuery);
      return s.regions[0]?.phase === 'ab-testing' ? true : undefined;
    });
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice' }] });
    const region = rig.client.workflow.getHandle(regionWorkflowId(workflowId, 'us-east-1'));
    await until('the region paused', async () => ((await region.query(regionStatusQuery)).paused ? true : undefined));
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] });
    expect((await rolloutReport(handle)).outcome).toBe('succeeded');
    await invariantHolds();
  });
});
