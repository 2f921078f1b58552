import { startEmulator } from '../../src/emulator';
import { generateWorld, regionNames } from '../../src/emulator/generate-world';
import { parseWorld } from '../../src/emulator/world';
import { call } from '../support/emulator';

describe('the N-region world generator', () => {
  it('names regions after real ones, then with suffixes, never twice', () => {
    const names = regionNames(45);
    expect(names.slice(0, 3)).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-1']);
    expect(names[20]).toBe('us-east-1-2');
    expect(new Set(names).size).toBe(45);
  });

  it('generates a valid 50-region world whose replicas all see the shared model and serve it', async () => {
    const world = parseWorld(generateWorld({ regions: 50, replicationDelay: '50ms', configUpdateDuration: '50ms' }));
    expect(world.regions).toHaveLength(50);
    const emu = await startEmulator(world);
    try {
      const last = emu.regions[49];
      const token = emu.token(last);
      const model = await call(emu, last, 'GET', '/api/2.1/unity-catalog/models/ml_shared.ml.fraud_detector', {
        token,
      });
      expect(model.status).toBe(200);
      const answer = await call(emu, last, 'POST', '/serving-endpoints/fraud-detector/invocations', {
        token,
        body: { dataframe_records: [{ amount: 100 }] },
      });
      expect([answer.status, answer.headers.get('served-model-name')]).toEqual([200, 'fraud_detector-1']);
    } finally {
      await emu.close();
    }
  });

  it('makes every endpoint route-optimized on request, queryable at its data plane only', async () => {
    const world = parseWorld(generateWorld({ regions: 2, routeOptimized: true }));
    expect(world.regions.map((r) => r.endpoints[0].route_optimized)).toEqual([true, true]);
    expect(parseWorld(generateWorld({ regions: 1 })).regions[0].endpoints[0].route_optimized).toBe(false);
    const emu = await startEmulator(world);
    try {
      const region = emu.regions[1];
      const token = emu.token(region);
      const endpoint = await call(emu, region, 'GET', '/api/2.0/serving-endpoints/fraud-detector', { token });
      expect(endpoint.body.data_plane_info.query_info.endpoint_url).toContain('/serving-data-plane/');
      const answer = await call(emu, region, 'POST', '/serving-endpoints/fraud-detector/invocations', {
        token,
        body: { dataframe_records: [{ amount: 100 }] },
      });
      expect(answer.status).toBe(400);
    } finally {
      await emu.close();
    }
  });

  it('refuses a region count out of range', () => {
    expect(() => generateWorld({ regions: 0 })).toThrow('--regions must be an integer from 1 to 500');
    expect(() => generateWorld({ regions: 2.5 })).toThrow('--regions');
  });
});
