import { join } from 'node:path';
import { compileFormula } from '../../src/emulator/formula';
import { loadWorldFile } from '../../src/emulator/world';
import { checkExpectation } from '../../src/plan/edge-cases';
import { loadPlan } from '../../src/plan/load';
import { modelNameInRegion, resolveWaves } from '../../src/plan/resolve';

const root = join(__dirname, '../..');
const { plan, edgeCases } = loadPlan(join(root, 'examples/plans/three-regions.yaml'));
const world = loadWorldFile(join(root, 'worlds/three-regions.yaml'));

/** Runs every edge case through a behavior's prediction formula from the demo world. */
function failures(behavior: string): string[] {
  const prediction = world.behaviors[behavior].prediction;
  if (!('formula' in prediction)) throw new Error(`${behavior} has no formula`);
  const predict = compileFormula(prediction.formula);
  const tolerance = plan.tests.edge_cases?.tolerance ?? 0;
  return edgeCases.flatMap((edgeCase) => {
    const result = checkExpectation(edgeCase.expected, predict(edgeCase.input), tolerance);
    return result.pass ? [] : [`${edgeCase.name}: ${result.reason}`];
  });
}

describe('the example plan for the demo world', () => {
  it('matches worlds/three-regions.yaml', () => {
    expect(plan.primary).toBe(world.primary);
    expect(plan.regions.map((r) => r.name)).toEqual(world.regions.map((r) => r.name));
    for (const region of plan.regions) {
      const worldRegion = world.regions.find((r) => r.name === region.name)!;
      expect(region.workspace).toEqual({ profile: region.name });
      // The endpoint exists there and serves the model under the name the plan derives for the region.
      const endpoint = worldRegion.endpoints.find((e) => e.name === region.endpoint)!;
      expect(endpoint.served_entities[0].entity_name).toBe(modelNameInRegion(plan, region.name));
      expect(endpoint.served_entities[0]).toMatchObject({
        workload_size: region.served_entity.workload_size,
        scale_to_zero_enabled: region.served_entity.scale_to_zero_enabled,
      });
      if (region.shared_catalog)
        expect(worldRegion.shared_catalogs.map((c) => c.name)).toContain(region.shared_catalog);
    }
    expect(world.models.map((m) => m.name)).toContain(plan.model);
    expect(resolveWaves(plan)).toEqual([
      { name: 'pilot', regions: ['eu-west-1'], parallelism: 1 },
      { name: 'rest', regions: ['us-east-1', 'ap-southeast-1'], parallelism: 2 },
    ]);
    expect(plan.stages.map((s) => [s.name, s.traffic, s.bake, s.gate, s.approval])).toEqual([
      ['canary', 10, 20_000, ['health', 'edge-cases'], false],
      ['half', 50, 20_000, [], true],
    ]);
  });

  it('has five to eight named edge cases', () => {
    expect(edgeCases.length).toBeGreaterThanOrEqual(5);
    expect(edgeCases.length).toBeLessThanOrEqual(8);
    for (const edgeCase of edgeCases) expect(edgeCase.name).not.toMatch(/^line \d+$/);
  });

  it('passes the good candidate and the champion, and fails the bad candidate on several cases', () => {
    expect(failures('candidate-good')).toEqual([]);
    expect(failures('champion')).toEqual([]);
    const bad = failures('candidate-bad');
    // Every case but the range one (its score saturates at 1 whatever the model).
    expect(bad.map((failure) => failure.split(':')[0])).toEqual(
      edgeCases.map((c) => c.name).filter((name) => name !== 'very large US purchase'),
    );
    expect(bad).toContain('typical US purchase: expected 0.1812 ± 0.02, got 0.52 (off by 0.339)');
  });
});
