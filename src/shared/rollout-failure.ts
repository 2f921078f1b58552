/**
 * A rollout that did not succeed ends as a failed workflow, so the Temporal UI's list shows the truth at a glance
 * (a rolled-back rollout was "Completed", in green, like a successful one). The failure is short and typed
 * (`RolloutRolledBack`, `RolloutAborted`, ...), reads as a sentence, and carries the whole report in its details,
 * where `rollout`, the step summary and any client read it (`rolloutReport` in src/rollouts.ts). Pure: the workflow
 * and the clients share it.
 */
import { ROLLOUT_OUTCOMES } from './phases';
import type { RolloutOutcome, RolloutReport } from './types';

/** Every outcome a rollout can end with but success. */
const UNSUCCESSFUL_OUTCOMES = ROLLOUT_OUTCOMES.filter(
  (outcome): outcome is Exclude<RolloutOutcome, 'succeeded'> => outcome !== 'succeeded',
);

/** The failure type of each outcome but success, e.g. RolloutRolledBack. */
export function rolloutFailureType(outcome: Exclude<RolloutOutcome, 'succeeded'>): string {
  return `Rollout${outcome.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())}`;
}

/** Whether a failure type is one of a rollout's outcomes (not a bug or a termination). */
export function isRolloutFailureType(type: string | undefined | null): boolean {
  return type != null && UNSUCCESSFUL_OUTCOMES.some((outcome) => rolloutFailureType(outcome) === type);
}

/**
 * The failure's sentence: what happened and where, then the first cause, e.g. "rolled back in eu-west-1: health
 * failed: 2 of 3 queries answered". At most 500 characters (the list and the CLI show it on one line).
 */
export function rolloutFailureMessage(report: RolloutReport): string {
  const where = (outcome: string) => report.regions.filter((r) => r.outcome === outcome).map((r) => r.region);
  const cause = report.error ?? report.regions.find((r) => r.error)?.error;
  const rolledBack = where('rolled-back');
  const promoted = [...where('promoted'), ...where('unchanged')];
  const head =
    report.outcome === 'rolled-back'
      ? `rolled back in ${list(rolledBack)}`
      : report.outcome === 'partially-failed'
        ? `partially failed: promoted in ${list(promoted)}, not in ${list(report.regions.map((r) => r.region).filter((r) => !promoted.includes(r)))}`
        : report.outcome.replace('-', ' ');
  // Pre-flight and operator stops already start with the outcome ("refused: ...", "aborted by ana").
  const sentence = cause === undefined ? head : cause.startsWith(report.outcome) ? cause : `${head}: ${cause}`;
  return sentence.length > 500 ? `${sentence.slice(0, 497)}...` : sentence;
}

function list(regions: string[]): string {
  return regions.length > 3 ? `${regions.slice(0, 3).join(', ')} and ${regions.length - 3} more` : regions.join(', ');
}
