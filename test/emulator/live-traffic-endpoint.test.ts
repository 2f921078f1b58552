/**
 * Live traffic declared in the world, running in the emulator: users call the endpoint without anyone calling it,
 * routed by the config in effect when each metric minute started; the world refuses bad live_traffic with its path.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { parsePrometheusText } from '../../src/databricks/metrics';
import { readMetricMinutes } from '../../src/databricks/serving-metrics';
import { parseWorld, WorldError, type WorldInput } from '../../src/emulator/world';
import { call, eventually, MODEL, splitConfig, testWorld } from '../support/emulator';

const MINUTE = 60_000;

function liveWorld(liveTraffic: unknown, timeScale = 600): WorldInput {
  const world = testWorld({
    models: [
      {
        name: MODEL,
        versions: [
          { version: 1, behavior: 'champion' },
          { version: 2, behavior: 'challenger' },
        ],
      },
    ],
  });
  const [us, eu] = world.regions;
  return {
    ...world,
    time_scale: timeScale,
    regions: [{ ...us, endpoints: [{ ...us.endpoints![0], live_traffic: liveTraffic as never }] }, eu],
  };
}

let emu: RunningEmulator;
afterEach(() => emu?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('runs without anyone calling the endpoint, at the declared rate', async () => {
  emu = await startEmulator(liveWorld({ rps: 10 }));
  await sleep(300);
  const reply = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/churn/metrics');
  const [minute] = readMetricMinutes(parsePrometheusText(reply.text).samples);
  const requests = minute.entities.get('churn-1')!.requests!;
  // Poisson(600): within 6 sd.
  expect(Math.abs(requests - 600)).toBeLessThan(6 * Math.sqrt(600));
  expect(minute.entities.get('churn-1')!.quantilesMs.p50).toBe(2); // the champion's constant 2 ms
});

it('routes each minute by the config in effect when it started, across a config change', async () => {
  emu = await startEmulator(liveWorld({ rps: 5, inputs: [{ tenure: 3 }] }));
  await sleep(350);
  const put = await call(emu, 'us-east-1', 'PUT', '/api/2.0/serving-endpoints/churn/config', {
    body: splitConfig(MODEL, '1', '2', 100),
  });
  expect(put.status).toBe(200);
  await eventually(async () => {
    const e = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/churn');
    return e.body.state.config_update === 'NOT_UPDATING' ? true : undefined;
  });
  await sleep(400);
  await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/churn'); // settles: simulates up to now
  const workspace = emu.emulator.workspace('us-east-1');
  const endpoint = workspace.serving.endpoints.get('churn')!;
  const settled = Date.parse(endpoint.updateLog.at(-1)!.settled_at!);
  const switchMinute = Math.ceil(emu.emulator.metricClock.at(settled) / MINUTE);
  const minutesOf = (name: string) => [...(endpoint.metrics.get(name)?.minutes.keys() ?? [])];
  const before = minutesOf('churn-1');
  const after = minutesOf('challenger');
  // Before the change: the original entity only; from the first minute that started after it: the challenger only.
  expect(before.length).toBeGreaterThan(1);
  expect(after.length).toBeGreaterThan(1);
  expect(Math.max(...before)).toBe(switchMinute - 1);
  expect(Math.min(...after)).toBe(switchMinute);
  expect(minutesOf('champion')).toEqual([]); // routed 0% after the change
  // Every minute up to the last completed one is simulated, once.
  const lastComplete = emu.emulator.metricClock.minute(Date.now()) - 1;
  expect(Math.max(...after)).toBeGreaterThanOrEqual(lastComplete - 1);
});

describe('the world', () => {
  const problems = (liveTraffic: unknown, timeScale?: unknown) => {
    try {
      parseWorld({ ...liveWorld(liveTraffic), time_scale: timeScale ?? 1 });
    } catch (err) {
      if (err instanceof WorldError) return err.problems;
      throw err;
    }
    throw new Error('expected the world to be refused');
  };
  const at = 'regions[0].endpoints[0].live_traffic';

  it('refuses bad live_traffic and time_scale, naming the field', () => {
    expect(problems({ rps: -1 })).toEqual([`${at}.rps: must be >= 0`]);
    expect(
      problems({
        rps: 1,
        shape: {
          steps: [
            { at: '1h', rps: 1 },
            { at: '30m', rps: 2 },
          ],
        },
      })[0],
    ).toMatch(new RegExp(`^${at.replace(/[[\].]/g, '\\$&')}\\.shape\\.steps: steps must be in ascending order`));
    expect(problems({ rps: 1, shape: { diurnal: { peak: 0.5, trough: 1 } } })[0]).toMatch(/shape\.diurnal\.peak/);
    expect(problems({ rps: 1, inputs: [] })[0]).toMatch(/live_traffic\.inputs/);
    expect(problems({ rps: 1, rate: 3 })[0]).toMatch(/live_traffic\.rate: unknown field/);
    expect(problems({ rps: 1 }, 0)).toEqual(['time_scale: must be > 0']);
  });

  it('accepts the documented shapes', () => {
    const world = parseWorld(
      liveWorld({
        rps: 2,
        shape: { diurnal: { peak: 1.5, trough: 0.5, period: '24h' } },
        inputs: { mix: [{ weight: 2, record: { tenure: 1 } }] },
      }),
    );
    expect(world.regions[0].endpoints[0].live_traffic?.shape).toEqual({
      diurnal: { peak: 1.5, trough: 0.5, period: 86_400_000 },
    });
    expect(parseWorld(liveWorld({ rps: 1 })).regions[0].endpoints[0].live_traffic?.shape).toBe('constant');
  });
});
