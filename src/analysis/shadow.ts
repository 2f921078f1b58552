/**
 * The shadow comparison: the same inputs scored by the current and the new version (neither answer reaches a user).
 * Numeric predictions are compared by absolute difference against a tolerance (`predictionDrift`); anything else
 * (labels, objects) must be equal as JSON. Pure and deterministic.
 */
import { predictionDrift } from './tests';

export interface ShadowPair {
  /** A label for the input (an edge case's name, or "health"). */
  input: string;
  champion: unknown;
  challenger: unknown;
}

export interface ShadowLimits {
  tolerance: number;
  max_disagreement: number;
  max_mean_difference?: number;
}

export interface ShadowComparison {
  inputs: number;
  /** Inputs whose predictions differ beyond the tolerance (numeric) or at all (other values). */
  disagreements: number;
  disagreementShare: number;
  numeric: { n: number; meanAbsoluteDifference: number; maxAbsoluteDifference: number };
  /** Up to ten disagreeing inputs: non-numeric mismatches first, then the largest numeric differences. */
  examples: { input: string; champion: unknown; challenger: unknown; difference?: number }[];
  passed: boolean;
  failures: string[];
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  ) ?? 'undefined';

export function compareShadow(pairs: readonly ShadowPair[], limits: ShadowLimits): ShadowComparison {
  const numericPairs: [number, number][] = [];
  const examples: ShadowComparison['examples'] = [];
  let disagreements = 0;
  for (const pair of pairs) {
    const { champion, challenger } = pair;
    if (typeof champion === 'number' && typeof challenger === 'number') {
      numericPairs.push([champion, challenger]);
      const difference = Math.abs(challenger - champion);
      if (!(difference <= limits.tolerance)) {
        disagreements++;
        examples.push({ ...pair, difference: Number.isFinite(difference) ? difference : undefined });
      }
    } else if (canonical(champion) !== canonical(challenger)) {
      disagreements++;
      examples.push({ ...pair });
    }
  }
  const drift = predictionDrift(numericPairs, limits.tolerance);
  const share = pairs.length ? disagreements / pairs.length : 0;
  const failures: string[] = [];
  if (pairs.length === 0) failures.push('no inputs were scored by both versions');
  if (share > limits.max_disagreement)
    failures.push(
      `the versions disagree on ${disagreements} of ${pairs.length} inputs (${(100 * share).toFixed(1)}%, ` +
        `limit ${(100 * limits.max_disagreement).toFixed(1)}% at tolerance ${limits.tolerance})`,
    );
  if (limits.max_mean_difference !== undefined && drift.meanAbsoluteDifference > limits.max_mean_difference)
    failures.push(
      `mean absolute difference ${drift.meanAbsoluteDifference.toPrecision(3)} is over the limit of ${limits.max_mean_difference}`,
    );
  examples.sort((a, b) => (b.difference ?? Number.MAX_VALUE) - (a.difference ?? Number.MAX_VALUE));
  return {
    inputs: pairs.length,
    disagreements,
    disagreementShare: share,
    numeric: {
      n: drift.n,
      meanAbsoluteDifference: drift.meanAbsoluteDifference,
      maxAbsoluteDifference: drift.maxAbsoluteDifference,
    },
    examples: examples.slice(0, 10),
    passed: failures.length === 0,
    failures,
  };
}
