/**
 * Gate checks against the new version: health probes, edge cases, the load test and the shadow comparison. A check
 * that fails stops the region (it rolls back). Changes `status.checks` (each result, as it comes).
 */
import * as wf from '@temporalio/workflow';
import { challengerName } from '../../shared/endpoint-config';
import type { CheckResult } from '../../shared/types';
import type { RegionContext } from './context';
import { currentVersionName } from './endpoint-changes';

export type CheckContext = Pick<RegionContext, 'input' | 'target' | 'status' | 'endpoint' | 'activities' | 'progress'>;

/** Inputs for probes and load: the edge cases' inputs and the health record. */
export function probePayloads({ input }: Pick<RegionContext, 'input'>): Record<string, unknown>[] {
  return [...input.edgeCases.map((c) => c.input), ...(input.tests.health ? [input.tests.health.input] : [])];
}

/** The test suites that run as soon as the new version serves: health and edge cases, when the plan has them. */
export function testSuites({ input }: Pick<RegionContext, 'input'>): string[] {
  return [...(input.tests.health ? ['health'] : []), ...(input.tests.edge_cases ? ['edge-cases'] : [])];
}

/** Runs `checks` in order; the first that fails throws `CheckFailed` with its summary. */
export async function checksMustPass(ctx: CheckContext, checks: string[], stage?: string): Promise<void> {
  for (const check of checks) {
    const result = await runCheck(ctx, check, stage);
    ctx.status.checks.push(result);
    await ctx.progress.publish();
    if (!result.passed)
      throw wf.ApplicationFailure.nonRetryable(
        `${check} failed${stage ? ` in stage ${stage}` : ''}: ${result.summary}${result.failures.length ? ` (${result.failures.slice(0, 3).join('; ')})` : ''}`,
        'CheckFailed',
      );
  }
}

async function runCheck(ctx: CheckContext, check: string, stage?: string): Promise<CheckResult> {
  const { input, target, activities } = ctx;
  const { tests, version } = input;
  const region = target.region;
  const served = challengerName(input.model, version);
  if (check === 'health' && tests.health)
    return activities.quick.runHealthCheck.executeWithOptions({ summary: `${region}: health of v${version}` }, [
      { ...target, servedEntity: served, queries: tests.health.queries, record: tests.health.input, stage },
    ]);
  if (check === 'load' && tests.load)
    return activities
      .longRunning(tests.load.duration)
      .runLoadTest.executeWithOptions(
        { summary: `${region}: load test at ${tests.load.rps} rps for ${Math.round(tests.load.duration / 1000)}s` },
        [{ ...target, load: tests.load, payloads: probePayloads(ctx), stage }],
      );
  if (check === 'edge-cases' && tests.edge_cases)
    return activities.quick.runEdgeCases.executeWithOptions(
      { summary: `${region}: ${input.edgeCases.length} edge cases on v${version}` },
      [{ ...target, servedEntity: served, cases: input.edgeCases, tolerance: tests.edge_cases.tolerance, stage }],
    );
  if (check === 'shadow' && tests.shadow)
    return activities.quick.runShadowCheck.executeWithOptions(
      { summary: `${region}: shadow check, v${version} against ${currentVersionName(ctx)} at 0% traffic` },
      [
        {
          ...target,
          champion: currentVersionName(ctx),
          challenger: served,
          inputs: [
            ...(tests.health ? [{ name: 'health', record: tests.health.input }] : []),
            ...input.edgeCases.map((c) => ({ name: c.name, record: c.input })),
          ],
          limits: tests.shadow,
          stage,
        },
      ],
    );
  throw wf.ApplicationFailure.nonRetryable(`unknown or unconfigured check "${check}"`, 'PlanError');
}
