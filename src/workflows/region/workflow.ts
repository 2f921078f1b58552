/**
 * One region's rollout, as a story: wait for Delta Sharing replication, take the endpoint and record its config as
 * the rollback point, serve the new version next to the current one, test it, walk the stages (weight, bake or
 * judgement, gate, approval), promote; with the plan's after_promotion, keep judging the promoted version against
 * the current one's live minutes recorded before any change (a clear regression within the rollback window restores).
 * Any failure after the first change restores the rollback point exactly; a restore that cannot be done waits in
 * `rollback-failed` for an operator instead of ending quietly.
 *
 * A release (several models or endpoints shipping together) moves every member with each step (`release.ts`).
 *
 * Each step lives in a module of its own and receives the region's context explicitly (`context.ts` says what each
 * part of it is, `messages.ts` which operator message may change what).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { RegionReport, RegionRolloutInput } from '../../shared/types';
import { awaitBaseline, startBaseline } from './baseline';
import { endUntouched, rollBack } from './compensation';
import { createRegionContext, type RegionContext } from './context';
import { alreadyServes, newVersionEntity, shareEndpoint, withInheritedSettings } from './endpoint-changes';
import { registerRegionMessages } from './messages';
import { endUnchanged, promote } from './promotion';
import { waitForReplication } from './replication';
import { membersOf, planCompanions, prepareCompanions } from './release';
import { recordRollbackPoint, releaseEndpoint } from './rollback-point';
import { addNewVersion, runShadowCheck } from './shadow';
import { runTestSuites, walkStages } from './stages';

export async function regionRolloutWorkflow(input: RegionRolloutInput): Promise<RegionReport> {
  const region = createRegionContext(input);
  registerRegionMessages(region);
  try {
    return await rolloutRegion(region);
  } finally {
    for (const member of membersOf(region)) await releaseEndpoint(member);
    // The parent takes a stopped region's last state from its progress signals: they arrive before it closes.
    await region.progress.settled();
  }
}

async function rolloutRegion(region: RegionContext): Promise<RegionReport> {
  // after_promotion: the current version's live minutes, recorded while the region waits, before any change.
  const baseline = startBaseline(region);
  try {
    await waitForReplication(region);
    await recordRollbackPoint(region); // takes the endpoint's lease first
    await prepareCompanions(region); // a release's other members: the same, each on its endpoint
    await awaitBaseline(region, baseline);
  } catch (err) {
    baseline?.cancel();
    throw await endUntouched(region, err);
  }

  const planned = newVersionEntity(region);
  // On an endpoint shared with other models, what the plan replaces and what it keeps; a problem touches nothing.
  const problem = shareEndpoint(region, planned);
  if (problem)
    throw await endUntouched(region, ApplicationFailure.create({ message: problem, type: 'SharedEndpointRefused' }));
  // The settings of the entity it replaces, except those the plan sets.
  const newVersion = withInheritedSettings(region, planned);
  const { rollbackPoint, keepsOthers } = region.endpoint;
  const servesAlready = alreadyServes(rollbackPoint!, newVersion, keepsOthers, region.input.region.replaces);
  const releaseProblem = planCompanions(region, servesAlready); // each member's new version, or that it has it
  if (releaseProblem)
    throw await endUntouched(region, ApplicationFailure.create({ message: releaseProblem, type: 'ReleaseRefused' }));
  if (servesAlready) return endUnchanged(region);

  // The rollback point is recorded before the first change, so any failure from here on restores it.
  try {
    await addNewVersion(region, newVersion); // at the first stage's weight, or at 0% for a shadow check
    await runTestSuites(region); // health and edge cases, and each release member's health
    await runShadowCheck(region, newVersion); // with tests.shadow: compare at 0%, then the first stage's weight
    await walkStages(region, newVersion);
    return await promote(region, newVersion);
  } catch (err) {
    throw await rollBack(region, err);
  }
}
