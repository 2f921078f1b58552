/**
 * Watching after promotion (the plan's `after_promotion`): the new version serves 100%, and its live traffic is judged
 * against the replaced version's own minutes from before the rollout (`baseline.ts`), by the canary judge with the
 * plan's canary margins (activities/after-promotion.ts). Phase `watching`; the verdict is a check of kind
 * `after-promotion` in `status.checks`.
 * - A clear regression found within `rollback_window` of the promotion throws `RegressedAfterPromotion`: the region's
 *   compensation restores the rollback point (with its external-change check and its hand-over to an operator), and
 *   the parent's failure policy applies as for any region that rolled back.
 * - One found later is not restored: the region ends promoted, with the finding in `status.warnings`.
 * - None: the region ends promoted when the watch ends.
 * The region keeps the endpoint's lease throughout (it holds it until it closes). Changes `status.checks` and
 * `status.warnings`.
 */
import * as wf from '@temporalio/workflow';
import { formatDurationMs } from '../../shared/duration';
import type { ServedEntity } from '../../shared/types';
import type { RegionContext } from './context';
import { currentVersionName } from './endpoint-changes';

export async function watchAfterPromotion(ctx: RegionContext, newVersion: ServedEntity): Promise<void> {
  const { input, target, status, activities, progress, baseline } = ctx;
  const after = input.afterPromotion!;
  await progress.setPhase('watching');
  const replaced = currentVersionName(ctx);
  const before = (baseline.minutes ?? []).flatMap((minute) => minute.entities[replaced] ?? []);
  const result = await activities.longRunning(after.watch).judgeAfterPromotion.executeWithOptions(
    {
      summary: `${target.region}: watch v${input.version} at 100% for ${formatDurationMs(after.watch)} against ${replaced} before the rollout`,
    },
    [
      {
        ...target,
        before,
        beforeEntity: replaced,
        afterEntity: newVersion.name,
        ...(input.tests.canary ? { canary: input.tests.canary } : {}),
        watchMs: after.watch,
      },
    ],
  );
  const { regressed, atMs, ...check } = result;
  status.checks.push(check);
  await progress.publish();
  if (!regressed) return;
  const found = `${formatDurationMs(atMs)} after promotion`;
  const reasons = result.failures.join('; ');
  if (atMs <= after.rollback_window)
    throw wf.ApplicationFailure.nonRetryable(
      `regressed after promotion (found ${found}, within the rollback window of ${formatDurationMs(after.rollback_window)}): ${reasons}, the new version at 100% against the previous one before the rollout`,
      'RegressedAfterPromotion',
    );
  status.warnings = [
    ...(status.warnings ?? []),
    `v${input.version} regressed after promotion, found ${found}, past the rollback window of ${formatDurationMs(after.rollback_window)}, so it was not restored: ${reasons}; restore the rollback point by hand if it matters`,
  ];
  await progress.publish();
}
