/** What the parent's operator messages share: relaying a command to regions, and the checks on a request. */
import * as wf from '@temporalio/workflow';
import { isActiveRegionPhase } from '../../shared/phases';
import { regionCommandSignal, regionWorkflowId, type RegionCommand } from '../../shared/messages';
import type { RegionPhase, RegionStatus } from '../../shared/types';
import type { RolloutContext } from './context';

/**
 * What pause and resume reached before `patched('pause-reaches-every-running-phase')`: a hand-kept list that missed
 * judging, shadow-testing and ab-testing. Frozen: only rollouts started before the fix replay with it.
 */
const ACTIVE_PHASES_BEFORE_PATCH: readonly RegionPhase[] = [
  'waiting-for-replication',
  'waiting-for-endpoint',
  'recording-rollback-point',
  'updating',
  'testing',
  'baking',
  'gating',
  'awaiting-approval',
  'promoting',
  'rolling-back',
  'rollback-failed',
];

const isActive = (phase: RegionPhase) =>
  wf.patched('pause-reaches-every-running-phase')
    ? isActiveRegionPhase(phase)
    : ACTIVE_PHASES_BEFORE_PATCH.includes(phase);

/** Regions started and not ended: pause and resume reach them. */
export function activeRegions({ status }: Pick<RolloutContext, 'status'>, region?: string): RegionStatus[] {
  return status.regions.filter((r) => isActive(r.phase) && (!region || r.region === region));
}

// No patched() here: it also serves a validator, which must not record anything.
export function bakingRegions({ status }: Pick<RolloutContext, 'status'>, region?: string): RegionStatus[] {
  return status.regions.filter((r) => r.phase === 'baking' && (!region || r.region === region));
}

export function awaitingApproval(
  { status }: Pick<RolloutContext, 'status'>,
  region?: string,
  stage?: string,
): RegionStatus[] {
  return status.regions.filter(
    (r) => r.phase === 'awaiting-approval' && (!region || r.region === region) && (!stage || r.stage === stage),
  );
}

/** Sends `command` to each region's workflow, one after the other, with the message key (keyed rollouts). */
export async function relay(
  { rolloutId, keys }: Pick<RolloutContext, 'rolloutId' | 'keys'>,
  regions: RegionStatus[],
  command: RegionCommand,
): Promise<void> {
  for (const r of regions)
    await wf
      .getExternalWorkflowHandle(regionWorkflowId(rolloutId, r.region))
      .signal(regionCommandSignal, command, ...(keys.key !== undefined ? [keys.key] : []));
}

export function requireIdentity(request: { approver?: string; by?: string } | undefined): void {
  if (!(request?.approver ?? request?.by)?.trim())
    throw new Error('an identity is required (--as, GITHUB_ACTOR or the OS user)');
}

export function requireRegion({ status }: Pick<RolloutContext, 'status'>, region?: string): void {
  if (region && !status.regions.some((r) => r.region === region))
    throw new Error(
      `unknown region "${region}"; this rollout covers ${status.regions.map((r) => r.region).join(', ')}`,
    );
}
