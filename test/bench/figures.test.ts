/** The benchmark arithmetic: critical-path bound, polling notices, call counts, history counts, targets. */
import {
  configUpdateNotices,
  criticalPathBound,
  historyCounts,
  managementCalls,
  quantile,
  replicationNotices,
  pollingModel,
  upperBound95,
  type LoggedRequest,
} from '../../bench/figures';
import { rolloutCases, targetChecks, type BenchResults } from '../../bench/summary';

const get = (at: number, region: string, path: string, status = '200'): LoggedRequest => ({
  at,
  region,
  method: 'GET',
  path,
  status,
});

describe('criticalPathBound', () => {
  it('is the slowest region: replica wait after the start, updates and bakes', () => {
    const bound = criticalPathBound(
      [
        { region: 'primary', updates: 2, updateMs: 1000, bakeMs: 1000 },
        { region: 'far', visibleAt: 10_000 + 6000, updates: 2, updateMs: 1000, bakeMs: 1000 },
        { region: 'near', visibleAt: 10_000 + 4000, updates: 2, updateMs: 1500, bakeMs: 1000 },
      ],
      10_000,
    );
    expect(bound).toEqual({ ms: 9000, region: 'far' });
  });

  it('counts no replica wait for a replica that was visible before the start', () => {
    expect(criticalPathBound([{ region: 'r', visibleAt: 5, updates: 3, updateMs: 100, bakeMs: 50 }], 1000).ms).toBe(
      350,
    );
  });
});

describe('polling notices', () => {
  const endpoint = '/api/2.0/serving-endpoints/fraud-detector';
  const log: LoggedRequest[] = [
    get(0, 'eu', endpoint),
    { at: 100, region: 'eu', method: 'PUT', path: `${endpoint}/config`, status: '200' },
    get(150, 'eu', endpoint),
    get(600, 'us', endpoint),
    get(900, 'eu', endpoint),
    get(1200, 'eu', endpoint),
    get(1500, 'eu', endpoint),
  ];

  it('finds the first endpoint read after an update settles, and the reads it took', () => {
    expect(configUpdateNotices(log, () => 1000)).toEqual([
      { region: 'eu', what: 'config-update', lagMs: 100, calls: 3 },
    ]);
  });

  it('ignores a refused update', () => {
    const refused = log.map((r) => (r.method === 'PUT' ? { ...r, status: '409' } : r));
    expect(configUpdateNotices(refused, () => 1000)).toEqual([]);
  });

  it('finds the first model-version read answered 200 after the replica appeared', () => {
    const version = '/api/2.1/unity-catalog/models/ml_shared.ml.m/versions/2';
    const reads = [get(0, 'eu', version, '404'), get(300, 'eu', version, '404'), get(700, 'eu', version)];
    expect(replicationNotices(reads, new Map([['eu', 500]]))).toEqual([
      { region: 'eu', what: 'replication', lagMs: 200, calls: 3 },
    ]);
  });

  it('counts management calls per region by kind, without invocations or admin routes', () => {
    const calls = managementCalls([
      ...log,
      { at: 1, region: 'eu', method: 'POST', path: '/serving-endpoints/fraud-detector/invocations', status: '200' },
      get(2, 'eu', '/__emulator/state'),
    ]);
    expect(calls.get('eu')).toEqual({ 'GET endpoint': 5, 'PUT endpoint config': 1 });
    expect(calls.get('us')).toEqual({ 'GET endpoint': 1 });
  });
});

it('pollingModel follows the doubling schedule up to its cap', () => {
  // Reads at 0, 50, 150, 350, 600, 850, 1100 ms: a change at 1000 ms is seen by the 7th, 100 ms later.
  expect(pollingModel({ initialMs: 50, maxMs: 250 }, 1000)).toEqual({ lagMs: 100, calls: 7 });
  // Reads at 0, 1, 3, 7, 15, 25, ... 305 s: a 5-minute wait costs 34 reads and is seen 5 s late.
  expect(pollingModel({ initialMs: 1000, maxMs: 10_000 }, 300_000)).toEqual({ lagMs: 5000, calls: 34 });
  expect(pollingModel({ initialMs: 1000, maxMs: 10_000 }, 0)).toEqual({ lagMs: 0, calls: 1 });
});

