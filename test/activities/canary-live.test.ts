/**
 * The canary and A/B activities against the emulator as Databricks is: live users split by the endpoint's
 * traffic_config, per-minute gauges in the metrics export, a metric clock running fast. Regressions of the issue on
 * live-traffic judgement:
 *   1. a version answering every request with a fast 400 passed the canary (only 5xx counted);
 *   2. every good canary failed on low-volume live traffic (a pass needed max_requests from the new version);
 *   3. only synthetic probes decided: the endpoint's metrics were recorded, never used;
 *   4. the A/B stage subtracted two metric readings as if they were counters;
 *   7. an A/B stage on latency_p50 took its direction from the medians and its evidence from Mann–Whitney.
 */
import { abTestWith } from '../../src/activities/ab-test';
import { judgeCanaryWith, type CanaryJudgementInput } from '../../src/activities/canary';
import { DatabricksClient } from '../../src/databricks';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import type { WorldInput } from '../../src/emulator/world';
import { canarySchema, planSchema } from '../../src/plan/schema';

const TOKEN = 'dapi-live-judge-0001';
const MODEL = 'main.ml.scorer';
const CURRENT = { latency: { distribution: 'lognormal', median: 40, p99: 120 }, error_rate: 0.001 };

function world(challenger: object, options: { rps: number; weight: number; timeScale: number; current?: object }) {
  return {
    seed: 7,
    time_scale: options.timeScale,
    primary: 'us-east-1',
    principals: [{ name: 'judge', token: TOKEN }],
    behaviors: { champion: options.current ?? CURRENT, challenger },
    models: [
      {
        name: MODEL,
        versions: [
          { version: 1, behavior: 'champion' },
          { version: 2, behavior: 'challenger' },
        ],
      },
    ],
    regions: [
      {
        name: 'us-east-1',
        endpoints: [
          {
            name: 'scorer',
            served_entities: [
              { name: 'champion', entity_name: MODEL, entity_version: '1' },
              { name: 'challenger', entity_name: MODEL, entity_version: '2' },
            ],
            traffic_config: {
              routes: [
                { served_entity_name: 'champion', traffic_percentage: 100 - options.weight },
                { served_entity_name: 'challenger', traffic_percentage: options.weight },
              ],
            },
            live_traffic: { rps: options.rps, inputs: [{ x: 1 }] },
          },
        ],
      },
    ],
  } as unknown as WorldInput;
}

let emu: RunningEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(challenger: object, options: Parameters<typeof world>[1]) {
  emu = await startEmulator(world(challenger, options));
  return new DatabricksClient({ host: emu.url('us-east-1'), token: TOKEN, env: {} });
}

function canaryInput(canary: object, windowMs: number): CanaryJudgementInput {
  return {
    region: 'us-east-1',
    workspace: { host: emu!.url('us-east-1') },
    endpoint: 'scorer',
    champion: 'champion',
    challenger: 'challenger',
    canary: canarySchema.parse(canary),
    windowMs,
    payloads: [{ x: 1 }, { x: 2 }],
  };
}

const HOUR = 3_600_000;
const evidenceOf = (result: { evidence?: unknown }) =>
  result.evidence as {
    sources: string[];
    metricElapsedMs?: number;
    verdict: { metrics: { metric: string; source: string; status: string }[]; sources: { batches: number }[] };
  };

test('3, 4: live traffic alone decides (no probes): +5 points of 5xx fail on the metrics export', async () => {
  const client = await start({ ...CURRENT, error_rate: 0.051 }, { rps: 5, weight: 10, timeScale: 1200 });
  const result = await judgeCanaryWith(client, canaryInput({ sources: ['live'] }, 6 * HOUR));
  expect(result.passed).toBe(false);
  expect(result.summary).toMatch(
    /^FAIL after \d+ metric minutes \(live: \d+ new \/ \d+ current requests\): errors-5xx \(live\) worse beyond the margin/,
  );
  const evidence = evidenceOf(result);
  expect(evidence.sources).toEqual(['live']);
  expect(evidence.verdict.metrics.every((m) => m.source === 'live')).toBe(true);
  expect(evidence.verdict.sources[0].batches).toBeGreaterThan(0);
}, 60_000);

