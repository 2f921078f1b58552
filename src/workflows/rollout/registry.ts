/**
 * The registry records the outcome: once the rollout's outcome is known, the version in the primary workspace's Unity
 * Catalog gets its outcome tags (with the reason when a region was rolled back), and on success the plan's own tags
 * and alias (src/shared/registry-outcome.ts decides which). Recording never changes the outcome: a failure to record
 * is a warning in the status and report, and `status.registry` says what was recorded. Rollouts stopped at pre-flight
 * touched nothing and record nothing. Changes `status.registry` and `status.warnings`.
 */
import * as wf from '@temporalio/workflow';
import { DEFAULT_REGISTRY_SETTINGS, registryWrites } from '../../shared/registry-outcome';
import type { RegistryRecord, RolloutReport } from '../../shared/types';
import { describeFailure } from '../failures';
import type { RolloutContext } from './context';
import type { PreflightStop } from './preflight';

export async function recordOutcomeInRegistry(
  ctx: RolloutContext,
  report: RolloutReport,
  preflightStop: PreflightStop | undefined,
): Promise<RolloutReport> {
  // Rollouts that ended before this existed replay without it.
  if (!wf.patched('registry-records-outcome') || preflightStop) return report;
  const { plan, version, status } = ctx;
  // Plans from clients that predate `registry` get its defaults (outcome tags, no alias).
  const settings = plan.registry ?? DEFAULT_REGISTRY_SETTINGS;
  const writes = registryWrites(settings, report.outcome, report.regions, ctx.inbox.stopRequest);
  if (!writes.tags.length && writes.alias === undefined && writes.aliasNotMoved === undefined) return report;
  const record: RegistryRecord = {
    region: plan.primary,
    tags: {},
    ...(writes.aliasNotMoved ? { aliasNotMoved: writes.aliasNotMoved } : {}),
  };
  if (writes.tags.length || writes.alias !== undefined) {
    const primary = plan.regions.find((r) => r.name === plan.primary)!;
    const what = [
      writes.tags.length ? `${writes.tags.length} tags` : '',
      writes.alias !== undefined ? `alias ${writes.alias}` : '',
    ].filter(Boolean);
    try {
      const done = await ctx.activities
        .region(plan.primary)
        .recordRegistryOutcome.executeWithOptions(
          { summary: `record ${report.outcome} of ${plan.model} v${version} in ${plan.primary}: ${what.join(', ')}` },
          [
            {
              region: plan.primary,
              workspace: primary.workspace,
              model: plan.model,
              version,
              tags: writes.tags,
              ...(writes.alias !== undefined ? { alias: writes.alias } : {}),
            },
          ],
        );
      Object.assign(record, done);
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      record.failed = describeFailure(err);
      status.warnings = [
        ...(status.warnings ?? []),
        `the outcome (${report.outcome}) stands, but was not recorded in the Unity Catalog of ${plan.primary}: ${record.failed}`,
      ];
    }
  }
  status.registry = record;
  return { ...report, registry: record, ...(status.warnings ? { warnings: status.warnings } : {}) };
}
