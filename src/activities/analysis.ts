/**
 * Activities that measure: a load test judged against absolute SLOs, the sequential canary judge (canary.ts) and
 * the A/B stage (ab-test.ts). Each long measurement heartbeats its progress, so a retried attempt resumes with it.
 */
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import { invocationSender } from '../load/databricks-target';
import { runLoad, type LoadCheckpoint, type LoadResult, type VariantStats } from '../load/generator';
import type { Plan } from '../plan/schema';
import type { CheckResult } from '../shared/types';
import {
  judgeAfterPromotionWith,
  recordBaselineWith,
  type AfterPromotionInput,
  type AfterPromotionProgress,
  type AfterPromotionResult,
  type BaselineInput,
  type BaselineProgress,
} from './after-promotion';
import { abTestWith, type AbProgress, type AbTestInput, type AbTestResult } from './ab-test';
import { judgeCanaryWith, type CanaryJudgementInput, type CanaryProgress } from './canary';
import type { WorkspaceClients } from './clients';
import type { EndpointTarget } from './databricks';
import { classified } from './errors';
import type { RecordedMinute } from './live-minutes';

type LoadSettings = NonNullable<Plan['tests']['load']>;

/** Probe bodies: each input record as a one-row scoring request. */
const requestBodies = (records: Record<string, unknown>[]) =>
  records.map((record) => ({ dataframe_records: [record] }));

const errorsOf = (stats: Pick<VariantStats, 'statusClasses'>) =>
  stats.statusClasses['5xx'] + stats.statusClasses.timeout + stats.statusClasses.network;

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function createAnalysisActivities(clients: WorkspaceClients) {
  return {
    /** A load test of the endpoint as users reach it (routed by traffic weights), judged against the plan's SLOs. */
    async runLoadTest(
      input: EndpointTarget & { load: LoadSettings; payloads: Record<string, unknown>[]; stage?: string },
    ): Promise<CheckResult> {
      return classified(`${input.region}/${input.endpoint}: load test`, async () => {
        const client = clients.get(input.workspace);
        // Where invocations go (a route-optimized endpoint's data plane) and its token: problems fail the activity.
        await client.serving.prepareInvocations(input.endpoint, { signal: cancellationSignal() });
        const resumed = activityInfo().heartbeatDetails as LoadCheckpoint | undefined;
        const result: LoadResult = await runLoad({
          rps: input.load.rps,
          durationMs: input.load.duration,
          concurrency: input.load.concurrency,
          timeoutMs: input.load.timeout,
          payloads: requestBodies(input.payloads),
          send: invocationSender(client, input.endpoint),
          signal: cancellationSignal(),
          // A retried attempt (after a worker restart) continues the test with what was measured before.
          resume: resumed,
          onCheckpoint: (checkpoint) => heartbeat(checkpoint),
        });
        // Cut short (the workflow cancelled it, or the worker is shutting down): never judge a partial test. The
        // last checkpoint is heartbeated, so a retried attempt continues from it.
        if (result.aborted) throw cancellationSignal().reason ?? new Error('load test cancelled');
        const errorRate = result.overall.requests ? errorsOf(result.overall) / result.overall.requests : 0;
        const failures: string[] = [];
        const slo = input.load.slo;
        if (slo.p99 !== undefined && result.overall.latencyMs.p99 > slo.p99)
          failures.push(`p99 ${round(result.overall.latencyMs.p99)}ms is over the SLO of ${slo.p99}ms`);
        if (slo.error_rate !== undefined && errorRate > slo.error_rate)
          failures.push(
            `error rate ${round(errorRate * 100, 2)}% is over the SLO of ${round(slo.error_rate * 100, 2)}%`,
          );
        if (result.dropped > 0) failures.push(`${result.dropped} requests could not be sent (concurrency cap reached)`);
        const variants = Object.entries(result.byVariant)
          .map(([name, v]) => `${name}: ${v.requests} req, p99 ${round(v.latencyMs.p99)}ms, ${errorsOf(v)} errors`)
          .join('; ');
        return {
          check: 'load',
          stage: input.stage,
          passed: failures.length === 0,
          summary: `${result.completed} requests at ${round(result.achievedRps)} rps (target ${input.load.rps}): p50 ${round(result.overall.latencyMs.p50)}ms, p99 ${round(result.overall.latencyMs.p99)}ms, errors ${round(errorRate * 100, 2)}% [${variants}]`,
          failures,
          at: new Date().toISOString(),
          evidence: {
            source: 'probes (open-model load through the endpoint)',
            // Set when an earlier attempt (e.g. on a worker that stopped) measured part of the test.
            resumedAt: resumed ? { attempt: activityInfo().attempt, request: resumed.nextIndex } : undefined,
            targetRps: result.targetRps,
            achievedRps: result.achievedRps,
            dropped: result.dropped,
            overall: { ...result.overall, samples: undefined },
            byVariant: Object.fromEntries(
              Object.entries(result.byVariant).map(([k, v]) => [k, { ...v, samples: undefined }]),
            ),
          },
        };
      });
    },

    /** The canary judge (see judgeCanaryWith); progress is heartbeated, so a retried attempt resumes with it. */
    async judgeCanary(input: CanaryJudgementInput): Promise<CheckResult> {
      return classified(`${input.region}/${input.endpoint}: canary judgement`, () =>
        judgeCanaryWith(clients.get(input.workspace), input, {
          resumed: activityInfo().heartbeatDetails as CanaryProgress | undefined,
          onLook: (progress) => heartbeat(progress),
          signal: cancellationSignal(),
        }),
      );
    },

    /**
     * after_promotion's baseline: the endpoint's live minutes before the rollout changes anything (see
     * recordBaselineWith); the minutes read are heartbeated, so a retry resumes with them.
     */
    async recordBaseline(input: BaselineInput): Promise<RecordedMinute[]> {
      return classified(
        `${input.region}/${input.endpoint}: after_promotion cannot record its baseline from the endpoint's metrics export`,
        () =>
          recordBaselineWith(clients.get(input.workspace), input, {
            resumed: activityInfo().heartbeatDetails as BaselineProgress | undefined,
            onLook: (progress) => heartbeat(progress),
            signal: cancellationSignal(),
          }),
      );
    },

    /** The watch after promotion (see judgeAfterPromotionWith); its state is heartbeated, so a retry resumes. */
    async judgeAfterPromotion(input: AfterPromotionInput): Promise<AfterPromotionResult> {
      return classified(`${input.region}/${input.endpoint}: judgement after promotion`, () =>
        judgeAfterPromotionWith(clients.get(input.workspace), input, {
          resumed: activityInfo().heartbeatDetails as AfterPromotionProgress | undefined,
          onLook: (progress) => heartbeat(progress),
          signal: cancellationSignal(),
        }),
      );
    },

    /** An A/B stage's measurement and decision (see abTestWith); progress is heartbeated, so a retry resumes. */
    async runAbTest(input: AbTestInput): Promise<AbTestResult> {
      return classified(`${input.region}/${input.endpoint}: A/B test`, () =>
        abTestWith(clients.get(input.workspace), input, {
          resumed: activityInfo().heartbeatDetails as AbProgress | undefined,
          onRound: (progress) => heartbeat(progress),
          signal: cancellationSignal(),
        }),
      );
    },
  };
}

export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;
export type { AbTestInput, AbTestResult, CanaryJudgementInput };
