import { lookAlpha, spendAlpha, type SpendingKind } from '../../src/analysis/sequential';
import { REF } from './scipy-reference';

const KINDS: SpendingKind[] = ['obrien-fleming', 'pocock'];

describe('alpha spending', () => {
  // scipy's 2 − 2·cdf cancels to ~1e-16 absolute, so small values are compared with an absolute tolerance.
  it.each(REF.obf)("O'Brien-Fleming-type α(%p) = %p (2 − 2·norm.cdf(norm.ppf(1 − α/2)/√t), α = 0.05)", (t, v) => {
    expect(Math.abs(spendAlpha(0.05, t, 'obrien-fleming') - v)).toBeLessThan(1e-12 * v + 1e-15);
  });

  it.each(REF.pocock)('Pocock-type α(%p) = %p (α·ln(1 + (e − 1)t), α = 0.05)', (t, v) => {
    expect(Math.abs(spendAlpha(0.05, t, 'pocock') - v)).toBeLessThan(1e-15);
  });

  it.each(KINDS)('%s: α(0) = 0, α(1) = α, clamped outside [0, 1]', (kind) => {
    for (const alpha of [0.01, 0.05, 0.1]) {
      expect(spendAlpha(alpha, 0, kind)).toBe(0);
      expect(spendAlpha(alpha, 1, kind)).toBe(alpha);
      expect(spendAlpha(alpha, 1.7, kind)).toBe(alpha);
      expect(spendAlpha(alpha, -1, kind)).toBe(0);
      expect(spendAlpha(alpha, NaN, kind)).toBe(0);
    }
  });

  it.each(KINDS)('%s: monotone, and increments over any schedule sum to α', (kind) => {
    let previous = 0;
    for (let t = 0; t <= 1.0000001; t += 0.01) {
      const a = spendAlpha(0.05, t, kind);
      expect(a).toBeGreaterThanOrEqual(previous);
      previous = a;
    }
    for (const schedule of [
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      [0.05, 0.5, 0.51, 1],
      [0.33, 0.33, 0.9, 1], // a repeated fraction (stalled traffic) spends nothing
    ]) {
      let sum = 0;
      let prev = 0;
      for (const t of schedule) {
        const inc = lookAlpha(0.05, prev, t, kind);
        expect(inc).toBeGreaterThanOrEqual(0);
        sum += inc;
        prev = t;
      }
      expect(Math.abs(sum - 0.05)).toBeLessThan(1e-15);
    }
    expect(lookAlpha(0.05, 0.6, 0.4, kind)).toBe(0);
  });

  it('Pocock spends more early than OBF', () => {
    expect(spendAlpha(0.05, 0.1, 'pocock')).toBeGreaterThan(1000 * spendAlpha(0.05, 0.1, 'obrien-fleming'));
  });
});
