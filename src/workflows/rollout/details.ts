/**
 * What the Temporal UI shows of a rollout: the `RolloutStatus` search attribute (the list's filter) and the live
 * table in Current Details (served by a query: it adds nothing to history). Changes nothing but what it shows.
 */
import { fitKeywordList } from '../../shared/search-attributes';
import * as wf from '@temporalio/workflow';
import { RolloutModel, RolloutRegions, RolloutStatusAttribute, RolloutVersion } from '../../shared/messages';
import { describeRelease, weightWithRelease } from '../../shared/release';
import type { RolloutStatus } from '../../shared/types';

export interface Details {
  /** Sets the `RolloutStatus` search attribute and redraws the table. */
  setStatusAttribute(value: string): Promise<void>;
  /** Redraws the table (after a region's progress). */
  render(): void;
}

export function createDetails(model: string, version: number, status: RolloutStatus): Details {
  let statusWord = 'pre-flight';
  const render = () =>
    wf.setCurrentDetails(
      [
        `**${model} v${version}** · ${statusWord}${status.wave ? ` · wave **${status.wave}**` : ''}${status.paused ? ' · ⏸ paused' : ''}`,
        ...(status.release ? [describeRelease(status)!, ''] : []),
        '| region | phase | stage | new version |',
        '|---|---|---|---|',
        ...status.regions.map((r) => `| ${r.region} | ${r.phase} | ${r.stage ?? ''} | ${weightWithRelease(r)} |`),
      ].join('\n'),
    );
  return {
    render,
    async setStatusAttribute(value) {
      statusWord = value;
      wf.upsertSearchAttributes([{ key: RolloutStatusAttribute, value }]);
      render();
    },
  };
}

/** The search attributes a rollout carries from its start: model, version, regions. */
export function upsertRolloutAttributes(model: string, version: number, regions: string[]): void {
  wf.upsertSearchAttributes([
    { key: RolloutModel, value: model },
    { key: RolloutVersion, value: version },
    // Temporal refuses a keyword list over 2 KiB: the first regions, and "+N more" (the same list when it fits).
    { key: RolloutRegions, value: fitKeywordList(regions) },
  ]);
}
