/**
 * Activities that act on one region's Databricks workspace. They run on that region's task queue, are idempotent
 * (a retried call converges on the same state instead of repeating a change), heartbeat while they poll, and
 * classify errors for the retry policy.
 */
import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  DatabricksApiError,
  type DatabricksClient,
  type EndpointCoreConfigOutput,
  type ServedEntityOutput,
  type ServedModelOutput,
  type ServingEndpointDetailed,
} from '../databricks';
import { compareShadow, type ShadowLimits, type ShadowPair } from '../analysis/shadow';
import { checkExpectation, type EdgeCase } from '../plan/edge-cases';
import { describeConfig, ENTITY_SETTINGS, sameConfig } from '../shared/endpoint-config';
import { residencyProblems, type RegionJurisdiction } from '../shared/residency';
import type {
  CheckResult,
  EndpointConfig,
  EndpointSnapshot,
  ServedEntity,
  ServedEntitySettings,
  Workspace,
} from '../shared/types';
import type { WorkspaceClients } from './clients';
import { classified, FailureType } from './errors';

export interface EndpointTarget {
  region: string;
  workspace: Workspace;
  endpoint: string;
}

export interface PollSettings {
  /** First wait between polls, doubled up to maxMs. */
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_POLL: PollSettings = { initialMs: 1000, maxMs: 10_000 };

/**
 * Every setting of a served entity as the API returned it (none made up: an entity sized by provisioned concurrency
 * has no workload_size), so that a rollback point restores all of them.
 */
function settingsOf(e: ServedEntityOutput | ServedModelOutput): ServedEntitySettings {
  const settings: ServedEntitySettings = { scale_to_zero_enabled: e.scale_to_zero_enabled ?? false };
  for (const key of ENTITY_SETTINGS) {
    const value = e[key];
    if (value !== undefined && key !== 'scale_to_zero_enabled')
      Object.assign(settings, { [key]: typeof value === 'object' ? { ...value } : value });
  }
  return settings;
}

/** Converts the API's served config into the comparable input form, with every field of each served entity. */
export function configOf(config: EndpointCoreConfigOutput | undefined): EndpointConfig {
  const entities: ServedEntity[] = [
    ...(config?.served_entities ?? []).map((e) => ({
      name: e.name,
      entity_name: e.entity_name ?? '',
      entity_version: String(e.entity_version ?? ''),
      ...settingsOf(e),
    })),
    ...(config?.served_models ?? []).map((m) => ({
      name: m.name,
      entity_name: m.model_name ?? '',
      entity_version: String(m.model_version ?? ''),
      ...settingsOf(m),
    })),
  ];
  const routes = (config?.traffic_config?.routes ?? []).map((r) => ({
    served_entity_name: r.served_entity_name ?? r.served_model_name ?? '',
    traffic_percentage: r.traffic_percentage,
  }));
  return { servedEntities: entities, routes };
}

function toInput(config: EndpointConfig) {
  return {
    served_entities: config.servedEntities.map((e) => ({ ...e })),
    traffic_config: { routes: config.routes.map((r) => ({ ...r })) },
  };
}

/** Waits with doubling intervals, heartbeating each time; throws the activity's cancellation when cancelled. */
class Poller {
  private interval: number;

  constructor(private readonly settings: PollSettings) {
    this.interval = settings.initialMs;
  }

