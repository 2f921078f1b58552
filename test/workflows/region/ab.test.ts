/** What the plan makes of an A/B stage's result (abVerdict in src/workflows/region/ab.ts). */
import { abVerdict, type AbSettings } from '../../../src/workflows/region/ab';

const settings = (overrides: Partial<AbSettings>): AbSettings => ({
  metric: 'latency_p50',
  decide_by: 'rule',
  on_tie: 'approval',
  alpha: 0.05,
  probe_rps: 20,
  ...overrides,
});

it.each([
  [{ decide_by: 'approval' }, 'challenger', 'person'],
  [{ decide_by: 'approval' }, 'champion', 'person'],
  [{}, 'challenger', 'new-version'],
  [{}, 'champion', 'current-version'],
  [{ on_tie: 'approval' }, 'tie', 'person'],
  [{ on_tie: 'keep-new' }, 'tie', 'new-version'],
  [{ on_tie: 'keep-current' }, 'tie', 'current-version'],
] as const)('%j with %s winning: %s', (overrides, winner, verdict) => {
  expect(abVerdict(settings(overrides), winner)).toBe(verdict);
});
