import { compileFormula, FormulaError, ModelInputError } from '../../src/emulator/formula';
import { inverseNormal, quantile, Random } from '../../src/emulator/random';
import type { Distribution } from '../../src/emulator/world';

describe('prediction formulas', () => {
  const evaluate = (formula: string, row: Record<string, unknown> = {}) => compileFormula(formula)(row);

  it('evaluates arithmetic, precedence, comparisons, logic and functions', () => {
    expect(evaluate('1 + 2 * 3 - 4 / 2')).toBe(5);
    expect(evaluate('-2 ^ 2')).toBe(-4);
    expect(evaluate('(1 + 2) * 3 % 4')).toBe(1);
    expect(evaluate('amount > 100 && country == "NG"', { amount: 150, country: 'NG' })).toBe(1);
    expect(evaluate("country != 'US' || false", { country: 'US' })).toBe(0);
    expect(evaluate('!0 + true')).toBe(2);
    expect(evaluate('x > 1 ? "high" : "low"', { x: 3 })).toBe('high');
    expect(evaluate('round(sigmoid(0), 3)')).toBe(0.5);
    expect(evaluate('clamp(max(1, 5, 3), 0, 4) + min(2, abs(-1)) + floor(1.7) + ceil(1.2)')).toBe(8);
    expect(evaluate('round(log(exp(2)) + sqrt(16) + pow(2, 3), 6)')).toBe(14);
    expect(evaluate('1.5e2')).toBe(150);
  });

  it('reports syntax errors with their position, and unknown functions by name', () => {
    expect(() => compileFormula('1 +')).toThrow(new FormulaError('unexpected end of formula at 3'));
    expect(() => compileFormula('foo(1)')).toThrow(/unknown function "foo" at 0/);
    expect(() => compileFormula('round()')).toThrow(/round\(\) takes 1-2 arguments, got 0/);
    expect(() => compileFormula('1 2')).toThrow(/unexpected "2" at 2/);
    expect(() => compileFormula('a $ b')).toThrow(/unexpected "\$" at 2/);
    expect(() => compileFormula('"open')).toThrow(/unterminated string/);
  });

  it('fails like a model on missing or mistyped input columns', () => {
    expect(() => evaluate('amount * 2', {})).toThrow(new ModelInputError("Model is missing inputs ['amount']"));
    expect(() => evaluate('amount * 2', { amount: 'ten' })).toThrow(ModelInputError);
  });
});

describe('seeded randomness', () => {
  it('repeats a stream for the same seed and key, and differs for another key', () => {
    const a = Random.stream(1, 'x');
    const b = Random.stream(1, 'x');
    const c = Random.stream(1, 'y');
    const draws = (r: Random) => Array.from({ length: 5 }, () => r.next());
    const first = draws(a);
    expect(draws(b)).toEqual(first);
    expect(draws(c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('picks by weight and never picks a zero weight', () => {
    const r = Random.stream(3, 'w');
    const counts = [0, 0, 0];
    for (let i = 0; i < 10000; i++) counts[r.weightedIndex([70, 0, 30])]++;
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] - 3000)).toBeLessThan(4 * Math.sqrt(10000 * 0.3 * 0.7));
    expect(r.weightedIndex([0, 0])).toBe(-1);
  });

  it('matches the standard normal quantiles (reference values)', () => {
    expect(inverseNormal(0.5)).toBeCloseTo(0, 9);
    expect(inverseNormal(0.975)).toBeCloseTo(1.959963985, 6);
    expect(inverseNormal(0.99)).toBeCloseTo(2.326347874, 6);
    expect(inverseNormal(0.001)).toBeCloseTo(-3.090232306, 6);
  });

  it.each<[string, Distribution]>([
    ['lognormal', { distribution: 'lognormal', median: 20, p99: 60 }],
    ['normal', { distribution: 'normal', mean: 50, stddev: 5 }],
    ['uniform', { distribution: 'uniform', min: 10, max: 30 }],
    ['exponential', { distribution: 'exponential', mean: 10 }],
  ])('samples %s so that empirical percentiles match the configured ones', (_name, distribution) => {
    const r = Random.stream(5, 'samples');
    const samples = Array.from({ length: 50000 }, () => r.sample(distribution)).sort((x, y) => x - y);
    for (const q of [0.5, 0.9, 0.99]) {
      const empirical = samples[Math.floor(q * samples.length)];
      expect(Math.abs(empirical / quantile(distribution, q) - 1)).toBeLessThan(0.03);
    }
  });
});
