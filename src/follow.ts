/** Following a rollout from a client: one line per change of a region's phase, stage, weight, checks or approvals. */
import type { RegionStatus, RolloutStatus } from './shared/types';
import { failedNotifications } from './shared/notifications';
import { describeRegistryRecord } from './shared/registry-outcome';
import { describeRelease, memberWeights, weightWithRelease } from './shared/release';
import { terminalLine } from './shared/untrusted-text';

function regionLine(r: RegionStatus): string {
  const stage = r.stage ? ` [${r.stage}]` : '';
  return `${r.region}: ${r.phase}${stage}, new version at ${weightWithRelease(r)}${r.paused ? ' (paused)' : ''}`;
}

/** What changed between two statuses, as readable lines (no escape codes: fit for CI logs). */
export function describeChanges(previous: RolloutStatus | undefined, next: RolloutStatus): string[] {
  const lines: string[] = [];
  const phaseChanged = !previous || previous.phase !== next.phase || previous.wave !== next.wave;
  const phaseLine = `rollout: ${next.phase}${next.wave ? ` (wave ${next.wave})` : ''}`;
  // The first look starts with the rollout; after that, what the regions did comes first, since it is what moved the
  // rollout on (the pilot's promotion, then the next wave).
  if (phaseChanged && !previous) lines.push(phaseLine);
  const release = describeRelease(next);
  if (release && !previous?.release) lines.push(`rollout: ${release}`);
  for (const warning of (next.warnings ?? []).slice(previous?.warnings?.length ?? 0))
    lines.push(`rollout: WARNING: ${warning}`);
  for (const failed of failedNotifications(next, previous)) lines.push(`rollout: ${failed}`);
  if (next.registry && !previous?.registry)
    lines.push(`rollout: ${describeRegistryRecord(next.registry, next.version)}`);
  for (const refused of (next.refusedApprovals ?? []).slice(previous?.refusedApprovals?.length ?? 0))
    lines.push(`rollout: approval REFUSED: ${refused.why}`);
  lines.push(...regionChanges(previous, next));
  if (phaseChanged && previous) lines.push(phaseLine);
  // Reasons, approvers, check summaries and errors come from people and endpoints: escaped, one line each.
  return lines.map(terminalLine);
}

/**
 * Each region's checks, approvals, phases passed through and its new state since the last look, in the order they
 * happened across regions (the pilot's promotion before the next wave's first step). Within a region, results come
 * before the phase change they cause, and its new state after what led to it.
 */
function regionChanges(previous: RolloutStatus | undefined, next: RolloutStatus): string[] {
  const events: { at: string; order: number; line: string }[] = [];
  const add = (at: string | undefined, line: string) => events.push({ at: at ?? '', order: events.length, line });
  for (const region of next.regions) {
    const before = previous?.regions.find((r) => r.region === region.region);
    // Phases entered and left between two looks are told too (the timeline keeps each one).
    const happened: { at: string; line: string }[] = [];
    for (const check of region.checks.slice(before?.checks.length ?? 0))
      happened.push({
        at: check.at,
        line: `${region.region}: ${check.check}${check.stage ? ` (${check.stage})` : ''} ${check.passed ? 'passed' : 'FAILED'}: ${check.summary}${check.failures.length ? ` - ${check.failures.slice(0, 3).join('; ')}` : ''}`,
      });
    for (const approval of region.approvals.slice(before?.approvals.length ?? 0))
      happened.push({
        at: approval.at,
        line: `${region.region}: stage ${approval.stage} ${approval.decision} by ${approval.by}${approval.reason ? ` (${approval.reason})` : ''}`,
      });
    for (const refused of (region.refusedApprovals ?? []).slice(before?.refusedApprovals?.length ?? 0))
      happened.push({ at: refused.at, line: `${region.region}: approval REFUSED: ${refused.why}` });
    if (before)
      for (const passed of region.timeline.slice(before.timeline.length, -1))
        happened.push({
          at: passed.at,
          line: `${region.region}: ${passed.phase}${passed.stage ? ` [${passed.stage}]` : ''}${passed.weight !== undefined ? `, new version at ${passed.weight}%` : ''}`,
        });
    for (const e of happened.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))) add(e.at, e.line);
    // The new state at the time it began: never before the events of this region that led to it.
    const latest = happened.at(-1)?.at ?? '';
    const since = region.phaseSince > latest ? region.phaseSince : latest;
    const moved =
      !before ||
      before.phase !== region.phase ||
      before.stage !== region.stage ||
      before.challengerWeight !== region.challengerWeight ||
      memberWeights(before) !== memberWeights(region) ||
      before.paused !== region.paused;
    if (moved) add(since, regionLine(region));
    // A failed check's line already said what the region's error says ("edge-cases failed in stage canary: ...").
    const last = region.checks.at(-1);
    const toldByCheck = last !== undefined && !last.passed && region.error?.startsWith(`${last.check} failed`);
    if (region.error && region.error !== before?.error && !toldByCheck) add(since, `${region.region}: ${region.error}`);
  }
  // Across regions by time (ISO strings sort as times); equal times keep the order above.
  return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order)).map((e) => e.line);
}
