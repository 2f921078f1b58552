/**
 * Group-sequential alpha spending for repeated looks at a canary (Lan & DeMets 1983).
 *
 * A canary is judged many times as traffic accumulates. Testing every look at the full α would inflate the
 * false-failure rate (with 10 looks, to roughly 2–4× α). Instead an α-spending function α(t) says how much of the
 * overall α may have been used by information fraction t ∈ [0, 1] (here: challenger requests / maxRequests), with
 * α(0) = 0 and α(1) = α. Look k, at fraction t_k after t_{k−1}, is tested at the increment α(t_k) − α(t_{k−1}).
 *
 * Validity: the event "some look falsely fails" is the union of the per-look events, so by the union (Boole)
 * bound its probability is ≤ Σ increments = α(1) = α, whatever the correlation between looks and however irregular
 * the look schedule. This is conservative (exact Lan–DeMets boundaries would use the correlation to spend
 * slightly less strictly), but needs no numerical integration and stays correct when looks are skipped or the
 * traffic stalls.
 *
 * Pure and deterministic: no I/O, no Node builtins, no clocks.
 */

import { normInv, normSf } from './distributions';

// Math and Number members are bound once: global lookups are slow inside vm sandboxes (Temporal's workflow
// isolate, jest), and these functions run in tight loops.
const { E, log, max, min, sqrt } = Math;
const { isFinite } = Number;

export type SpendingKind = 'obrien-fleming' | 'pocock';

/**
 * Cumulative α spent by information fraction t (clamped to [0, 1]).
 *
 * - `'obrien-fleming'`: α(t) = 2 − 2Φ(z_{1−α/2} / √t). This is the Lan–DeMets O'Brien–Fleming-type function written
 *   for a total (one-sided here) level α: at t = 1 it is 2 − 2Φ(z_{1−α/2}) = α, so the whole budget is
 *   spent by the final look. Spends almost nothing early (t = 0.1: ~6e-10 of α = 0.05) and keeps nearly all α for the end:
 *   slow to fail fast, most powerful at the final look.
 * - `'pocock'`: α(t) = α · ln(1 + (e − 1) t). Spends evenly-ish (t = 0.1: 0.0079 of 0.05): fails fast on clear
 *   regressions, slightly less power at the final look.
 */
export function spendAlpha(alpha: number, informationFraction: number, kind: SpendingKind): number {
  const t = isFinite(informationFraction) ? min(1, max(0, informationFraction)) : 0;
  if (!(alpha > 0) || t <= 0) return 0;
  if (t >= 1) return alpha;
  if (kind === 'obrien-fleming') {
    return min(alpha, 2 * normSf(normInv(1 - alpha / 2) / sqrt(t)));
  }
  return alpha * log(1 + (E - 1) * t);
}

/**
 * The α available to the look that moves the information fraction from `previousFraction` to `fraction`:
 * α(fraction) − α(previousFraction), never negative (0 when no new information arrived).
 */
export function lookAlpha(alpha: number, previousFraction: number, fraction: number, kind: SpendingKind): number {
  return max(0, spendAlpha(alpha, fraction, kind) - spendAlpha(alpha, previousFraction, kind));
}
