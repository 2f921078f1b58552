/** What a region returns when it ends, and the failure that carries it to the parent when it did not promote. */
import * as wf from '@temporalio/workflow';
import type { RegionReport } from '../../shared/types';
import type { RegionContext } from './context';

export function regionReport(
  { status, endpoint, guarded, companions }: Pick<RegionContext, 'status' | 'endpoint' | 'guarded' | 'companions'>,
  outcome: RegionReport['outcome'],
): RegionReport {
  return {
    ...status,
    outcome,
    rollbackPoint: endpoint.rollbackPoint,
    ...(guarded && endpoint.lastApplied ? { appliedConfig: endpoint.lastApplied } : {}),
    // A release: what restoring each member would send back (the parent restores promoted regions from reports).
    ...(companions.length
      ? {
          release: companions.map((member) => ({
            ...member.member!,
            rollbackPoint: member.endpoint.rollbackPoint,
            appliedConfig: member.endpoint.lastApplied,
          })),
        }
      : {}),
  };
}

/**
 * A region that ended without promoting: non-retryable, with its report as the failure's details. It reads as its
 * sentence: no stack trace (which would show the workflow bundle's source paths, and says nothing about the rollout).
 */
export function regionFailure(message: string, type: string, report: RegionReport): wf.ApplicationFailure {
  const failure = wf.ApplicationFailure.create({ message, type, nonRetryable: true, details: [report] });
  failure.stack = '';
  return failure;
}
