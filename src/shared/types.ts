/**
 * What workflows, activities and clients exchange. Everything here is plain data: it enters workflow history, so it
 * never holds a secret (a region names its workspace by profile or host; workers resolve credentials).
 */
import type { EdgeCase } from '../plan/edge-cases';
import type { Plan, PlanRegion, PlanStage, ReleaseMember } from '../plan/schema';
import type { RegionPhase, RolloutOutcome, RolloutPhase } from './phases';

export type { RegionPhase, RolloutOutcome, RolloutPhase } from './phases';
import type { RegistryRecord } from './registry-outcome';
export type { RegistryRecord } from './registry-outcome';
import type { NotificationRecord } from './notifications';

export type Workspace = PlanRegion['workspace'];

/**
 * A served entity in the API's input form (what a PUT .../config takes back), with every compute field the endpoint
 * returned: the rollback point records them all and a restore sends them all back. `environment_vars` values may be
 * `{{secrets/scope/key}}` references: carried as written, never resolved.
 */
export interface ServedEntity {
  name: string;
  entity_name: string;
  entity_version: string;
  /** Absent when the entity is sized by min/max_provisioned_concurrency (or provisioned_model_units) instead. */
  workload_size?: string;
  workload_type?: string;
  scale_to_zero_enabled: boolean;
  environment_vars?: Record<string, string>;
  instance_profile_arn?: string;
  min_provisioned_concurrency?: number;
  max_provisioned_concurrency?: number;
  min_provisioned_throughput?: number;
  max_provisioned_throughput?: number;
  provisioned_model_units?: number;
  burst_scaling_enabled?: boolean;
}

/** The settings of a served entity: everything but which model version it serves and under what name. */
export type ServedEntitySettings = Omit<ServedEntity, 'name' | 'entity_name' | 'entity_version'>;

export interface TrafficRoute {
  served_entity_name: string;
  traffic_percentage: number;
}

/** An endpoint's served entities and traffic split: what a rollout sets, and what a rollback restores exactly. */
export interface EndpointConfig {
  servedEntities: ServedEntity[];
  routes: TrafficRoute[];
}

/** The rollback point: the endpoint's config before the rollout touched it. */
export interface EndpointSnapshot extends EndpointConfig {
  region: string;
  endpoint: string;
  configVersion: number;
  capturedAt: string;
}

export interface RolloutInput {
  plan: Plan;
  /** Edge cases read from the plan's JSONL file by the client that started the rollout. */
  edgeCases: EdgeCase[];
  version: number;
  /** Who or what triggered it (CLI user, CI actor). */
  triggeredBy: string;
}

/** A release member in one region: its model under the region's name for it, its version (resolved), its endpoint. */
export interface ReleaseMemberInput {
  name: string;
  model: string;
  version: number;
  endpoint: string;
  served_entity: PlanRegion['served_entity'];
  replaces?: string;
  health?: ReleaseMember['health'];
}

/** A release member's place in a region: what it ships, where, and how far it got. */
export interface ReleaseMemberStatus {
  name: string;
  /** Under the name the region's catalog gives it (the shared catalog's, in a replica). */
  model: string;
  version: number;
  endpoint: string;
  state: 'pending' | 'serving' | 'promoted' | 'unchanged' | 'rolled-back' | 'rollback-failed';
  /** The member's new version's share of traffic now. */
  challengerWeight: number;
  configVersion?: number;
  /** In reports only: what restoring the member sends back, and what the rollout last set there. */
  rollbackPoint?: EndpointSnapshot;
  appliedConfig?: EndpointConfig;
}

export interface RegionRolloutInput {
  rolloutId: string;
  parentWorkflowId: string;
  region: PlanRegion;
  /** The model's name in this region's catalog (the shared catalog for replicas). */
  model: string;
  version: number;
  stages: PlanStage[];
  tests: Plan['tests'];
  edgeCases: EdgeCase[];
  timeouts: Plan['timeouts'];
  /** The plan's approvals.allowed: who may approve (anyone when absent). */
  approvers?: string[];
  /** The plan's after_promotion: watch the new version after 100% (absent: the region ends at promotion). */
  afterPromotion?: Plan['after_promotion'];
  /**
   * The rollout's message key: commands from the parent must carry it, and progress to the parent carries it. Absent
   * for regions of rollouts started before message keys.
   */
  messageKey?: string;
  /** The release's other members in this region (the plan's `release`), moving with the model stage by stage. */
  release?: ReleaseMemberInput[];
}

export interface CheckResult {
  check: string;
  stage?: string;
  passed: boolean;
  summary: string;
  /** Failing edge cases, failed queries and similar, by name. */
  failures: string[];
  at: string;
  /** Figures behind the result: tests used, p-values, sample sizes, sources (load and canary checks). */
  evidence?: unknown;
  /** The check reached its deadline without a decision (the canary judge); `passed` is then false. */
  undecided?: boolean;
}

