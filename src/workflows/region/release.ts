/**
 * A release (the plan's `release`): other models, or the same model on other endpoints, that ship together with the
 * rollout's version in this region. Each member is a context of its own (`context.ts`: its model, version, endpoint,
 * rollback point and lease) sharing the region's status, inbox and progress, so the release moves and fails as one:
 * every member is replicated and recorded before the first change, every stage's weight goes to every member, and a
 * failure anywhere restores every member touched (`compensation.ts`). Changes the members' endpoint state and their
 * entries in `status.release`.
 */
import * as wf from '@temporalio/workflow';
import { describeMember } from '../../shared/release';
import type { ReleaseMemberStatus, ServedEntity } from '../../shared/types';
import { describeFailure, failureType } from '../failures';
import { checksMustPass } from './checks';
import type { RegionContext } from './context';
import {
  alreadyServes,
  newVersionEntity,
  setNewVersionWeight,
  shareEndpoint,
  withInheritedSettings,
} from './endpoint-changes';
import { waitForReplication } from './replication';
import { recordRollbackPoint } from './rollback-point';

/** The region's lead (the rollout's own model and endpoint) and the release's other members. */
export const membersOf = (region: RegionContext): RegionContext[] => [region, ...region.companions];

/** The members whose endpoint this rollout changes: those that do not serve their version already. */
const moving = (region: RegionContext) => region.companions.filter((member) => member.endpoint.newVersion);

/** Before any change: each member replicated, its endpoint's lease taken and its rollback point recorded. */
export async function prepareCompanions(region: RegionContext): Promise<void> {
  for (const member of region.companions) await waitForReplication(member);
  for (const member of region.companions) await recordRollbackPoint(member);
}

/**
 * Decides each member's new version (what it replaces, what it inherits), or that it serves it already. Returns why
 * the release cannot roll out here (nothing is touched then), or undefined.
 */
export function planCompanions(region: RegionContext, leadServesAlready: boolean): string | undefined {
  for (const member of region.companions) {
    const planned = newVersionEntity(member);
    const problem = shareEndpoint(member, planned);
    if (problem) return `release member ${member.member!.name}: ${problem}`;
    const entity = withInheritedSettings(member, planned);
    const { rollbackPoint, keepsOthers } = member.endpoint;
    if (alreadyServes(rollbackPoint!, entity, keepsOthers, member.input.region.replaces)) {
      member.member!.state = 'unchanged';
      member.member!.challengerWeight = 100;
    } else member.endpoint.newVersion = entity;
  }
  const behind = moving(region);
  if (leadServesAlready && behind.length)
    return `${region.target.endpoint} serves v${region.input.version} already, but release ${behind.length > 1 ? 'members' : 'member'} ${behind.map((m) => describeMember(m.member!)).join(', ')} ${behind.length > 1 ? 'do' : 'does'} not: a release moves its members together from the same start; roll the members out with a plan of their own`;
  return undefined;
}

/**
 * Serves the new version at `weight`% on the region's endpoint and on every moving member's, at once. Waits for
 * every change to end before it reports the first failure: a restore never races a change still in flight.
 */
export async function setReleaseWeight(
  region: RegionContext,
  newVersion: ServedEntity,
  weight: number,
  purpose: (version: number) => string,
): Promise<void> {
  const changes = await Promise.allSettled([
    setNewVersionWeight(region, newVersion, weight, purpose(region.input.version)),
    ...moving(region).map(async (member) => {
      const shown = member.member!;
      try {
        await setNewVersionWeight(
          member,
          member.endpoint.newVersion!,
          weight,
          `${shown.name}: ${purpose(shown.version)}`,
        );
        shown.state = weight === 100 ? 'promoted' : 'serving';
      } catch (err) {
        throw memberFailure(shown, err);
      }
    }),
  ]);
  const failed = changes.find((change) => change.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Each moving member's health probes (its own input), as soon as its new version serves. */
export async function runCompanionHealth(region: RegionContext): Promise<void> {
  const probed = moving(region).filter((member) => member.input.tests.health);
  for (const member of probed)
    try {
      await checksMustPass(member, ['health']);
    } catch (err) {
      throw memberFailure(member.member!, err);
    }
}

/** The members restored when the region rolls back: each one this rollout tried to change. */
export const touchedCompanions = (region: RegionContext) =>
  region.companions.filter((member) => member.endpoint.attempted !== undefined);

/** A member's failure, naming the member, with the same type (a failed check stays a failed check). */
function memberFailure(member: ReleaseMemberStatus, err: unknown): unknown {
  if (wf.isCancellation(err)) return err;
  return wf.ApplicationFailure.create({
    message: `release member ${describeMember(member)}: ${describeFailure(err)}`,
    type: failureType(err),
    nonRetryable: true,
  });
}
