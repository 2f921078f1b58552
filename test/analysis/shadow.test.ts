import { compareShadow } from '../../src/analysis/shadow';

describe('compareShadow', () => {
  const limits = { tolerance: 0.01, max_disagreement: 0 };

  it('compares numbers within the tolerance and anything else exactly', () => {
    const result = compareShadow(
      [
        { input: 'a', champion: 0.5, challenger: 0.505 },
        { input: 'b', champion: { label: 'x', p: 1 }, challenger: { p: 1, label: 'x' } },
      ],
      limits,
    );
    expect(result).toMatchObject({ inputs: 2, disagreements: 0, passed: true, numeric: { n: 1 } });
    expect(result.numeric.maxAbsoluteDifference).toBeCloseTo(0.005, 10);
  });

  it('fails beyond the allowed share, naming the worst inputs first (non-numeric mismatches, then by size)', () => {
    const result = compareShadow(
      [
        { input: 'small', champion: 0.5, challenger: 0.52 },
        { input: 'large', champion: 0.1, challenger: 0.9 },
        { input: 'label', champion: 'fraud', challenger: 'ok' },
        { input: 'same', champion: 1, challenger: 1 },
      ],
      { tolerance: 0.01, max_disagreement: 0.5, max_mean_difference: 0.1 },
    );
    expect(result.disagreements).toBe(3);
    expect(result.examples.map((e) => e.input)).toEqual(['label', 'large', 'small']);
    expect(result.failures).toEqual([
      'the versions disagree on 3 of 4 inputs (75.0%, limit 50.0% at tolerance 0.01)',
      'mean absolute difference 0.273 is over the limit of 0.1',
    ]);
  });

  it('refuses to pass with nothing compared', () => {
    expect(compareShadow([], limits)).toMatchObject({
      passed: false,
      failures: ['no inputs were scored by both versions'],
    });
  });
});
