import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator';
import { loadWorldFile, parseWorld, WorldError } from '../../src/emulator/world';
import { testWorld } from '../support/emulator';

function problems(input: unknown): string[] {
  try {
    parseWorld(input);
  } catch (err) {
    if (err instanceof WorldError) return err.problems;
    throw err;
  }
  throw new Error('expected the world to be refused');
}

describe('world files', () => {
  it('ships worlds that load and start', async () => {
    const world = loadWorldFile(join(__dirname, '../../worlds/three-regions.yaml'));
    expect(world.regions.map((r) => r.name)).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-1']);
    // Start-up time (~25 ms here; the bound is 2 s) is a benchmark figure, not a test assertion.
    const emu = await startEmulator(world);
    expect(emu.regions).toHaveLength(3);
    await emu.close();
  });

  it('names the path of every bad field', () => {
    const base = testWorld();
    expect(problems({ ...base, primary: 'mars-1' })).toEqual(['primary: "mars-1" is not one of regions[].name']);
    expect(problems({ ...base, defaults: { replication_delay: '2 weeks' } })[0]).toMatch(
      /^defaults.replication_delay: .*"2 weeks" is not a duration/,
    );
    expect(
      problems({ ...base, models: [{ name: 'main.ml.churn', versions: [{ version: 1, behavior: 'ghost' }] }] }),
    ).toEqual(['models[0].versions[0].behavior: unknown behavior "ghost"; define it under behaviors:']);
    expect(problems({ ...base, regions: [...base.regions, base.regions[1]] })).toContain(
      'regions[2].name: duplicate region "eu-west-1"',
    );
    expect(problems({ ...base, principals: [{ name: 'x' }] })).toEqual([
      'principals[0]: give a token or a client_id/client_secret',
    ]);
    expect(problems({ ...base, behaviors: { ...base.behaviors, b: { error_rate: 1.5 } } })).toEqual([
      'behaviors.b.error_rate: must be between 0 and 1',
    ]);
    expect(
      problems({
        ...base,
        sharing: { shares: [{ name: 's', objects: [{ name: 'a.b.c' }], recipients: ['us-east-1'] }] },
      }),
    ).toEqual([
      'sharing.shares[0].objects[0].name: model "a.b.c" is not declared under models:',
      'sharing.shares[0].recipients[0]: "us-east-1" is the primary; recipients are the other regions',
      'regions[1].shared_catalogs[0].share: unknown share "ml"; declare it under sharing.shares',
    ]);
    expect(problems({ ...base, regoins: [] })).toEqual(['regoins: unknown field; remove it or correct its spelling']);
    expect(problems({ ...base, faults: [{ kind: 'storm', region: 'eu-west-1', status: 200 }] })[0]).toMatch(
      /^faults\[0\]\.status/,
    );
  });

  it('refuses a formula that does not compile, naming the behavior', async () => {
    await expect(
      startEmulator(testWorld({ behaviors: { champion: { prediction: { formula: 'tenure * (2' } } } })),
    ).rejects.toThrow(/behaviors\.champion\.prediction: expected "\)" at 11/);
  });

  it('refuses an endpoint that serves a version the workspace does not have', async () => {
    const base = testWorld();
    const regions = [
      {
        name: 'us-east-1',
        endpoints: [{ name: 'churn', served_entities: [{ entity_name: 'main.ml.churn', entity_version: '7' }] }],
      },
      base.regions[1],
    ];
    await expect(startEmulator({ ...base, regions })).rejects.toThrow(
      /regions\[0\]\.endpoints\[0\]: Model version 7 of 'main.ml.churn' does not exist/,
    );
  });

  it('reports unreadable, non-YAML and oversized files clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'world-'));
    expect(() => loadWorldFile(join(dir, 'missing.yaml'))).toThrow(/cannot read the file/);
    writeFileSync(join(dir, 'bad.yaml'), 'regions: [unclosed');
    expect(() => loadWorldFile(join(dir, 'bad.yaml'))).toThrow(/not valid YAML/);
    writeFileSync(join(dir, 'huge.yaml'), '#'.repeat(6 * 1024 * 1024));
    expect(() => loadWorldFile(join(dir, 'huge.yaml'))).toThrow(/over 5 MiB/);
  });

  it('refuses a port that is already taken, naming the region', async () => {
    const first = await startEmulator(testWorld());
    const port = Number(new URL(first.url('us-east-1')).port);
    const base = testWorld();
    try {
      await expect(
        startEmulator({ ...base, regions: [{ ...base.regions[0], port }, base.regions[1]] }),
      ).rejects.toThrow(`port ${port} for region us-east-1 is in use`);
    } finally {
      await first.close();
    }
  });
});