  async wait(details: unknown) {
    heartbeat(details);
    await sleep(this.interval);
    this.interval = Math.min(this.settings.maxMs, this.interval * 2);
  }
}

interface ApplyProgress {
  startedAt: number;
  /** Our PUT was accepted: an UPDATE_FAILED or a different config afterwards is our update's outcome. */
  submitted: boolean;
}

/** The prediction of a one-record query (the first of `predictions`, or `predictions` itself when not a list). */
function firstPrediction(answer: { predictions?: unknown }): unknown {
  return Array.isArray(answer.predictions) ? (answer.predictions as unknown[])[0] : answer.predictions;
}

export function createDatabricksActivities(clients: WorkspaceClients, poll: PollSettings = DEFAULT_POLL) {
  const client = (workspace: Workspace): DatabricksClient => clients.get(workspace);

  /** Waits until an endpoint has no update in progress; returns it. */
  async function settledEndpoint(target: EndpointTarget, deadline: number, poller: Poller, progress: unknown) {
    for (;;) {
      const endpoint = await client(target.workspace).serving.getEndpoint(target.endpoint);
      if (endpoint.state.config_update !== 'IN_PROGRESS') return endpoint;
      if (Date.now() >= deadline)
        throw ApplicationFailure.create({
          message: `${target.region}/${target.endpoint} has had an update in progress for too long`,
          type: FailureType.EndpointBusy,
        });
      await poller.wait(progress);
    }
  }

  return {
    /** Pre-flight: the version exists and is READY in the primary (resolving an alias when no number is given). */
    async resolveModelVersion(input: {
      region: string;
      workspace: Workspace;
      model: string;
      version?: number;
      alias?: string;
      /** Every region of the rollout with its jurisdiction: the version's residency tag must allow each. */
      residency?: RegionJurisdiction[];
    }) {
      return classified(`${input.region}: model ${input.model}`, async () => {
        const api = client(input.workspace).unityCatalog;
        const found =
          input.version !== undefined
            ? await api.getModelVersion(input.model, input.version)
            : await api.getModelVersionByAlias(input.model, input.alias ?? 'champion');
        if (found.status !== 'READY')
          throw ApplicationFailure.create({
            message: `${input.model} version ${found.version} is ${found.status} in ${input.region}; only READY versions can be rolled out`,
            type: FailureType.VersionNotReady,
            // Registration still running (a CI trigger right after the training job): try again shortly.
            nonRetryable: found.status !== 'PENDING_REGISTRATION',
            nextRetryDelay: found.status === 'PENDING_REGISTRATION' ? '3s' : undefined,
          });
        if (input.residency) {
          const tags = await api.getModelVersionTags(input.model, found.version);
          const problems = residencyProblems(input.model, found.version, tags, input.residency);
          if (problems.length)
            throw ApplicationFailure.create({
              message: `data residency: ${problems.join('; ')}`,
              type: FailureType.ResidencyViolation,
              nonRetryable: true,
            });
        }
        return { version: found.version, status: found.status };
      });
    },

    /**
     * Pre-flight: the endpoint exists and serves a config (this also proves the workspace is reachable), and it can
     * be queried: a route-optimized endpoint takes OAuth tokens only, so a PAT-only profile is refused here, before
     * anything is touched, rather than at the first probe. And its AI Gateway: with `liveJudged` (stages judging live
     * traffic), fallbacks are refused, or a warning where the plan says `on_gateway_fallback: warn`; with
     * `peakTestRate`, a rate limit below it is a warning.
     */
    async checkEndpoint(
      target: EndpointTarget & {
        liveJudged?: { stages: string[]; onGatewayFallback: 'refuse' | 'warn' };
        peakTestRate?: { rps: number; stage: string };
      },
    ) {
      return classified(`${target.region}/${target.endpoint}`, async () => {
        const endpoint = await client(target.workspace).serving.getEndpoint(target.endpoint);
        await client(target.workspace).serving.prepareInvocations(target.endpoint);
        if (!endpoint.config)
          throw ApplicationFailure.create({
            message: `${target.region}/${target.endpoint} serves no config yet; create it with a champion first`,
            type: 'EndpointNotServing',
            nonRetryable: true,
          });
        const warnings: string[] = [];
        const fallback = target.liveJudged && gatewayFallbackProblem(target, endpoint.ai_gateway, target.liveJudged);
        if (fallback && target.liveJudged?.onGatewayFallback !== 'warn')
          throw ApplicationFailure.create({
            message: `${fallback}. Turn fallbacks off while the rollout runs (PUT /api/2.0/serving-endpoints/${target.endpoint}/ai-gateway with "fallback_config": {"enabled": false}), judge those stages on probes or paired only, or set on_gateway_fallback: warn to go ahead knowingly`,
            type: FailureType.GatewayFallbackHidesErrors,
            nonRetryable: true,
          });
        if (fallback) warnings.push(`${fallback} (on_gateway_fallback: warn)`);
        if (target.peakTestRate)
          warnings.push(...gatewayRateLimitWarnings(target, endpoint.ai_gateway, target.peakTestRate));
        return {
          configVersion: endpoint.config.config_version ?? 0,
          state: endpoint.state,
          ...(warnings.length ? { warnings } : {}),
        };
      });
    },

    /**
     * Polls the region's catalog until the version is READY there (Delta Sharing replication). A deadline that spans
     * retries (kept in the heartbeat) ends it with ReplicationTimeout; nothing is touched either way.
     */
    async waitForReplication(input: {
      region: string;
      workspace: Workspace;
      model: string;
      version: number;
      timeoutMs: number;
    }) {
      return classified(`${input.region}: replication of ${input.model} v${input.version}`, async () => {
        const resumed = activityInfo().heartbeatDetails as { startedAt: number } | undefined;
        const progress = { startedAt: resumed?.startedAt ?? Date.now() };
        const deadline = progress.startedAt + input.timeoutMs;
        const poller = new Poller(poll);
        for (;;) {
          try {
            const version = await client(input.workspace).unityCatalog.getModelVersion(input.model, input.version);
            if (version.status === 'READY') return { waitedMs: Date.now() - progress.startedAt };
            if (version.status === 'FAILED_REGISTRATION')
              throw ApplicationFailure.create({
                message: `${input.model} version ${input.version} failed registration`,
                type: FailureType.VersionNotReady,
                nonRetryable: true,
              });
          } catch (err) {
            // Not there yet is the normal state while Delta Sharing catches up.
            if (!(err instanceof DatabricksApiError && err.kind === 'not-found')) throw err;
          }
          if (Date.now() >= deadline)
            throw ApplicationFailure.create({
              message: `${input.model} version ${input.version} did not appear in ${input.region} within ${Math.round(input.timeoutMs / 1000)}s`,
              type: FailureType.ReplicationTimeout,
              nonRetryable: true,
            });
          await poller.wait(progress);
        }
      });
    },

    /** Records the endpoint's served config: the rollback point. Waits out an update in progress first. */
    async captureEndpoint(target: EndpointTarget & { timeoutMs: number }): Promise<EndpointSnapshot> {
      return classified(`${target.region}/${target.endpoint}: record rollback point`, async () => {
        const endpoint = await settledEndpoint(target, Date.now() + target.timeoutMs, new Poller(poll), undefined);
        if (!endpoint.config)
          throw ApplicationFailure.create({
            message: `${target.region}/${target.endpoint} serves no config`,
            type: 'EndpointNotServing',
            nonRetryable: true,
          });
        return {
          region: target.region,
          endpoint: target.endpoint,
          configVersion: endpoint.config.config_version ?? 0,
          capturedAt: new Date().toISOString(),
          ...configOf(endpoint.config),
        };
      });
    },

    /**
     * Makes the endpoint serve exactly `desired` and verifies it: PUTs only when it does not already, waits for the
     * update (heartbeating), and fails non-retryably on UPDATE_FAILED or when the served config is not the one asked
     * for afterwards (a silent revert). Restoring a rollback point is the same call with the snapshot.
     */
    async applyEndpointConfig(
      input: EndpointTarget & {
        desired: EndpointConfig;
        timeoutMs: number;
        purpose: string;
        /**
         * The configs the endpoint may serve before this change (what the rollout last set). When given, an
         * endpoint serving anything else was changed by someone else: the call fails (EndpointChangedExternally)
         * instead of overwriting that change.
         */
        expected?: EndpointConfig[];
      },
    ) {
      return classified(`${input.region}/${input.endpoint}: ${input.purpose}`, async () => {
        const api = client(input.workspace).serving;
        const resumed = activityInfo().heartbeatDetails as ApplyProgress | undefined;
        const progress: ApplyProgress = resumed ?? { startedAt: Date.now(), submitted: false };
        const deadline = progress.startedAt + input.timeoutMs;
        const poller = new Poller(poll);
        for (;;) {
          const endpoint: ServingEndpointDetailed = await api.getEndpoint(input.endpoint);
          const state = endpoint.state.config_update;
          if (state === 'IN_PROGRESS') {
            if (sameConfig(configOf(endpoint.pending_config), input.desired)) progress.submitted = true;
          } else {
            const served = configOf(endpoint.config);
            if (sameConfig(served, input.desired)) return { configVersion: endpoint.config?.config_version ?? 0 };
            if (progress.submitted) {
              const failed = state === 'UPDATE_FAILED';
              throw ApplicationFailure.create({
                message: failed
                  ? `the update to ${describeConfig(input.desired)} failed (UPDATE_FAILED); the endpoint still serves ${describeConfig(served)}`
                  : `the endpoint reported the update done but serves ${describeConfig(served)} instead of ${describeConfig(input.desired)}`,
                type: failed ? FailureType.EndpointUpdateFailed : FailureType.EndpointConfigReverted,
                nonRetryable: true,
              });
            }
            if (input.expected && !input.expected.some((config) => sameConfig(served, config)))
              throw ApplicationFailure.create({
                message: `the endpoint serves ${describeConfig(served)}, which this rollout did not set (it expected ${describeConfig(input.expected[0])}): someone else changed it; not overwriting their change`,
                type: FailureType.EndpointChangedExternally,
                nonRetryable: true,
              });
            try {
              await api.updateEndpointConfig(input.endpoint, toInput(input.desired));
              progress.submitted = true;
              heartbeat(progress);
              continue;
            } catch (err) {
              // Someone started an update between our read and our write: wait for it, then decide again.
              if (!(err instanceof DatabricksApiError && err.kind === 'conflict')) throw err;
            }
          }
          if (Date.now() >= deadline)
            throw ApplicationFailure.create({
              message: `no settled config after ${Math.round(input.timeoutMs / 1000)}s`,
              type: FailureType.EndpointBusy,
              nonRetryable: true,
            });
          await poller.wait(progress);
        }
      });
    },

    /** Health: the endpoint is READY and the new version answers every query with one prediction per input. */
    async runHealthCheck(
      input: EndpointTarget & {
        servedEntity: string;
        queries: number;
        record: Record<string, unknown>;
        stage?: string;
      },
    ): Promise<CheckResult> {
      return classified(`${input.region}/${input.endpoint}: health check`, async () => {
        const api = client(input.workspace).serving;
        const failures: string[] = [];
        const endpoint = await api.getEndpoint(input.endpoint);
        await api.prepareInvocations(input.endpoint); // a route-optimized endpoint: OAuth only, at its data plane
        if (endpoint.state.ready !== 'READY') failures.push(`endpoint state is ${endpoint.state.ready}`);
        for (let i = 0; i < input.queries; i++) {
          heartbeat(i);
          try {
            const answer = await api.queryServedModel(input.endpoint, input.servedEntity, {
              dataframe_records: [input.record],
            });
            if (!Array.isArray(answer.predictions) || answer.predictions.length !== 1)
              failures.push(`query ${i + 1}: expected one prediction, got ${JSON.stringify(answer.predictions)}`);
          } catch (err) {
            if (!(err instanceof DatabricksApiError)) throw err;
            failures.push(`query ${i + 1}: HTTP ${err.status} ${err.errorCode}`);
          }
        }
        return {
          check: 'health',
          stage: input.stage,
          passed: failures.length === 0,
          summary: failures.length
            ? `${failures.length} of ${input.queries} health probes failed`
            : `${input.queries} queries answered`,
          failures,
          at: new Date().toISOString(),
        };
      });
    },

    /**
     * The shadow check: each input scored by both versions through the per-served-model route (the new version is
     * at 0%, so no user sees its answers), predictions compared by `compareShadow`.
     */
    async runShadowCheck(
      input: EndpointTarget & {
        champion: string;
        challenger: string;
        inputs: { name: string; record: Record<string, unknown> }[];
        limits: ShadowLimits;
        stage?: string;
      },
    ): Promise<CheckResult> {
      return classified(`${input.region}/${input.endpoint}: shadow check`, async () => {
        const api = client(input.workspace).serving;
        await api.prepareInvocations(input.endpoint);
        const pairs: ShadowPair[] = [];
        const failedQueries: string[] = [];
        for (const [i, { name, record }] of input.inputs.entries()) {
          heartbeat(i);
          const body = { dataframe_records: [record] };
          try {
            const [champion, challenger] = await Promise.all([
              api.queryServedModel(input.endpoint, input.champion, body),
              api.queryServedModel(input.endpoint, input.challenger, body),
            ]);
            pairs.push({ input: name, champion: firstPrediction(champion), challenger: firstPrediction(challenger) });
          } catch (err) {
            if (!(err instanceof DatabricksApiError)) throw err;
            failedQueries.push(
              `${name}: HTTP ${err.status} ${err.errorCode}${err.servedModelName ? ` from ${err.servedModelName}` : ''}`,
            );
          }
        }
        const comparison = compareShadow(pairs, input.limits);
        const failures = [...failedQueries, ...comparison.failures];
        const worst = comparison.examples
          .slice(0, 3)
          .map((e) => `${e.input}: ${JSON.stringify(e.champion)} → ${JSON.stringify(e.challenger)}`);
        return {
          check: 'shadow',
          stage: input.stage,
          passed: failures.length === 0,
          summary:
            `${comparison.inputs} inputs scored by both versions at 0% traffic: ${comparison.disagreements} disagree ` +
            `(tolerance ${input.limits.tolerance})` +
            (comparison.numeric.n
              ? `, mean |Δ| ${comparison.numeric.meanAbsoluteDifference.toPrecision(3)}, max |Δ| ${comparison.numeric.maxAbsoluteDifference.toPrecision(3)}`
              : '') +
            (worst.length ? `; e.g. ${worst.join('; ')}` : ''),
          failures,
          at: new Date().toISOString(),
          evidence: {
            source: 'probes (both versions queried directly on the same inputs)',
            champion: input.champion,
            challenger: input.challenger,
            ...comparison,
          },
        };
      });
    },

    /** Edge cases: each input, sent straight to the new version, must give its expected output. */
    async runEdgeCases(
      input: EndpointTarget & { servedEntity: string; cases: EdgeCase[]; tolerance: number; stage?: string },
    ): Promise<CheckResult> {
      return classified(`${input.region}/${input.endpoint}: edge cases`, async () => {
        const api = client(input.workspace).serving;
        await api.prepareInvocations(input.endpoint);
        const failures: string[] = [];
        for (const [i, edgeCase] of input.cases.entries()) {
          heartbeat(i);
          try {
            const answer = await api.queryServedModel(input.endpoint, input.servedEntity, {
              dataframe_records: [edgeCase.input],
            });
            const actual = firstPrediction(answer);
            const verdict = checkExpectation(edgeCase.expected, actual, input.tolerance);
            if (!verdict.pass) failures.push(`${edgeCase.name}: ${verdict.reason ?? 'mismatch'}`);
          } catch (err) {
            if (!(err instanceof DatabricksApiError)) throw err;
            failures.push(`${edgeCase.name}: HTTP ${err.status} ${err.errorCode}`);
          }
        }
        return {
          check: 'edge-cases',
          stage: input.stage,
          passed: failures.length === 0,
          summary: `${input.cases.length - failures.length} of ${input.cases.length} edge cases passed`,
          failures,
          at: new Date().toISOString(),
        };
      });
    },
  };
}

export type DatabricksActivities = ReturnType<typeof createDatabricksActivities>;

/**
 * Why AI Gateway fallbacks on an endpoint blind a live-traffic judge (undefined when they are off): a request the new
 * version fails is retried on the current one, so its error is in no metric the judge reads.
 */
function gatewayFallbackProblem(
  target: EndpointTarget,
  gateway: Record<string, unknown> | undefined,
  liveJudged: { stages: string[] },
): string | undefined {
  const fallback = gateway?.fallback_config as { enabled?: unknown } | undefined;
  if (fallback?.enabled !== true) return undefined;
  return `${target.region}/${target.endpoint} has AI Gateway fallbacks on (ai_gateway.fallback_config.enabled): a request the new version fails is retried on the current version, so its errors never reach the endpoint's metrics, and stage${liveJudged.stages.length > 1 ? 's' : ''} ${liveJudged.stages.join(', ')} judge${liveJudged.stages.length > 1 ? '' : 's'} live traffic from those metrics`;
}

/**
 * AI Gateway call limits that apply to every caller (key `endpoint`, or `user` / `service_principal` without a named
 * principal) and are below the plan's busiest test: its requests will be answered 429, which the judge counts apart
 * from the model's errors, so it decides later, and a load test measures the limit instead of the model.
 */
function gatewayRateLimitWarnings(
  target: EndpointTarget,
  gateway: Record<string, unknown> | undefined,
  peak: { rps: number; stage: string },
): string[] {
  const limits = Array.isArray(gateway?.rate_limits) ? (gateway.rate_limits as Record<string, unknown>[]) : [];
  return limits.flatMap((limit) => {
    const key = typeof limit.key === 'string' ? limit.key : 'endpoint';
    const everyone = key === 'endpoint' || ((key === 'user' || key === 'service_principal') && !limit.principal);
    if (!everyone || typeof limit.calls !== 'number' || limit.calls >= peak.rps * 60) return [];
    return [
      `${target.region}/${target.endpoint}: AI Gateway allows ${limit.calls} calls per minute per ${key}, and stage ${peak.stage}'s tests send up to ${peak.rps} requests per second (${peak.rps * 60} a minute): expect 429s, which the judge counts apart from the model's errors (it decides later) and a load test measures as the limit`,
    ];
  });
}
