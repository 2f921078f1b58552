/** Following a rollout from a client: one line per change of a region's phase, stage, weight, checks or approvals. */
import type { RegionStatus, RolloutStatus } from './shared/types';

function regionLine(r: RegionStatus): string {
  const stage = r.stage ? ` [${r.stage}]` : '';
  return `${r.region}: ${r.phase}${stage}, new version at ${r.challengerWeight}%${r.paused ? ' (paused)' : ''}`;
}

/** What changed between two statuses, as readable lines (no escape codes: fit for CI logs). */
export function describeChanges(previous: RolloutStatus | undefined, next: RolloutStatus): string[] {
  const lines: string[] = [];
  if (!previous || previous.phase !== next.phase || previous.wave !== next.wave)
    lines.push(`rollout: ${next.phase}${next.wave ? ` (wave ${next.wave})` : ''}`);
  for (const refused of (next.refusedApprovals ?? []).slice(previous?.refusedApprovals?.length ?? 0))
    lines.push(`rollout: approval REFUSED: ${refused.why}`);
  for (const region of next.regions) {
    const before = previous?.regions.find((r) => r.region === region.region);
    // Results first: they explain the phase change that follows them.
    for (const check of region.checks.slice(before?.checks.length ?? 0))
      lines.push(
        `${region.region}: ${check.check}${check.stage ? ` (${check.stage})` : ''} ${check.passed ? 'passed' : 'FAILED'}: ${check.summary}${check.failures.length ? ` - ${check.failures.slice(0, 3).join('; ')}` : ''}`,
      );
    for (const approval of region.approvals.slice(before?.approvals.length ?? 0))
      lines.push(
        `${region.region}: stage ${approval.stage} ${approval.decision} by ${approval.by}${approval.reason ? ` (${approval.reason})` : ''}`,
      );
    for (const refused of (region.refusedApprovals ?? []).slice(before?.refusedApprovals?.length ?? 0))
      lines.push(`${region.region}: approval REFUSED: ${refused.why}`);
    const moved =
      !before ||
      before.phase !== region.phase ||
      before.stage !== region.stage ||
      before.challengerWeight !== region.challengerWeight ||
      before.paused !== region.paused;
    if (moved) lines.push(regionLine(region));
    if (region.error && region.error !== before?.error) lines.push(`${region.region}: ${region.error}`);
  }
  return lines;
}
