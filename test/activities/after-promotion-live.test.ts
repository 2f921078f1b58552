/**
 * The two activities of after_promotion against the emulator as Databricks is: live users, a metrics export showing
 * only the last minute, a metric clock 600× faster (a metric minute per 100 ms). The baseline is recorded as minutes
 * pass and resumes from its heartbeat; the watch resumes where a stopped attempt left off; an export that cannot be
 * read is a non-retryable failure that says what needs it.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import {
  judgeAfterPromotionWith,
  recordBaselineWith,
  type AfterPromotionProgress,
  type BaselineProgress,
} from '../../src/activities/after-promotion';
import { createAnalysisActivities, WorkspaceClients } from '../../src/activities';
import { DatabricksClient } from '../../src/databricks';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import type { WorldInput } from '../../src/emulator/world';

const TOKEN = 'dapi-after-promotion-01';
const MODEL = 'main.ml.scorer';
const MINUTE = 60_000;

const world = {
  seed: 11,
  time_scale: 600,
  primary: 'us-east-1',
  principals: [{ name: 'watcher', token: TOKEN }],
  behaviors: {
    current: { latency: { distribution: 'lognormal', median: 20, p99: 60 }, error_rate: 0.002 },
    worse: { latency: { distribution: 'lognormal', median: 20, p99: 60 }, error_rate: 0.08 },
  },
  models: [
    {
      name: MODEL,
      versions: [
        { version: 1, behavior: 'current' },
        { version: 2, behavior: 'worse' },
      ],
    },
  ],
  regions: [
    {
      name: 'us-east-1',
      endpoints: [
        {
          name: 'scorer',
          served_entities: [{ name: 'v1', entity_name: MODEL, entity_version: '1' }],
          live_traffic: { rps: 10, inputs: [{ x: 1 }] },
        },
      ],
    },
  ],
} as unknown as WorldInput;

let emu: RunningEmulator;
let client: DatabricksClient;
beforeEach(async () => {
  emu = await startEmulator(world);
  client = new DatabricksClient({ host: emu.url('us-east-1'), token: TOKEN, env: {} });
});
afterEach(() => emu.close());

const target = () => ({ region: 'us-east-1', workspace: { host: emu.url('us-east-1') }, endpoint: 'scorer' });

/** Serves v2 alone, as a promotion does, and waits until the update has landed. */
async function promoteV2() {
  await client.serving.updateEndpointConfig('scorer', {
    served_entities: [
      { name: 'v2', entity_name: MODEL, entity_version: '2', workload_size: 'Small', scale_to_zero_enabled: false },
    ],
    traffic_config: { routes: [{ served_entity_name: 'v2', traffic_percentage: 100 }] },
  });
  await client.serving.waitForEndpointNotUpdating('scorer', { timeoutMs: 10_000 });
}

it('records the baseline minute by minute from an export showing one, and resumes from its heartbeat', async () => {
  const looks: BaselineProgress[] = [];
  const stop = new AbortController();
  // A first attempt stops (a worker restart) once it has kept three minutes.
  await expect(
    recordBaselineWith(
      client,
      { ...target(), durationMs: 8 * MINUTE },
      {
        signal: stop.signal,
        onLook: (p) => {
          looks.push(structuredClone(p));
          if (p.minutes.length >= 3) stop.abort(new Error('worker stopped'));
        },
      },
    ),
  ).rejects.toThrow();
  const resumed = looks.at(-1)!;
  expect(resumed.minutes.length).toBeGreaterThanOrEqual(3);
  const minutes = await recordBaselineWith(client, { ...target(), durationMs: 8 * MINUTE }, { resumed });
  // The minutes of the first attempt are kept; the span is the baseline's (8 consecutive minutes at most).
  expect(minutes.slice(0, 3)).toEqual(resumed.minutes.slice(0, 3));
  expect(minutes.length).toBeGreaterThanOrEqual(6);
  expect(minutes.at(-1)!.timestamp - minutes[0].timestamp).toBeLessThan(8 * MINUTE);
  expect(minutes.at(-1)!.timestamp - minutes[0].timestamp).toBeGreaterThanOrEqual(7 * MINUTE);
  expect(new Set(minutes.map((m) => m.timestamp)).size).toBe(minutes.length);
  expect(minutes.every((m) => m.entities.v1.requests > 300)).toBe(true);
}, 30_000);

it('fails the promoted version once its live minutes regress against the baseline, resuming a stopped attempt', async () => {
  const baseline = await recordBaselineWith(client, { ...target(), durationMs: 5 * MINUTE });
  await promoteV2();
  const input = {
    ...target(),
    before: baseline.map((m) => m.entities.v1),
    beforeEntity: 'v1',
    afterEntity: 'v2',
    watchMs: 60 * MINUTE,
  };
  const stop = new AbortController();
  let last: AfterPromotionProgress | undefined;
  await expect(
    judgeAfterPromotionWith(client, input, {
      signal: stop.signal,
      onLook: (p) => {
        last = structuredClone(p);
        if (p.paired >= 1) stop.abort(new Error('worker stopped'));
      },
    }),
  ).rejects.toThrow();
  expect(last!.paired).toBeGreaterThanOrEqual(1);
  const result = await judgeAfterPromotionWith(client, input, { resumed: last });
  expect(result).toMatchObject({ check: 'after-promotion', passed: false, regressed: true });
  expect(result.atMs).toBeLessThan(10 * MINUTE);
  expect(result.summary).toMatch(
    /^REGRESSED \d+ metric minutes? after promotion \(\d+ requests to v2 after promotion, \d+ to v1 before the rollout\): errors-5xx \(live\) worse beyond the margin/,
  );
}, 30_000);

it('fails without retrying, saying what needs it, when the metrics export cannot be read', async () => {
  const activities = createAnalysisActivities(new WorkspaceClients({ clientOptions: { token: TOKEN } }));
  const failure: unknown = await new MockActivityEnvironment()
    .run((input: Parameters<typeof activities.recordBaseline>[0]) => activities.recordBaseline(input), {
      ...target(),
      endpoint: 'no-such-endpoint',
      durationMs: 5 * MINUTE,
    })
    .catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  expect((failure as ApplicationFailure).message).toMatch(
    /^us-east-1\/no-such-endpoint: after_promotion cannot record its baseline from the endpoint's metrics export: /,
  );
}, 30_000);
