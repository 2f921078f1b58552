/**
 * The phases of a region and of a rollout, defined once. Every set of phases (which ones run, which wait for a
 * person, which end a region, which belong to a stage) is derived from these tables, so a new phase is classified
 * where it is added, or the code does not compile.
 */

/**
 * - `not-started`: the region has not started yet.
 * - `running`: the rollout is doing something (an activity, a timer).
 * - `waiting`: the region waits for something outside the rollout: replication, another rollout's lease, a person.
 * - `ended`: the region's workflow has finished (or never will start).
 */
export type PhaseKind = 'not-started' | 'running' | 'waiting' | 'ended';

interface PhaseDefinition {
  kind: PhaseKind;
  /** Part of a stage: reported with the stage's name (Gantt labels, the "stages" column). */
  inStage?: true;
  /** Only a person can move the region on (the approval gate, a rollback handed to an operator). */
  waitsForPerson?: true;
  /** The region is restoring or has failed: drawn in the charts' critical colour. */
  critical?: true;
}

export const REGION_PHASES = {
  pending: { kind: 'not-started' },
  'waiting-for-replication': { kind: 'waiting' },
  'waiting-for-endpoint': { kind: 'waiting' },
  'recording-rollback-point': { kind: 'running' },
  /** after_promotion: the current version's live minutes are still being recorded as the baseline (no change yet). */
  'recording-baseline': { kind: 'running' },
  updating: { kind: 'running', inStage: true },
  testing: { kind: 'running', inStage: true },
  'shadow-testing': { kind: 'running', inStage: true },
  baking: { kind: 'running', inStage: true },
  'ab-testing': { kind: 'running', inStage: true },
  judging: { kind: 'running', inStage: true },
  gating: { kind: 'running', inStage: true },
  'awaiting-approval': { kind: 'waiting', inStage: true, waitsForPerson: true },
  promoting: { kind: 'running' },
  /** after_promotion: the new version serves 100% and its live traffic is judged against the baseline. */
  watching: { kind: 'running' },
  promoted: { kind: 'ended' },
  unchanged: { kind: 'ended' },
  'rolling-back': { kind: 'running', inStage: true, critical: true },
  'rolled-back': { kind: 'ended', critical: true },
  'rollback-failed': { kind: 'waiting', waitsForPerson: true, critical: true },
  failed: { kind: 'ended', critical: true },
  skipped: { kind: 'ended' },
} as const satisfies Record<string, PhaseDefinition>;

export type RegionPhase = keyof typeof REGION_PHASES;

const regionPhases = (keep: (definition: PhaseDefinition) => boolean): ReadonlySet<RegionPhase> =>
  new Set(
    (Object.entries(REGION_PHASES) as [RegionPhase, PhaseDefinition][]).filter(([, d]) => keep(d)).map(([p]) => p),
  );

/** Started and not ended: pause and resume reach these regions. */
export const ACTIVE_REGION_PHASES = regionPhases((d) => d.kind === 'running' || d.kind === 'waiting');
export const ENDED_REGION_PHASES = regionPhases((d) => d.kind === 'ended');
export const STAGE_PHASES = regionPhases((d) => d.inStage === true);
export const PERSON_WAIT_PHASES = regionPhases((d) => d.waitsForPerson === true);
export const CRITICAL_PHASES = regionPhases((d) => d.critical === true);

export const isActiveRegionPhase = (phase: RegionPhase) => ACTIVE_REGION_PHASES.has(phase);

/** The rollout's own phases, in the order it passes through them. */
export const ROLLOUT_PHASES = [
  'pre-flight',
  'waiting-for-other-rollout',
  'rolling-out',
  'compensating',
  'done',
] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** How a finished rollout ended. */
export const ROLLOUT_OUTCOMES = [
  'succeeded',
  'rolled-back',
  'partially-failed',
  'failed',
  'aborted',
  'superseded',
  'refused',
] as const;
export type RolloutOutcome = (typeof ROLLOUT_OUTCOMES)[number];

/**
 * Every value of the `RolloutStatus` search attribute: the rollout's phase while it runs (`done` is never shown; the
 * outcome replaces it), `paused`, `rollback-failed` while a restore waits for an operator, then the outcome.
 */
export const ROLLOUT_STATUS_VALUES = [
  ...ROLLOUT_PHASES.filter((phase) => phase !== 'done'),
  'paused',
  'rollback-failed',
  ...ROLLOUT_OUTCOMES,
] as const;
