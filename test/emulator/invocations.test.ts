import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { call, eventually, MODEL, QUERY_TOKEN, splitConfig, testWorld } from '../support/emulator';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator(
    testWorld({
      models: [
        {
          name: MODEL,
          versions: [
            { version: 1, behavior: 'champion' },
            { version: 2, behavior: 'challenger' },
            { version: 3, behavior: 'flaky' },
          ],
        },
      ],
    }),
  );
});
afterAll(() => emu.close());

async function serve(config: unknown) {
  await eventually(async () => {
    const e = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/churn');
    return e.body.state.config_update === 'IN_PROGRESS' ? undefined : true;
  });
  expect(
    (await call(emu, 'us-east-1', 'PUT', '/api/2.0/serving-endpoints/churn/config', { body: config })).status,
  ).toBe(200);
  await eventually(async () => {
    const e = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/churn');
    return e.body.state.config_update === 'NOT_UPDATING' ? true : undefined;
  });
}

const query = (body: unknown, path = '/serving-endpoints/churn/invocations') =>
  call(emu, 'us-east-1', 'POST', path, { body, token: QUERY_TOKEN });

/**
 * What the endpoint counted per served entity, summed over its metric minutes (read in-process: the export shows one
 * minute at a time, see metrics-export.test.ts).
 */
function counted(entity: string) {
  const minutes = emu.emulator.workspace('us-east-1').serving.endpoints.get('churn')!.metrics.get(entity);
  const sum = { requests: 0, errors4xx: 0, errors5xx: 0, latencies: 0 };
  for (const bucket of minutes?.minutes.values() ?? []) {
    sum.requests += bucket.requests;
    sum.errors4xx += bucket.errors4xx;
    sum.errors5xx += bucket.errors5xx;
    sum.latencies += bucket.latenciesMs.length;
  }
  return sum;
}

