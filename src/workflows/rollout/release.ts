/**
 * A release at the parent (the plan's `release`): pre-flight reads each member's version in the primary once (its
 * alias, if the plan names one), checks it like the rollout's own (READY, allowed in every region's jurisdiction) and
 * checks each member's endpoint in every region; each region workflow then gets its members with the versions read
 * here. Changes `status.release`.
 */
import * as wf from '@temporalio/workflow';
import { modelNameInRegion } from '../../plan/resolve';
import type { ReleaseMemberInput } from '../../shared/types';
import { describeFailure } from '../failures';
import type { RolloutContext } from './context';

/**
 * The pre-flight checks of a release, to run beside the rollout's own: each member's version (written into
 * `status.release` as it is read) and each member's endpoint in each region. None when the plan has no release.
 */
export function releaseChecks(ctx: RolloutContext): Promise<void>[] {
  const { plan, version, activities, status } = ctx;
  if (!plan.release) return [];
  const primary = plan.regions.find((r) => r.name === plan.primary)!;
  const release: NonNullable<typeof status.release> = plan.release.map((member) => ({
    name: member.name,
    model: member.model ?? plan.model,
    version: member.version ?? version,
    endpoint: member.endpoint,
  }));
  const versions = plan.release.flatMap((member, m) =>
    member.model === undefined || member.model === plan.model
      ? []
      : [
          activities
            .region(plan.primary)
            .resolveModelVersion.executeWithOptions(
              {
                summary: `pre-flight: release member ${member.name}, ${member.model} ${member.alias !== undefined ? `alias ${member.alias}` : `v${member.version}`} is READY in ${plan.primary}`,
              },
              [
                {
                  region: plan.primary,
                  workspace: primary.workspace,
                  model: member.model,
                  ...(member.alias !== undefined ? { alias: member.alias } : { version: member.version }),
                  residency: plan.regions.map((r) => ({ region: r.name, jurisdiction: r.jurisdiction })),
                },
              ],
            )
            .then((found) => {
              release[m].version = found.version;
            })
            .catch((err: unknown) => {
              throw wf.ApplicationFailure.nonRetryable(
                `release member ${member.name}: ${describeFailure(err)}`,
                'ReleaseMemberNotReady',
              );
            }),
        ],
  );
  const endpoints = plan.regions.flatMap((region) =>
    plan.release!.map((member) =>
      activities
        .region(region.name)
        .checkEndpoint.executeWithOptions(
          { summary: `pre-flight: release member ${member.name}, ${region.name}/${member.endpoint} exists` },
          [{ region: region.name, workspace: region.workspace, endpoint: member.endpoint }],
        )
        .catch((err: unknown) => {
          throw wf.ApplicationFailure.nonRetryable(
            `release member ${member.name}: ${describeFailure(err)}`,
            'EndpointNotFound',
          );
        })
        .then(() => undefined),
    ),
  );
  status.release = release;
  return [...versions, ...endpoints];
}

/** A region's release members, with the versions pre-flight read; undefined without a release. */
export function releaseInRegion({ plan, status }: RolloutContext, region: string): ReleaseMemberInput[] | undefined {
  if (!plan.release || !status.release) return undefined;
  return plan.release.map((member, m) => ({
    name: member.name,
    model: modelNameInRegion(plan, region, status.release![m].model),
    version: status.release![m].version,
    endpoint: member.endpoint,
    served_entity: member.served_entity,
    ...(member.replaces !== undefined ? { replaces: member.replaces } : {}),
    ...(member.health ? { health: member.health } : {}),
  }));
}
