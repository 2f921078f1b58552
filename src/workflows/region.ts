/**
 * One region's rollout: wait for Delta Sharing replication, record the endpoint's config as the rollback point, serve
 * the new version next to the current one at the first stage's weight, test it, walk the stages (weight, bake, gate,
 * approval), promote. On any failure after the endpoint was touched, restore the recorded config exactly; if that
 * cannot be done, wait in `rollback-failed` for an operator instead of ending quietly.
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PlanStage } from '../plan/schema';
import { approvalRefusal } from '../shared/approvals';
import { challengerName, describeConfig, stageConfig } from '../shared/endpoint-config';
import {
  approveUpdate,
  regionCommandSignal,
  regionStatusQuery,
  regionStatusSignal,
  rejectUpdate,
  type RegionCommand,
} from '../shared/messages';
import { regionTaskQueue } from '../shared/task-queues';
import { acquireEndpointLease } from './endpoint-lease';
import { describeFailure, failureType } from './failures';
import { ROLLBACK_ATTEMPTS, ROLLBACK_BACKOFF_MS, withAttempts } from './retry';
import type {
  ApprovalAnswer,
  ApprovalRequest,
  CheckResult,
  EndpointConfig,
  EndpointSnapshot,
  RegionPhase,
  RegionReport,
  RegionRolloutInput,
  RegionStatus,
  ServedEntity,
} from '../shared/types';

/** Workflow time: Date is deterministic (replayed) inside the workflow sandbox. */
const nowIso = () => new Date().toISOString();

const MARGIN_MS = 5 * 60_000;

const PROGRESS_SIGNALS_NOT_AWAITED = 'progress-signals-not-awaited';

export function regionFailure(message: string, type: string, report: RegionReport): wf.ApplicationFailure {
  return wf.ApplicationFailure.create({ message, type, nonRetryable: true, details: [report] });
}

export async function regionRolloutWorkflow(input: RegionRolloutInput): Promise<RegionReport> {
  const progressSignals = new Set<Promise<unknown>>();
  try {
    return await rolloutRegion(input, progressSignals);
  } finally {
    // The parent takes a stopped region's last state from its signals: they must arrive before this one closes.
    await Promise.all(progressSignals);
  }
}