describe('invocations', () => {
  it('accepts the four MLflow input formats and answers {predictions}', async () => {
    // champion: round(0.5 * tenure + 1, 2)
    const formats: unknown[] = [
      { dataframe_records: [{ tenure: 2 }, { tenure: 4 }] },
      { dataframe_split: { columns: ['tenure'], data: [[2], [4]] } },
      { instances: [{ tenure: 2 }, { tenure: 4 }] },
      { inputs: { tenure: [2, 4] } },
    ];
    for (const body of formats) {
      const answer = await query(body);
      expect([answer.status, answer.body]).toEqual([200, { predictions: [2, 3] }]);
      expect(answer.headers.get('served-model-name')).toBe('churn-1');
    }
  });

  it('refuses malformed scoring requests with 400 BAD_REQUEST and counts them as 4xx', async () => {
    const bad: unknown[] = [
      {},
      { dataframe_records: [{ tenure: 1 }], instances: [] },
      { dataframe_records: 'x' },
      { dataframe_split: { columns: ['tenure'], data: [[1, 2]] } },
      { dataframe_records: [{ age: 3 }] },
      { dataframe_records: [{ tenure: 'long' }] },
      [1, 2],
    ];
    for (const body of bad) {
      const answer = await query(body);
      expect([answer.status, answer.body.error_code]).toEqual([400, 'BAD_REQUEST']);
    }
    const missing = await query({ dataframe_records: [{ age: 3 }] });
    expect(missing.body.message).toMatch(/missing inputs \['tenure'\]/);
  });

  it('splits traffic by weight within binomial tolerance, and routes per served model regardless of weight', async () => {
    await serve(splitConfig(MODEL, '1', '2', 20));
    const before = { champion: counted('champion'), challenger: counted('challenger') };
    const n = 1000;
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < n / 50; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => query({ dataframe_records: [{ tenure: 2 }] })),
      );
      for (const a of answers) {
        const served = a.headers.get('served-model-name')!;
        counts[served] = (counts[served] ?? 0) + 1;
        // The challenger answers 0.5 * tenure + 2, the champion 0.5 * tenure + 1.
        expect(a.body.predictions).toEqual([served === 'challenger' ? 3 : 2]);
      }
    }
    // Binomial(1000, 0.2): sd = 12.6; accept within 4 sd of 200 (false alarm < 1e-4 for a fair split).
    expect(Math.abs(counts.challenger - 200)).toBeLessThanOrEqual(51);
    expect(counts.champion + counts.challenger).toBe(n);
    // Metrics agree with what clients saw.
    const after = { champion: counted('champion'), challenger: counted('challenger') };
    expect(after.challenger.requests - before.challenger.requests).toBe(counts.challenger);
    expect(after.champion.requests - before.champion.requests).toBe(counts.champion);
    // Every one answered 2xx, so each has a latency in its minute.
    expect(after.challenger.latencies - before.challenger.latencies).toBe(counts.challenger);

    await serve(splitConfig(MODEL, '1', '2', 0));
    for (let i = 0; i < 20; i++)
      expect((await query({ dataframe_records: [{ tenure: 2 }] })).headers.get('served-model-name')).toBe('champion');
    const direct = await query(
      { dataframe_records: [{ tenure: 2 }] },
      '/serving-endpoints/churn/served-models/challenger/invocations',
    );
    expect([direct.status, direct.headers.get('served-model-name'), direct.body]).toEqual([
      200,
      'challenger',
      { predictions: [3] },
    ]);
    const ghost = await query({ inputs: [[1]] }, '/serving-endpoints/churn/served-models/ghost/invocations');
    expect(ghost.status).toBe(404);
  });

  it("injects the version's error rate with its status, counted as 5xx per served entity", async () => {
    await serve(splitConfig(MODEL, '1', '3', 0));
    const answer = await query({ inputs: [[1]] }, '/serving-endpoints/churn/served-models/challenger/invocations');
    expect([answer.status, answer.body.error_code, answer.headers.get('served-model-name')]).toEqual([
      503,
      'TEMPORARILY_UNAVAILABLE',
      'challenger',
    ]);
    expect(counted('challenger').errors5xx).toBeGreaterThanOrEqual(1);
  });

  it('degrades a version on demand (error rate and latency), then recovers when the fault is cleared', async () => {
    await serve(splitConfig(MODEL, '1', '2', 0));
    const fault = await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
      body: { kind: 'degrade_version', model: MODEL, version: 2, error_rate: 1, extra_latency: '80ms' },
    });
    expect(fault.status).toBe(200);
    const started = performance.now();
    const degraded = await query({ inputs: [[1]] }, '/serving-endpoints/churn/served-models/challenger/invocations');
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect(degraded.status).toBe(500);
    const champion = await query(
      { dataframe_records: [{ tenure: 1 }] },
      '/serving-endpoints/churn/served-models/champion/invocations',
    );
    expect(champion.status).toBe(200);
    await call(emu, 'us-east-1', 'DELETE', '/__emulator/faults');
    expect(
      (
        await query(
          { dataframe_records: [{ tenure: 1 }] },
          '/serving-endpoints/churn/served-models/challenger/invocations',
        )
      ).status,
    ).toBe(200);
  });

  it("adds the simulated network round trip between the client's region and the workspace", async () => {
    const timed = async (clientRegion: string) => {
      const started = performance.now();
      const answer = await call(emu, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
        body: { dataframe_records: [{ tenure: 1 }] },
        headers: { 'x-emulator-client-region': clientRegion },
      });
      expect(answer.status).toBe(200);
      return performance.now() - started;
    };
    const local = await timed('us-east-1');
    const transatlantic = await timed('eu-west-1');
    // Defaults: 50 ms in-region, 125 ms across the Atlantic, +-10% jitter.
    expect(local).toBeGreaterThanOrEqual(45);
    expect(transatlantic).toBeGreaterThanOrEqual(112);
    expect(transatlantic).toBeGreaterThan(local + 40);
    const unknown = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints', {
      headers: { 'x-emulator-client-region': 'mars-1' },
    });
    expect(unknown.status).toBe(400);
  });
});

describe('determinism', () => {
  it('gives the same ids and the same traffic routing for the same seed, and different ones for another seed', async () => {
    const run = async (seed: number) => {
      const world = testWorld();
      const e = await startEmulator({
        ...world,
        seed,
        regions: [
          { name: 'us-east-1', endpoints: [{ name: 'churn', ...splitConfig(MODEL, '1', '1', 50) }] },
          world.regions[1],
        ],
      });
      try {
        const endpoint = await call(e, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/churn');
        const routed: string[] = [];
        for (let i = 0; i < 32; i++) {
          const answer = await call(e, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
            body: { dataframe_records: [{ tenure: 1 }] },
          });
          routed.push(answer.headers.get('served-model-name')!);
        }
        return { id: endpoint.body.id, routed: routed.join(',') };
      } finally {
        await e.close();
      }
    };
    const first = await run(11);
    expect(await run(11)).toEqual(first);
    const other = await run(12);
    expect(other.id).not.toBe(first.id);
    expect(other.routed).not.toBe(first.routed);
  });
});
