/**
 * The two activities of after_promotion against the emulator as Databricks is: live users, a metrics export showing
 * only the last minute, a metric clock 600× faster (a metric minute per 100 ms). The baseline is recorded as minutes
 * pass and resumes from its heartbeat; the watch resumes where a stopped attempt left off; an export that cannot be
 * read is a non-retryable failure that says what needs it.
 */
import { quietActivityEnvironment } from '../support/activity-environment';
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
  // The users arrive with the emulator: until its first metric minute has ended, the export shows the minute before
  // it, with no requests.
  await new Promise((resolve) => setTimeout(resolve, 250));
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
  // The minutes of the first attempt are kept, then as many new ones as make the baseline's 8, each read once.
  expect(minutes.slice(0, resumed.minutes.length)).toEqual(resumed.minutes);
  expect(minutes).toHaveLength(8);
  expect(minutes.every((m, i) => i === 0 || m.timestamp > minutes[i - 1].timestamp)).toBe(true);
  // About 600 requests a minute (10 per second) from the live users, all to v1.
  expect(minutes.map((m) => [m.timestamp, m.entities.v1.requests > 300, m.entities.v1.requests])).toEqual(
    minutes.map((m) => [m.timestamp, true, m.entities.v1.requests]),
  );
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
  // A first attempt stops after its first look (a worker restart); it may have decided already by then.
  const stop = new AbortController();
  let last: AfterPromotionProgress | undefined;
  const first = await judgeAfterPromotionWith(client, input, {
    signal: stop.signal,
    onLook: (p) => {
      last ??= structuredClone(p);
      stop.abort(new Error('worker stopped'));
    },
  }).catch((err: unknown) => err as Error);
  const decidedFirst = first instanceof Error ? undefined : first;
  // Stopped undecided, the retry carries on from the heartbeated judge and minutes; decided on the first look, it
  // returns the same decision without judging again.
  expect(last!.regressedAtMs).toBe(decidedFirst?.atMs);
  const result = await judgeAfterPromotionWith(client, input, { resumed: last });
  if (decidedFirst) expect(result.atMs).toBe(decidedFirst.atMs);
  expect(result).toMatchObject({ check: 'after-promotion', passed: false, regressed: true });
  expect(result.atMs).toBeLessThan(10 * MINUTE);
  expect(result.summary).toMatch(
    /^REGRESSED \d+ metric minutes? after promotion \(\d+ requests to v2 after promotion, \d+ to v1 before the rollout\): errors-5xx \(live\) worse beyond the margin/,
  );
}, 30_000);

it('fails without retrying, saying what needs it, when the metrics export cannot be read', async () => {
  const activities = createAnalysisActivities(new WorkspaceClients({ clientOptions: { token: TOKEN } }));
  const failure: unknown = await quietActivityEnvironment()
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
