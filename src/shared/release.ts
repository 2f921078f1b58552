/**
 * How a release (the plan's `release`: members shipping with the version) reads in status lines, tables, the step
 * summary and the Temporal UI, so every view shows it as one unit. Pure.
 */
import type { ReleaseMemberStatus, RolloutStatus } from './types';

type Member = Pick<ReleaseMemberStatus, 'name' | 'model' | 'version' | 'endpoint'>;

/** "features (main.ml.fraud_features v7 on fraud-features)" */
export function describeMember(member: Member): string {
  return `${member.name} (${member.model} v${member.version} on ${member.endpoint})`;
}

/** "release: main.ml.fraud_detector v12 with features (main.ml.fraud_features v7 on fraud-features)", or undefined. */
export function describeRelease(status: Pick<RolloutStatus, 'model' | 'version' | 'release'>): string | undefined {
  if (!status.release?.length) return undefined;
  return `release: ${status.model} v${status.version} with ${status.release.map(describeMember).join(', ')}`;
}

/** Each member's weight in a region, e.g. "features 10%", or "features rolled-back 0%" once it left the stages. */
export function memberWeights(region: { release?: ReleaseMemberStatus[] }): string {
  return (region.release ?? [])
    .map(
      (m) => `${m.name} ${m.state === 'serving' || m.state === 'pending' ? '' : `${m.state} `}${m.challengerWeight}%`,
    )
    .join(', ');
}

/** The new version's weight in a region, with its release members': "10%" or "10% (features 10%)". */
export function weightWithRelease(region: { challengerWeight: number; release?: ReleaseMemberStatus[] }): string {
  const members = memberWeights(region);
  return `${region.challengerWeight}%${members ? ` (${members})` : ''}`;
}