export interface ApprovalRecord {
  stage: string;
  decision: 'approved' | 'rejected' | 'timed-out';
  by: string;
  reason?: string;
  at: string;
  /** The parent's relay that carried it, when it came through the parent. */
  relayId?: string;
}

/** An approval refused because the identity is not in the plan's approvals.allowed. */
export interface RefusedApproval {
  by: string;
  reason?: string;
  region?: string;
  stage?: string;
  at: string;
  /** The answer the approver got. */
  why: string;
  /** The parent's relay that carried it, when it came through the parent. */
  relayId?: string;
}

/** A message that did not carry the rollout's message key: refused, and recorded. */
export interface RefusedMessage {
  message: string;
  at: string;
  why: string;
}

/** How many messages were refused, and the newest 20 of them. */
export interface RefusedMessages {
  count: number;
  newest: RefusedMessage[];
}

export interface RegionStatus {
  region: string;
  phase: RegionPhase;
  stage?: string;
  /** The new version's share of traffic now. */
  challengerWeight: number;
  phaseSince: string;
  startedAt?: string;
  finishedAt?: string;
  paused: boolean;
  checks: CheckResult[];
  approvals: ApprovalRecord[];
  configVersion?: number;
  error?: string;
  /** Every phase the region entered, with its stage and time: the rollout's timeline (Gantt charts). */
  timeline: {
    phase: RegionPhase;
    stage?: string;
    at: string;
    /** The new version's share of traffic on entering the phase (absent in timelines recorded before it existed). */
    weight?: number;
  }[];
  /**
   * Findings an operator should see that did not stop the region, one sentence each: e.g. a regression found after
   * promotion but past the plan's rollback window (the region stays promoted).
   */
  warnings?: string[];
  /** Approvals sent to this region directly by identities the plan does not allow. */
  refusedApprovals?: RefusedApproval[];
  /** Messages refused because they did not carry the rollout's message key (the newest 20), and how many in all. */
  refusedMessages?: RefusedMessages;
  /**
   * Counts the region's progress signals: they are not awaited, so two can reach the parent out of order, which
   * keeps the newest. Absent in signals from regions started before it existed.
   */
  revision?: number;
  /** A release: its other members in this region, each with its state (the region's phase is the release's). */
  release?: ReleaseMemberStatus[];
}

export type RegionOutcome = 'promoted' | 'unchanged' | 'rolled-back' | 'untouched' | 'rollback-failed' | 'skipped';

export interface RegionReport extends RegionStatus {
  outcome: RegionOutcome;
  /** Present once the region was touched: what its rollback restores. */
  rollbackPoint?: EndpointSnapshot;
  /** The config this rollout last set on the endpoint (a later restore checks nobody else changed it since). */
  appliedConfig?: EndpointConfig;
}

export interface RolloutStatus {
  rolloutId: string;
  model: string;
  version: number;
  phase: RolloutPhase;
  outcome?: RolloutOutcome;
  wave?: string;
  paused: boolean;
  startedAt: string;
  regions: RegionStatus[];
  error?: string;
  /** What pre-flight let through because the plan allows it (e.g. on_gateway_fallback: warn), one sentence each. */
  warnings?: string[];
  /** Approvals (updates or signals) refused because the identity is not in the plan's approvals.allowed. */
  refusedApprovals?: RefusedApproval[];
  /** Messages refused because they did not carry the rollout's message key (the newest 20), and how many in all. */
  refusedMessages?: RefusedMessages;
  /** What the rollout recorded in the primary's Unity Catalog at its end (the plan's `registry`). */
  registry?: RegistryRecord;
  /** A release: the members shipping with the version, their versions read at pre-flight. */
  release?: Pick<
    ReleaseMemberStatus,
    'name' | 'model' | 'version' | 'endpoint'
  >[]; /** Each notification delivery (the plan's `notifications`), delivered or failed, newest last (at most 50). */
  notifications?: NotificationRecord[];
}

export interface RolloutReport extends RolloutStatus {
  outcome: RolloutOutcome;
  finishedAt: string;
  regions: RegionReport[];
}

export interface ApprovalRequest {
  /** Identity of the approver (CLI --as, GITHUB_ACTOR, OS user). Required. */
  approver: string;
  reason?: string;
  /** One region, or every region awaiting approval when omitted. */
  region?: string;
  /**
   * The stage this decides. A decision for a stage that is already decided, or that a region is not awaiting, is
   * refused there: a late second decision cannot land on the next stage. Omitted: the stage each region awaits now.
   */
  stage?: string;
}

export interface ApprovalAnswer {
  decision: 'approved' | 'rejected';
  /** Where this decision took effect. */
  regions: { region: string; stage: string }[];
  /** Where someone else's decision for the stage came first: this one was refused there, and recorded. */
  alreadyDecided?: { region: string; stage: string; decision: string; by: string }[];
}

export interface OperatorRequest {
  by: string;
  reason?: string;
  region?: string;
}
