/** The rollout's outcome from its regions' reports (src/workflows/rollout/report.ts). */
import type { RegionOutcome, RegionReport } from '../../../src/shared/types';
import { outcomeOf } from '../../../src/workflows/rollout/report';

const regions = (...outcomes: RegionOutcome[]) =>
  outcomes.map((outcome, i) => ({ region: `r${i}`, outcome }) as unknown as RegionReport);

it.each([
  [['promoted', 'promoted'], 'succeeded'],
  [['promoted', 'unchanged'], 'succeeded'],
  [['rolled-back', 'skipped'], 'rolled-back'],
  [['untouched', 'skipped'], 'failed'],
  [['promoted', 'rolled-back'], 'partially-failed'],
  [['promoted', 'rollback-failed'], 'partially-failed'],
] as const)('regions %j: %s', (outcomes, expected) => {
  expect(outcomeOf(regions(...outcomes), undefined)).toBe(expected);
});

it('says aborted or superseded when an operator or a newer rollout stopped it, whatever the regions did', () => {
  expect(outcomeOf(regions('promoted', 'promoted'), { kind: 'aborted', by: 'alice' })).toBe('aborted');
  expect(outcomeOf(regions('rolled-back'), { kind: 'superseded', by: 'rollout-x-v3' })).toBe('superseded');
});