test('2: at 1 request per second and a 10% weight, an equal version passes on live traffic within its window', async () => {
  const client = await start(CURRENT, { rps: 1, weight: 10, timeScale: 3000 });
  const result = await judgeCanaryWith(client, canaryInput({ sources: ['live'] }, 36 * HOUR));
  expect(result.passed).toBe(true);
  expect(result.summary).toMatch(
    /^PASS after \d+ metric minutes \(live: \d+ new \/ \d+ current requests\): no harm beyond the margins/,
  );
  // Judged on the export's timestamps: the metric time it took, not the (much shorter) wall time.
  expect(evidenceOf(result).metricElapsedMs).toBeGreaterThan(30 * 60_000);
}, 120_000);

test('1: a version that answers every request with a fast HTTP 400 fails the canary on probes', async () => {
  const fastRefusal = { latency: 2, error_rate: 1, error_status: 400 };
  const client = await start(fastRefusal, { rps: 0, weight: 10, timeScale: 1 });
  const result = await judgeCanaryWith(client, canaryInput({ sources: ['probes'], probe_rps: 50 }, 60_000));
  expect(result.passed).toBe(false);
  expect(result.summary).toMatch(/errors-4xx \(probes\) worse beyond the margin: 100\.00% of \d+ new-version requests/);
}, 60_000);

test('undecided at the deadline is never a pass: it says what the plan makes of it', async () => {
  const client = await start(CURRENT, { rps: 0.2, weight: 10, timeScale: 6000 });
  const result = await judgeCanaryWith(client, canaryInput({ sources: ['live'], on_deadline: 'approval' }, HOUR));
  expect(result).toMatchObject({ passed: false, undecided: true });
  expect(result.summary).toMatch(
    /^UNDECIDED at the deadline \(\d+ metric minutes; .*\); handed to the approval gate: /,
  );
}, 60_000);

const abSettings = (ab: object) => planSchema.shape.stages.element.shape.ab.unwrap().parse(ab);

test('4: an A/B stage on live error rates picks the version with fewer errors, from per-minute gauges', async () => {
  const client = await start(
    { ...CURRENT, error_rate: 0.002 },
    { rps: 10, weight: 50, timeScale: 1200, current: { ...CURRENT, error_rate: 0.03 } },
  );
  const result = await abTestWith(client, {
    ...canaryInput({}, HOUR),
    ab: abSettings({ metric: 'error_rate', source: 'live', probe_rps: 0 }),
    windowMs: 6 * HOUR,
  });
  expect(result.winner).toBe('challenger');
  expect(result.summary).toMatch(
    /^A\/B on error_rate, decided on live traffic after \d+ minutes: the new version wins/,
  );
}, 60_000);

test('7: on latency_p50 the winner goes the way of the evidence: a slower new version never wins', async () => {
  // The previous A/B took its p-value from Mann–Whitney and its direction from the medians, two statistics that can
  // disagree. Now one statistic (per-minute p50 comparisons) gives both: the side whose e-process crossed wins.
  const slowerAtMedian = { latency: { distribution: 'lognormal', median: 48, p99: 90 }, error_rate: 0.001 };
  const client = await start(slowerAtMedian, { rps: 20, weight: 50, timeScale: 1200 });
  const result = await abTestWith(client, {
    ...canaryInput({}, HOUR),
    ab: abSettings({ metric: 'latency_p50', source: 'live', probe_rps: 0 }),
    windowMs: 6 * HOUR,
  });
  const decision = (result.evidence as { decision: { evidence: { worse: number; better: number; threshold: number } } })
    .decision;
  expect(result.winner).toBe('champion');
  expect(decision.evidence.worse).toBeGreaterThanOrEqual(decision.evidence.threshold);
  expect(decision.evidence.better).toBeLessThan(decision.evidence.threshold);
}, 60_000);

test('paired replay: the same inputs to both versions; the new version failing where the current one answers fails', async () => {
  const client = await start({ ...CURRENT, error_rate: 0.2 }, { rps: 0, weight: 10, timeScale: 1 });
  const result = await judgeCanaryWith(client, canaryInput({ sources: ['paired'], probe_rps: 50 }, 60_000));
  expect(result.passed).toBe(false);
  expect(result.summary).toMatch(
    /^FAIL after \d+s \(paired: \d+ new \/ \d+ current requests\): errors-5xx \(paired\) worse/,
  );
}, 60_000);