/** `progressSignals`: the progress signals to the parent still in flight. */
async function rolloutRegion(input: RegionRolloutInput, progressSignals: Set<Promise<unknown>>): Promise<RegionReport> {
  const { region, version, timeouts } = input;
  const target = { region: region.name, workspace: region.workspace, endpoint: region.endpoint };
  const status: RegionStatus = {
    region: region.name,
    phase: 'pending',
    challengerWeight: 0,
    phaseSince: nowIso(),
    startedAt: nowIso(),
    paused: false,
    checks: [],
    approvals: [],
    timeline: [],
  };
  let rollbackPoint: EndpointSnapshot | undefined;
  // Rollouts started before the endpoint lease and the external-change check replay without them.
  const guarded = wf.patched('endpoint-lease-and-change-check');
  /** What this rollout last set on the endpoint, and what it is setting now: anything else is someone else's. */
  let lastApplied: EndpointConfig | undefined;
  let attempted: EndpointConfig | undefined;
  /** An operator's retryRollback after an external change: restore the rollback point over that change. */
  let overwriteExternalChange = false;
  let decision: { type: 'approve' | 'reject'; request: ApprovalRequest } | undefined;
  let skipBake = false;
  let retryRollback = false;

  const queue = regionTaskQueue(region.name);
  const quick = wf.proxyActivities<Activities>({
    taskQueue: queue,
    startToCloseTimeout: '2m',
    heartbeatTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  });
  const replication = wf.proxyActivities<Activities>({
    taskQueue: queue,
    startToCloseTimeout: timeouts.replication + MARGIN_MS,
    heartbeatTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  const updates = wf.proxyActivities<Activities>({
    taskQueue: queue,
    startToCloseTimeout: timeouts.config_update + MARGIN_MS,
    heartbeatTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  });
  // A rollback retries for longer before it hands over to an operator.
  const rollbacks = wf.proxyActivities<Activities>({
    taskQueue: queue,
    startToCloseTimeout: timeouts.config_update + MARGIN_MS,
    heartbeatTimeout: '30s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
  });

  const report = (outcome: RegionReport['outcome']): RegionReport => ({
    ...status,
    outcome,
    rollbackPoint,
    ...(guarded && lastApplied ? { appliedConfig: lastApplied } : {}),
  });

  async function publish() {
    wf.setCurrentDetails(
      [
        `**${region.name}** · ${status.phase}${status.stage ? ` · stage **${status.stage}**` : ''}`,
        `new version v${version} at **${status.challengerWeight}%** on \`${region.endpoint}\``,
        status.paused ? '⏸ paused' : '',
        status.error ? `error: ${status.error}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    status.revision = (status.revision ?? 0) + 1;
    // Run on its own (no parent), or the parent has closed: the signal fails and the query still answers.
    const sent: Promise<unknown> = wf
      .getExternalWorkflowHandle(input.parentWorkflowId)
      .signal(regionStatusSignal, { ...status })
      .catch(() => undefined)
      .finally(() => progressSignals.delete(sent));
    progressSignals.add(sent);
    // Awaiting the signal cost a workflow task per phase change; the next command now leaves in the same task.
    // Rollouts started before this awaited it, and replay that way.
    if (!wf.patched(PROGRESS_SIGNALS_NOT_AWAITED)) await sent;
  }

  async function setPhase(phase: RegionPhase, stage?: string) {
    status.phase = phase;
    status.phaseSince = nowIso();
    if (stage !== undefined) status.stage = stage;
    status.timeline.push({ phase, stage: status.stage, at: status.phaseSince });
    await publish();
  }

  function decide(type: 'approve' | 'reject', request: ApprovalRequest): ApprovalAnswer {
    decision = { type, request };
    return {
      decision: type === 'approve' ? 'approved' : 'rejected',
      regions: [{ region: region.name, stage: status.stage ?? '' }],
    };
  }

  function validateApproval(request: ApprovalRequest) {
    if (!request?.approver?.trim())
      throw new Error('an approver identity is required (--as, GITHUB_ACTOR or the OS user)');
    if (request.region && request.region !== region.name)
      throw new Error(`this is the ${region.name} rollout, not ${request.region}`);
    if (status.phase === 'awaiting-approval' && decision !== undefined)
      throw new Error(
        `${region.name}: stage ${status.stage} was already ${decision.type === 'approve' ? 'approved' : 'rejected'} by ${decision.request.approver}`,
      );
    if (status.phase !== 'awaiting-approval')
      throw new Error(
        `${region.name} is not awaiting approval (it is ${status.phase}${status.stage ? ` in stage ${status.stage}` : ''})`,
      );
  }

  wf.setHandler(regionStatusQuery, () => status, { description: 'Live status of this region' });
  /** Not in the plan's approvals.allowed: recorded in the status (and the update's events), answered with why. */
  async function refuseApproval(request: ApprovalRequest, why: string): Promise<ApprovalAnswer> {
    status.refusedApprovals = [
      ...(status.refusedApprovals ?? []),
      { by: request.approver, reason: request.reason, region: region.name, stage: status.stage, at: nowIso(), why },
    ];
    await publish();
    throw wf.ApplicationFailure.nonRetryable(why, 'ApprovalRefused');
  }

  wf.setHandler(
    approveUpdate,
    (request) => {
      const why = approvalRefusal(request.approver, input.approvers, `${input.rolloutId} in ${region.name}`);
      return why === undefined ? decide('approve', request) : refuseApproval(request, why);
    },
    {
      validator: validateApproval,
      description: 'Approve the stage awaiting approval: {"approver": "...", "reason": "..."}',
    },
  );
  wf.setHandler(rejectUpdate, (request) => decide('reject', request), {
    validator: validateApproval,
    description: 'Reject the stage awaiting approval (the region rolls back)',
  });
  wf.setHandler(regionCommandSignal, (command: RegionCommand) => {
    switch (command.type) {
      case 'approve':
      case 'reject':
        if (status.phase === 'awaiting-approval') decision = { type: command.type, request: command.request };
        break;
      case 'pause':
        status.paused = true;
        break;
      case 'resume':
        status.paused = false;
        break;
      case 'skip-bake':
        skipBake = true;
        break;
      case 'retry-rollback':
        retryRollback = true;
        break;
    }
  });

  const apply = async (config: EndpointConfig, purpose: string, weight: number) => {
    attempted = config;
    const { configVersion } = await updates.applyEndpointConfig.executeWithOptions(
      { summary: `${region.name}: ${purpose} (${describeConfig(config)})` },
      [
        {
          ...target,
          desired: config,
          timeoutMs: timeouts.config_update,
          purpose,
          ...(guarded && lastApplied ? { expected: [lastApplied] } : {}),
        },
      ],
    );
    lastApplied = config;
    status.challengerWeight = weight;
    status.configVersion = configVersion;
  };

  /** Activities that run for a while (load tests, the canary judge): their timeout follows their duration. */
  const longRunning = (durationMs: number) =>
    wf.proxyActivities<Activities>({
      taskQueue: queue,
      startToCloseTimeout: durationMs + MARGIN_MS,
      heartbeatTimeout: '30s',
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
    });
  /** Inputs for probes and load: the edge cases' inputs and the health record. */
  const probePayloads = () => [
    ...input.edgeCases.map((c) => c.input),
    ...(input.tests.health ? [input.tests.health.input] : []),
  ];

  /** The served entity that takes most traffic at the rollback point: what the new version is compared with. */
  const currentVersionName = () =>
    rollbackPoint!.routes.reduce((a, b) => (b.traffic_percentage > a.traffic_percentage ? b : a)).served_entity_name;

  const runCheck = async (check: string, stage?: string): Promise<CheckResult> => {
    const served = challengerName(input.model, version);
    if (check === 'health' && input.tests.health)
      return quick.runHealthCheck.executeWithOptions({ summary: `${region.name}: health of v${version}` }, [
        {
          ...target,
          servedEntity: served,
          queries: input.tests.health.queries,
          record: input.tests.health.input,
          stage,
        },
      ]);
    if (check === 'load' && input.tests.load)
      return longRunning(input.tests.load.duration).runLoadTest.executeWithOptions(
        {
          summary: `${region.name}: load test at ${input.tests.load.rps} rps for ${Math.round(input.tests.load.duration / 1000)}s`,
        },
        [{ ...target, load: input.tests.load, payloads: probePayloads(), stage }],
      );
    if (check === 'edge-cases' && input.tests.edge_cases)
      return quick.runEdgeCases.executeWithOptions(
        { summary: `${region.name}: ${input.edgeCases.length} edge cases on v${version}` },
        [
          {
            ...target,
            servedEntity: served,
            cases: input.edgeCases,
            tolerance: input.tests.edge_cases.tolerance,
            stage,
          },
        ],
      );
    if (check === 'shadow' && input.tests.shadow)
      return quick.runShadowCheck.executeWithOptions(
        { summary: `${region.name}: shadow check, v${version} against ${currentVersionName()} at 0% traffic` },
        [
          {
            ...target,
            champion: currentVersionName(),
            challenger: served,
            inputs: [
              ...(input.tests.health ? [{ name: 'health', record: input.tests.health.input }] : []),
              ...input.edgeCases.map((c) => ({ name: c.name, record: c.input })),
            ],
            limits: input.tests.shadow,
            stage,
          },
        ],
      );
    throw wf.ApplicationFailure.nonRetryable(`unknown or unconfigured check "${check}"`, 'PlanError');
  };

  const checksMustPass = async (checks: string[], stage?: string) => {
    for (const check of checks) {
      const result = await runCheck(check, stage);
      status.checks.push(result);
      await publish();
      if (!result.passed)
        throw wf.ApplicationFailure.nonRetryable(
          `${check} failed${stage ? ` in stage ${stage}` : ''}: ${result.summary}${result.failures.length ? ` (${result.failures.slice(0, 3).join('; ')})` : ''}`,
          'CheckFailed',
        );
    }
  };

  const whileUnpaused = () => wf.condition(() => !status.paused);

  /** Set by an A/B stage that hands the choice of the winner to a person (approve: new version, reject: current). */
  let abNeedsPerson = false;

  /**
   * An A/B stage: the split stays fixed for its bake while both versions are measured, then the plan's rule picks
   * the winner, or a person does. Returns whether a person must choose; throws when the current version wins.
   */
  async function runAbStage(stageName: string, ab: NonNullable<PlanStage['ab']>, windowMs: number): Promise<boolean> {
    await setPhase('ab-testing', stageName);
    const result = await longRunning(windowMs).runAbTest.executeWithOptions(
      {
        summary: `${region.name}: A/B of v${version} against ${currentVersionName()} on ${ab.metric} for ${Math.round(windowMs / 1000)}s (stage ${stageName})`,
      },
      [
        {
          ...target,
          champion: currentVersionName(),
          challenger: challengerName(input.model, version),
          ab,
          windowMs,
          payloads: probePayloads(),
          stage: stageName,
        },
      ],
    );
    status.checks.push(result);
    await publish();
    if (ab.decide_by === 'approval' || (result.winner === 'tie' && ab.on_tie === 'approval')) return true;
    if (result.winner === 'challenger' || (result.winner === 'tie' && ab.on_tie === 'keep-new')) return false;
    throw wf.ApplicationFailure.nonRetryable(
      `A/B in stage ${stageName} keeps the current version (${result.winner === 'champion' ? 'it won' : 'a tie, and on_tie is keep-current'}): ${result.summary}`,
      'AbCurrentVersionKept',
    );
  }

  async function compensate() {
    await setPhase('rolling-back');
    for (;;) {
      try {
        await withAttempts(
          ROLLBACK_ATTEMPTS,
          ROLLBACK_BACKOFF_MS,
          () =>
            rollbacks.applyEndpointConfig.executeWithOptions(
              { summary: `${region.name}: restore ${describeConfig(rollbackPoint!)}` },
              [
                {
                  ...target,
                  desired: rollbackPoint!,
                  timeoutMs: timeouts.config_update,
                  purpose: 'roll back to the recorded config',
                  ...(guarded && !overwriteExternalChange
                    ? { expected: [lastApplied!, attempted!].filter(Boolean) }
                    : {}),
                },
              ],
            ),
          (err) => failureType(err) !== 'EndpointChangedExternally',
        );
        lastApplied = rollbackPoint;
        status.challengerWeight = 0;
        await setPhase('rolled-back');
        return;
      } catch (err) {
        const external = failureType(err) === 'EndpointChangedExternally';
        status.error = external
          ? `rollback held: ${describeFailure(err)}; waiting for an operator (retryRollback restores the rollback point over it)`
          : `rollback failed: ${describeFailure(err)}; waiting for an operator (retryRollback)`;
        retryRollback = false;
        await setPhase('rollback-failed');
        wf.log.error('rollback failed; waiting for an operator', { region: region.name, error: describeFailure(err) });
        await wf.condition(() => retryRollback);
        if (external) overwriteExternalChange = true;
        status.error = undefined;
        await setPhase('rolling-back');
      }
    }
  }

  // ---- the rollout ----------------------------------------------------------------------------------------------
  try {
    await setPhase('waiting-for-replication');
    await replication.waitForReplication.executeWithOptions(
      { summary: `${region.name}: wait for ${input.model} v${version} to replicate` },
      [
        {
          region: region.name,
          workspace: region.workspace,
          model: input.model,
          version,
          timeoutMs: timeouts.replication,
        },
      ],
    );
    // Held until this workflow closes: the rollback point and every change after it belong to this rollout alone.
    if (guarded) await acquireEndpointLease(region.name, region.endpoint, () => setPhase('waiting-for-endpoint'));
    await setPhase('recording-rollback-point');
    rollbackPoint = await quick.captureEndpoint.executeWithOptions(
      { summary: `${region.name}: record rollback point` },
      [{ ...target, timeoutMs: timeouts.config_update }],
    );
    lastApplied = rollbackPoint;
  } catch (err) {
    // Nothing was touched: no rollback, whatever happened.
    status.error = describeFailure(err);
    status.finishedAt = nowIso();
    await setPhase('failed');
    if (wf.isCancellation(err)) throw err;
    throw regionFailure(`${region.name}: ${status.error}`, 'RegionUntouched', report('untouched'));
  }

  const challenger: ServedEntity = {
    name: challengerName(input.model, version),
    entity_name: input.model,
    entity_version: String(version),
    workload_size: region.served_entity.workload_size,
    workload_type: region.served_entity.workload_type,
    scale_to_zero_enabled: region.served_entity.scale_to_zero_enabled,
  };
  const onlyChallenger = stageConfig(rollbackPoint, challenger, 100);
  if (
    rollbackPoint.servedEntities.length === 1 &&
    rollbackPoint.servedEntities[0].entity_version === challenger.entity_version &&
    rollbackPoint.servedEntities[0].entity_name === challenger.entity_name
  ) {
    status.challengerWeight = 100;
    status.finishedAt = nowIso();
    await setPhase('unchanged');
    return report('unchanged');
  }

  // The rollback point is recorded before the first change, so any failure from here on restores it.
  try {
    const first = input.stages[0];
    // With a shadow check, the new version first joins at 0%: it is tested and compared before any user reaches it.
    const shadowFirst = input.tests.shadow !== undefined;
    const joinWeight = shadowFirst ? 0 : first.traffic;
    await setPhase('updating', first.name);
    await apply(
      stageConfig(rollbackPoint, challenger, joinWeight),
      `add v${version} at ${joinWeight}%${shadowFirst ? ' (shadow)' : ''}`,
      joinWeight,
    );
    const suites = [...(input.tests.health ? ['health'] : []), ...(input.tests.edge_cases ? ['edge-cases'] : [])];
    if (suites.length) {
      await setPhase('testing');
      await checksMustPass(suites);
    }
    if (shadowFirst) {
      await setPhase('shadow-testing');
      await checksMustPass(['shadow']);
      await whileUnpaused();
      await setPhase('updating', first.name);
      await apply(
        stageConfig(rollbackPoint, challenger, first.traffic),
        `shift v${version} to ${first.traffic}%`,
        first.traffic,
      );
    }
    for (const [index, stage] of input.stages.entries()) {
      await whileUnpaused();
      if (index > 0) {
        await setPhase('updating', stage.name);
        await apply(
          stageConfig(rollbackPoint, challenger, stage.traffic),
          `shift v${version} to ${stage.traffic}%`,
          stage.traffic,
        );
      }
      const judged = stage.gate.includes('canary') && input.tests.canary !== undefined;
      if (judged) {
        // The canary judge measures during the stage's bake window (and may extend it when inconclusive).
        const canary = input.tests.canary!;
        await setPhase('judging', stage.name);
        const result = await longRunning(stage.bake + canary.max_extension).judgeCanary.executeWithOptions(
          {
            summary: `${region.name}: canary judge, v${version} against ${currentVersionName()} (stage ${stage.name})`,
          },
          [
            {
              ...target,
              champion: currentVersionName(),
              challenger: challenger.name,
              canary,
              windowMs: stage.bake,
              payloads: probePayloads(),
              stage: stage.name,
            },
          ],
        );
        status.checks.push(result);
        await publish();
        if (!result.passed)
          throw wf.ApplicationFailure.nonRetryable(
            `canary judge failed in stage ${stage.name}: ${result.summary}`,
            'CheckFailed',
          );
        await whileUnpaused();
      } else if (stage.ab) {
        abNeedsPerson = await runAbStage(stage.name, stage.ab, stage.bake);
        await whileUnpaused();
      } else if (stage.bake > 0) {
        skipBake = false;
        await setPhase('baking', stage.name);
        await wf.condition(() => skipBake, stage.bake);
        await whileUnpaused();
      }
      const gates = stage.gate.filter((check) => check !== 'canary');
      if (gates.length) {
        await setPhase('gating', stage.name);
        await checksMustPass(gates, stage.name);
      }
      if (stage.approval || abNeedsPerson) {
        abNeedsPerson = false;
        decision = undefined;
        await setPhase('awaiting-approval', stage.name);
        const answered = await wf.condition(() => decision !== undefined, timeouts.approval);
        if (!answered) {
          status.approvals.push({ stage: stage.name, decision: 'timed-out', by: 'timeout', at: nowIso() });
          throw wf.ApplicationFailure.nonRetryable(
            `no approval for stage ${stage.name} within the approval timeout`,
            'ApprovalTimeout',
          );
        }
        const { type, request } = decision!;
        status.approvals.push({
          stage: stage.name,
          decision: type === 'approve' ? 'approved' : 'rejected',
          by: request.approver,
          reason: request.reason,
          at: nowIso(),
        });
        // Publishing here, before the phase moves on, let a parent see "awaiting-approval" again and accept a
        // second approval; the next phase is published anyway. Histories from before keep their publish.
        if (!wf.patched('approval-publishes-next-phase')) await publish();
        if (type === 'reject')
          throw wf.ApplicationFailure.nonRetryable(
            `stage ${stage.name} rejected by ${request.approver}${request.reason ? `: ${request.reason}` : ''}`,
            'Rejected',
          );
      }
    }
    await whileUnpaused();
    await setPhase('promoting');
    await apply(onlyChallenger, `promote v${version} to 100%`, 100);
    status.finishedAt = nowIso();
    await setPhase('promoted');
    return report('promoted');
  } catch (err) {
    status.error = wf.isCancellation(err) ? 'cancelled' : describeFailure(err);
    await wf.CancellationScope.nonCancellable(compensate);
    status.finishedAt = nowIso();
    await publish();
    if (wf.isCancellation(err)) throw err;
    throw regionFailure(`${region.name} rolled back: ${status.error}`, 'RegionRolledBack', report('rolled-back'));
  }
}
