/**
 * The e-processes behind the sequential judge: their error rates under the null, measured by simulation over every
 * look (Ville's bound must hold however long one looks), and their power against a clear alternative.
 */
import {
  bettingMean,
  binomialTilt,
  crossed,
  eValue,
  isEProcessState,
  logValue,
  newEProcess,
  BET_FRACTIONS,
  TILT_GRID,
  type EProcessState,
} from '../../src/analysis/e-process';
import { Random } from '../../src/emulator/random';

function binomial(random: Random, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random.next() < p) k++;
  return k;
}

/** Share of runs whose process crosses 1/level at any of `looks` batches. */
function crossingRate(
  runs: number,
  looks: number,
  step: (state: EProcessState, random: Random, look: number) => EProcessState,
  gridSize: number,
  level: number,
  seed: number,
): number {
  let crossings = 0;
  for (let run = 0; run < runs; run++) {
    const random = Random.stream(seed, `run-${run}`);
    let state = newEProcess(gridSize);
    for (let look = 0; look < looks; look++) {
      state = step(state, random, look);
      if (crossed(state, level)) {
        crossings++;
        break;
      }
    }
  }
  return crossings / runs;
}

describe('binomialTilt', () => {
  test('a batch folds in as k·θ − n·ln(1 + π0(e^θ − 1)) per grid point', () => {
    const state = binomialTilt(newEProcess(TILT_GRID.length), 3, 10, 0.2, 'greater');
    const theta = TILT_GRID[2];
    expect(state.logWealth[2]).toBeCloseTo(3 * theta - 10 * Math.log(1 + 0.2 * (Math.exp(theta) - 1)), 12);
    const less = binomialTilt(newEProcess(TILT_GRID.length), 3, 10, 0.2, 'less');
    expect(less.logWealth[2]).toBeCloseTo(-3 * theta - 10 * Math.log(1 + 0.2 * (Math.exp(-theta) - 1)), 12);
    expect(state.batches).toBe(1);
  });

  test('empty batches and degenerate null probabilities change nothing', () => {
    const fresh = newEProcess(TILT_GRID.length);
    expect(binomialTilt(fresh, 0, 0, 0.3, 'greater')).toBe(fresh);
    expect(binomialTilt(fresh, 1, 1, 0, 'greater')).toBe(fresh);
    expect(binomialTilt(fresh, 1, 1, 1, 'less')).toBe(fresh);
    expect(eValue(fresh)).toBe(1);
  });

  test.each(['greater', 'less'] as const)(
    'at the null boundary, crossing 1/α at any of 400 looks happens in at most α of runs (%s)',
    (direction) => {
      // Null probabilities that change per batch, as the latency test's do.
      const rate = crossingRate(
        1500,
        400,
        (state, random, look) => {
          const p0 = 0.05 + 0.4 * ((look * 7) % 10) * 0.1;
          return binomialTilt(state, binomial(random, 5, p0), 5, p0, direction);
        },
        TILT_GRID.length,
        0.05,
        11,
      );
      expect(rate).toBeLessThanOrEqual(0.05);
      expect(rate).toBeGreaterThan(0.002); // the bound is used, not wasted entirely
    },
  );

  test('inside the null (π < π0) the harm process crosses even more rarely; past it, it crosses', () => {
    const inside = crossingRate(
      500,
      400,
      (s, r) => binomialTilt(s, binomial(r, 5, 0.15), 5, 0.2, 'greater'),
      TILT_GRID.length,
      0.05,
      12,
    );
    expect(inside).toBeLessThan(0.01);
    const outside = crossingRate(
      200,
      400,
      (s, r) => binomialTilt(s, binomial(r, 5, 0.3), 5, 0.2, 'greater'),
      TILT_GRID.length,
      0.05,
      13,
    );
    expect(outside).toBeGreaterThan(0.95);
  });
});

describe('bettingMean', () => {
  const range = { min: -1 / 0.9, max: 1 / 0.1 };
  /** The judge's error score with a 10% challenger: 1/w for its errors, −1/(1−w) for the champion's. */
  function scores(random: Random, requests: number, pChallenger: number, pChampion: number) {
    let ch = 0;
    let cp = 0;
    for (let i = 0; i < requests; i++) {
      if (random.next() < 0.1) {
        if (random.next() < pChallenger) ch++;
      } else if (random.next() < pChampion) cp++;
    }
    return [
      { value: 10, count: ch },
      { value: -1 / 0.9, count: cp },
      { value: 0, count: requests - ch - cp },
    ];
  }

  test('the capital stays positive whatever the batch (bets are within the range)', () => {
    const state = bettingMean(newEProcess(BET_FRACTIONS.length), [{ value: 10, count: 50 }], 0.005, range, 'less');
    expect(state.logWealth.every(Number.isFinite)).toBe(true);
    const harm = bettingMean(newEProcess(BET_FRACTIONS.length), [{ value: -1 / 0.9, count: 50 }], 0, range, 'greater');
    expect(harm.logWealth.every(Number.isFinite)).toBe(true);
  });

  test.each([
    ['greater', 0.011, 0.001, 0.01],
    ['less', 0.011, 0.001, 0.01],
  ] as const)(
    'at the null boundary (difference = margin), crossing at any of 200 looks stays within α (%s)',
    (direction, pCh, pCp, margin) => {
      const rate = crossingRate(
        400,
        200,
        (s, r) => bettingMean(s, scores(r, 60, pCh, pCp), margin, range, direction),
        BET_FRACTIONS.length,
        0.05,
        14,
      );
      expect(rate).toBeLessThanOrEqual(0.05);
    },
  );

  test('a difference well past the margin is found', () => {
    const rate = crossingRate(
      200,
      300,
      (s, r) => bettingMean(s, scores(r, 60, 0.06, 0.001), 0.005, range, 'greater'),
      BET_FRACTIONS.length,
      0.05,
      15,
    );
    expect(rate).toBeGreaterThan(0.95);
  });
});

describe('state', () => {
  test('the mixture value is the mean of the grid wealths, stable for large values', () => {
    const state = { logWealth: [Math.log(2), Math.log(4), 800, 0, 0, 0], batches: 1 };
    expect(logValue(state)).toBeCloseTo(800 - Math.log(6), 9);
    expect(eValue(state)).toBeGreaterThan(1e299);
    expect(logValue({ logWealth: [Math.log(2), Math.log(4)], batches: 1 })).toBeCloseTo(Math.log(3), 12);
  });

  test('a heartbeat of the wrong shape is recognised (a resumed judge then starts afresh)', () => {
    expect(isEProcessState(newEProcess(6), 6)).toBe(true);
    expect(isEProcessState(newEProcess(5), 6)).toBe(false);
    expect(isEProcessState({ logWealth: [null, 0, 0, 0, 0, 0], batches: 0 }, 6)).toBe(false);
    expect(isEProcessState(undefined, 6)).toBe(false);
  });
});