it('quantile is nearest-rank', () => {
  expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
  expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
  expect(quantile([], 0.5)).toBeNaN();
});

it('historyCounts separates commands and workflow tasks from other events', () => {
  expect(
    historyCounts({
      WORKFLOW_EXECUTION_STARTED: 1,
      WORKFLOW_TASK_COMPLETED: 4,
      ACTIVITY_TASK_SCHEDULED: 3,
      ACTIVITY_TASK_COMPLETED: 3,
      SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: 2,
      WORKFLOW_EXECUTION_COMPLETED: 1,
    }),
  ).toEqual({ events: 14, commands: 6, workflowTasks: 4 });
});

it('upperBound95 is the Clopper-Pearson one-sided bound (0 of 20: 1 - 0.05^(1/20))', () => {
  expect(upperBound95(0, 20)).toBeCloseTo(1 - Math.pow(0.05, 1 / 20), 6);
  expect(upperBound95(1, 20)).toBeGreaterThan(upperBound95(0, 20));
  expect(upperBound95(20, 20)).toBe(1);
});

describe('targetChecks', () => {
  const machine = { cores: 2, cpu: 'x', memoryGiB: 24, node: 'v20', loadAverageAtStart: [1], date: '', command: '' };
  const row = (regions: number, ratio: number) => ({
    regions,
    ratio,
    parallelWallMs: 1,
    boundMs: 1,
    slowestRegion: 'x',
    preflightMs: 0,
    outcomes: 'succeeded',
  });

  it('marks each fan-out target met or not by its own limit', () => {
    const results: BenchResults = { machine, quick: false, fanout: [row(20, 1.06), row(50, 1.06)] };
    const checks = targetChecks(results);
    expect(checks.find((c) => c.target.includes('20 regions'))?.met).toBe(false);
    expect(checks.find((c) => c.target.includes('50 regions'))?.met).toBe(true);
  });

  it('says "not run" for sections that did not run', () => {
    const checks = targetChecks({ machine, quick: true });
    expect(checks.every((c) => c.met === undefined && c.measured === 'not run')).toBe(true);
  });

  it('compares the worker peak against 300 MB, not MiB', () => {
    const scale = {
      worker: 'compiled' as const,
      rollouts: 20,
      regionsPerRollout: 5,
      succeeded: 20,
      outcomes: { succeeded: 20 },
      wallSeconds: 1,
      peakRssMiB: 280,
      lifetimePeakRssMiB: 290, // 304 MB
      idleRssMiB: 1,
      cpuCores: 1,
      cpuSeconds: 1,
    };
    const checks = targetChecks({ machine, quick: false, scale });
    expect(checks.find((c) => c.target.includes('RSS'))?.met).toBe(false);
    expect(checks.find((c) => c.target.includes('complete'))?.met).toBe(true);
  });
});

it('rolloutCases counts the runs that reached the canary, were failed by it and were rolled back', () => {
  const run = (detected: boolean, secondsToVerdict?: number, outcome = 'rolled-back') => ({
    case: 'bad',
    outcome,
    detected,
    secondsToVerdict,
    secondsToRolledBack: secondsToVerdict === undefined ? undefined : secondsToVerdict + 1,
  });
  const verdict = {
    power: { seeds: 0, figures: {} },
    falseFailure: { failed: 0, runs: 0, rate: 0, upper95: 0 },
    rollouts: { runs: [run(true, 1), run(true, 3), run(false, 6, 'succeeded'), run(false)], byCase: {} },
  };
  expect(rolloutCases(verdict).bad).toEqual({
    rollouts: 4,
    reached: 3,
    detected: 2,
    rolledBack: 3,
    medianToVerdict: 1,
    p95ToVerdict: 3,
    medianToRolledBack: 2,
    p95ToRolledBack: 4,
  });
});
