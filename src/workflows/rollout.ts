/**
 * The rollout of one model version across a plan's regions: pre-flight checks, then waves of region child workflows,
 * then the failure policy across regions. Operators talk to this workflow; it relays to the regions.
 */
import type { Duration } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { modelNameInRegion, resolveWaves } from '../plan/resolve';
import { approvalRefusal } from '../shared/approvals';
import { describeConfig } from '../shared/endpoint-config';
import {
  abortUpdate,
  approveSignal,
  approveUpdate,
  pauseUpdate,
  regionCommandSignal,
  regionStatusSignal,
  regionWorkflowId,
  rejectSignal,
  rejectUpdate,
  resumeUpdate,
  retryRollbackUpdate,
  RolloutModel,
  RolloutRegions,
  RolloutStatusAttribute,
  rolloutStatusQuery,
  RolloutVersion,
  skipBakeUpdate,
  supersedeSignal,
  type RegionCommand,
} from '../shared/messages';
import { CONTROL_TASK_QUEUE, regionTaskQueue } from '../shared/task-queues';
import type {
  ApprovalAnswer,
  ApprovalRequest,
  OperatorRequest,
  RegionPhase,
  RegionReport,
  RegionStatus,
  RolloutInput,
  RolloutOutcome,
  RolloutReport,
  RolloutStatus,
} from '../shared/types';
import { acquireEndpointLease } from './endpoint-lease';
import { describeFailure, failureType } from './failures';
import { regionRolloutWorkflow } from './region';
import { ROLLBACK_ATTEMPTS, ROLLBACK_BACKOFF_MS, withAttempts } from './retry';

const nowIso = () => new Date().toISOString();
const RUNNING_PHASES: RegionPhase[] = [
  'waiting-for-replication',
  'waiting-for-endpoint',
  'recording-rollback-point',
  'updating',
  'testing',
  'baking',
  'gating',
  'awaiting-approval',
  'promoting',
  'rolling-back',
  'rollback-failed',
];
/** Phases before a region starts or after it ended; every other phase is running (derived, so new phases count). */
const NOT_RUNNING_PHASES: RegionPhase[] = ['pending', 'promoted', 'unchanged', 'rolled-back', 'failed', 'skipped'];

export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutReport> {
  const { plan, version } = input;
  const rolloutId = wf.workflowInfo().workflowId;
  const status: RolloutStatus = {
    rolloutId,
    model: plan.model,
    version,
    phase: 'pre-flight',
    paused: false,
    startedAt: nowIso(),
    regions: plan.regions.map((r) => ({
      region: r.name,
      phase: 'pending',
      challengerWeight: 0,
      phaseSince: nowIso(),
      paused: false,
      checks: [],
      approvals: [],
      timeline: [],
    })),
  };
  const reports = new Map<string, RegionReport>();
  /** Regions whose parent-driven restore failed and an operator asked to try again. */
  const restoreRetries = new Set<string>();
  let stopRequest: { kind: 'aborted' | 'superseded'; by: string; reason?: string } | undefined;
  const rollout = new wf.CancellationScope();

  const regionStatus = (name: string) => status.regions.find((r) => r.region === name)!;
  const setRegion = (update: RegionStatus) => {
    const index = status.regions.findIndex((r) => r.region === update.region);
    if (index >= 0) status.regions[index] = update;
  };
  const control = wf.proxyActivities<Activities>({
    taskQueue: CONTROL_TASK_QUEUE,
    startToCloseTimeout: '1m',
    retry: { maximumAttempts: 10 },
  });
  const waiting = wf.proxyActivities<Activities>({
    taskQueue: CONTROL_TASK_QUEUE,
    startToCloseTimeout: '7d',
    heartbeatTimeout: '1m',
  });
  const regionActivities = (region: string, startToCloseTimeout: Duration = '2m') =>
    wf.proxyActivities<Activities>({
      taskQueue: regionTaskQueue(region),
      startToCloseTimeout,
      heartbeatTimeout: '30s',
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
    });

  let statusWord = 'pre-flight';
  /** The live table in the UI's Current Details (served by a query: it adds nothing to history). */
  function renderDetails() {
    wf.setCurrentDetails(
      [
        `**${plan.model} v${version}** · ${statusWord}${status.wave ? ` · wave **${status.wave}**` : ''}${status.paused ? ' · ⏸ paused' : ''}`,
        '| region | phase | stage | new version |',
        '|---|---|---|---|',
        ...status.regions.map((r) => `| ${r.region} | ${r.phase} | ${r.stage ?? ''} | ${r.challengerWeight}% |`),
      ].join('\n'),
    );
  }

  async function setStatusAttribute(value: string) {
    statusWord = value;
    wf.upsertSearchAttributes([{ key: RolloutStatusAttribute, value }]);
    renderDetails();
  }

  wf.upsertSearchAttributes([
    { key: RolloutModel, value: plan.model },
    { key: RolloutVersion, value: version },
    { key: RolloutRegions, value: plan.regions.map((r) => r.name) },
  ]);
  await setStatusAttribute('pre-flight');

  // ---- messages --------------------------------------------------------------------------------------------------
  // The hand-kept RUNNING_PHASES missed judging, shadow-testing and ab-testing, so pause and resume skipped regions in
  // them; histories from before replay with it.
  const isRunning = (phase: RegionPhase) =>
    wf.patched('pause-reaches-every-running-phase')
      ? !NOT_RUNNING_PHASES.includes(phase)
      : RUNNING_PHASES.includes(phase);
  const running = (region?: string) =>
    status.regions.filter((r) => isRunning(r.phase) && (!region || r.region === region));
  // No patched() here: it also serves a validator, which must not record anything.
  const bakingRegions = (region?: string) =>
    status.regions.filter((r) => r.phase === 'baking' && (!region || r.region === region));
  const relay = async (regions: RegionStatus[], command: RegionCommand) => {
    for (const r of regions)
      await wf.getExternalWorkflowHandle(regionWorkflowId(rolloutId, r.region)).signal(regionCommandSignal, command);
  };
  const requireIdentity = (request: { approver?: string; by?: string } | undefined) => {
    if (!(request?.approver ?? request?.by)?.trim())
      throw new Error('an identity is required (--as, GITHUB_ACTOR or the OS user)');
  };
  const requireRegion = (region?: string) => {
    if (region && !status.regions.some((r) => r.region === region))
      throw new Error(
        `unknown region "${region}"; this rollout covers ${status.regions.map((r) => r.region).join(', ')}`,
      );
  };
  const awaitingApproval = (region?: string) =>
    status.regions.filter((r) => r.phase === 'awaiting-approval' && (!region || r.region === region));
  const validateApproval = (request: ApprovalRequest) => {
    requireIdentity(request);
    requireRegion(request.region);
    if (awaitingApproval(request.region).length === 0)
      throw new Error(
        `nothing awaits approval${request.region ? ` in ${request.region}` : ''}: ${status.regions.map((r) => `${r.region} is ${r.phase}`).join(', ')}`,
      );
  };
  const decide = async (type: 'approve' | 'reject', request: ApprovalRequest): Promise<ApprovalAnswer> => {
    const regions = awaitingApproval(request.region);
    await relay(regions, { type, request });
    for (const r of regions) r.phase = type === 'approve' ? 'gating' : 'rolling-back';
    return {
      decision: type === 'approve' ? 'approved' : 'rejected',
      regions: regions.map((r) => ({ region: r.region, stage: r.stage ?? '' })),
    };
  };

  /**
   * An approval from an identity the plan's approvals.allowed does not list: recorded (status.refusedApprovals, and
   * the update's own events in history) and answered with the reason. Refused in the handler, not the validator,
   * because a validator's rejection leaves no trace in history.
   */
  const refusal = (request: ApprovalRequest) => approvalRefusal(request.approver, plan.approvals?.allowed, rolloutId);
  const recordRefusal = (request: ApprovalRequest, why: string) => {
    status.refusedApprovals = [
      ...(status.refusedApprovals ?? []),
      { by: request.approver, reason: request.reason, region: request.region, at: nowIso(), why },
    ];
    wf.log.warn(`approval refused: ${why}`, { approver: request.approver, region: request.region });
  };

  wf.setHandler(rolloutStatusQuery, () => status, { description: 'Live status of the rollout and each region' });
  wf.setHandler(regionStatusSignal, (update) => {
    // A final report is authoritative; late progress signals must not overwrite it.
    // Regions do not await their progress signals, so an older one can arrive after a newer one.
    const known = status.regions.find((r) => r.region === update.region)?.revision ?? 0;
    const stale = update.revision !== undefined && update.revision <= known;
    if (!reports.has(update.region) && !stale) setRegion(update);
    renderDetails();
  });
  wf.setHandler(
    approveUpdate,
    (request) => {
      const why = refusal(request);
      if (why === undefined) return decide('approve', request);
      recordRefusal(request, why);
      return Promise.reject(wf.ApplicationFailure.nonRetryable(why, 'ApprovalRefused'));
    },
    {
      validator: validateApproval,
      description: 'Approve regions awaiting approval: {"approver": "...", "reason": "...", "region"?: "..."}',
    },
  );
  wf.setHandler(rejectUpdate, (request) => decide('reject', request), {
    validator: validateApproval,
    description: 'Reject regions awaiting approval; they roll back',
  });
  for (const [signal, type] of [
    [approveSignal, 'approve'],
    [rejectSignal, 'reject'],
  ] as const)
    wf.setHandler(signal, async (request) => {
      try {
        validateApproval(request);
      } catch (err) {
        wf.log.warn(`${type} signal ignored: ${(err as Error).message}`, { request });
        return;
      }
      const why = type === 'approve' ? refusal(request) : undefined;
      if (why !== undefined) return recordRefusal(request, why);
      await decide(type, request);
    });
  const notDone = () => {
    if (status.phase === 'done') throw new Error(`the rollout has finished (${status.outcome})`);
  };
  const identifiedWhileRunning = (request: OperatorRequest) => {
    requireIdentity(request);
    notDone();
  };
  wf.setHandler(
    pauseUpdate,
    async (request) => {
      status.paused = true;
      await relay(running(), { type: 'pause', request });
      await setStatusAttribute('paused');
      return `paused by ${request.by}: regions finish their current step, then wait`;
    },
    { validator: identifiedWhileRunning, description: 'Pause before the next step' },
  );
  wf.setHandler(
    resumeUpdate,
    async (request) => {
      status.paused = false;
      await relay(running(), { type: 'resume', request });
      await setStatusAttribute(status.phase);
      return `resumed by ${request.by}`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        notDone();
        if (!status.paused) throw new Error('the rollout is not paused');
      },
      description: 'Resume a paused rollout',
    },
  );
  wf.setHandler(
    skipBakeUpdate,
    async (request) => {
      const baking = bakingRegions(request.region);
      await relay(baking, { type: 'skip-bake', request });
      return `skipped the bake in ${baking.map((r) => `${r.region} (${r.stage})`).join(', ')}`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        requireRegion(r.region);
        if (bakingRegions(r.region).length === 0)
          throw new Error(`no region${r.region ? ` named ${r.region}` : ''} is baking`);
      },
      description: 'End the current bake early',
    },
  );
  wf.setHandler(
    retryRollbackUpdate,
    async (request) => {
      const failed = status.regions.filter(
        (r) => r.phase === 'rollback-failed' && (!request.region || r.region === request.region),
      );
      // A region whose child is still running retries its own rollback; a finished one is restored by this workflow.
      await relay(
        failed.filter((r) => !reports.has(r.region)),
        { type: 'retry-rollback', request },
      );
      for (const r of failed) if (reports.has(r.region)) restoreRetries.add(r.region);
      return `retrying the rollback in ${failed.map((r) => r.region).join(', ')}`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        if (!status.regions.some((x) => x.phase === 'rollback-failed' && (!r.region || x.region === r.region)))
          throw new Error('no region is waiting in rollback-failed');
      },
      description: 'Retry a rollback that failed',
    },
  );
  wf.setHandler(
    abortUpdate,
    (request) => {
      stopRequest = { kind: 'aborted', by: request.by, reason: request.reason };
      rollout.cancel();
      const touched = status.regions.filter((r) => r.phase !== 'pending' && r.phase !== 'skipped').length;
      return `aborting: restoring every touched region (${touched} started)`;
    },
    { validator: identifiedWhileRunning, description: 'Stop and restore every touched region' },
  );
  wf.setHandler(supersedeSignal, ({ by }) => {
    if (status.phase === 'done' || stopRequest) return;
    stopRequest = { kind: 'superseded', by };
    rollout.cancel();
  });

  // ---- pre-flight and waves ----------------------------------------------------------------------------------------
  let anyFailed = false;
  let preflightError: string | undefined;

  async function preflight(): Promise<RolloutOutcome | undefined> {
    const others = await control.findConcurrentRollouts({ model: plan.model, self: rolloutId });
    if (others.length) {
      if (plan.on_concurrent_rollout === 'refuse') {
        preflightError = `refused: another rollout of ${plan.model} is running (${others.join(', ')}); the plan says on_concurrent_rollout: refuse`;
        return 'refused';
      }
      status.phase = 'waiting-for-other-rollout';
      await setStatusAttribute('waiting-for-other-rollout');
      if (plan.on_concurrent_rollout === 'supersede')
        await control.supersedeRollouts({ workflowIds: others, by: rolloutId });
      await waiting.waitForRolloutsToClose.executeWithOptions({ summary: `wait for ${others.join(', ')} to finish` }, [
        { workflowIds: others },
      ]);
      status.phase = 'pre-flight';
    }
    const checks = await Promise.allSettled([
      regionActivities(plan.primary).resolveModelVersion.executeWithOptions(
        { summary: `pre-flight: ${plan.model} v${version} is READY in ${plan.primary}` },
        [
          {
            region: plan.primary,
            workspace: plan.regions.find((r) => r.name === plan.primary)!.workspace,
            model: plan.model,
            version,
            // Rollouts started before data residency existed replay without it.
            ...(wf.patched('data-residency-preflight')
              ? { residency: plan.regions.map((r) => ({ region: r.name, jurisdiction: r.jurisdiction })) }
              : {}),
          },
        ],
      ),
      ...plan.regions.map((r) =>
        regionActivities(r.name).checkEndpoint.executeWithOptions(
          { summary: `pre-flight: ${r.name}/${r.endpoint} exists` },
          [{ region: r.name, workspace: r.workspace, endpoint: r.endpoint }],
        ),
      ),
    ]);
    const problems = checks.flatMap((c) => (c.status === 'rejected' ? [describeFailure(c.reason)] : []));
    if (problems.length) {
      preflightError = `pre-flight failed, nothing was touched: ${problems.join('; ')}`;
      return 'failed';
    }
    return undefined;
  }

  async function runRegion(name: string) {
    const region = plan.regions.find((r) => r.name === name)!;
    await wf.condition(() => !status.paused);
    try {
      const report = await wf.executeChild(regionRolloutWorkflow, {
        workflowId: regionWorkflowId(rolloutId, name),
        taskQueue: CONTROL_TASK_QUEUE,
        args: [
          {
            rolloutId,
            parentWorkflowId: rolloutId,
            region,
            model: modelNameInRegion(plan, name),
            version,
            stages: plan.stages,
            tests: plan.tests,
            edgeCases: input.edgeCases,
            timeouts: plan.timeouts,
            approvers: plan.approvals?.allowed,
          },
        ],
        staticSummary: `${name}: ${plan.model} v${version} on ${region.endpoint}`,
        // Never terminate a region mid-rollback because this workflow closed.
        parentClosePolicy: 'REQUEST_CANCEL',
      });
      reports.set(name, report);
      setRegion(report);
    } catch (err) {
      const last = regionStatus(name);
      // Stopped before it started: reported as skipped at the end.
      if (wf.isCancellation(err) && last.phase === 'pending') return;
      anyFailed = true;
      const cause = err instanceof wf.ChildWorkflowFailure ? err.cause : undefined;
      const details =
        cause instanceof wf.ApplicationFailure ? (cause.details?.[0] as RegionReport | undefined) : undefined;
      const report: RegionReport = details ?? {
        ...last,
        outcome:
          last.phase === 'rolled-back'
            ? 'rolled-back'
            : last.phase === 'failed' || last.phase === 'pending'
              ? 'untouched'
              : 'rolled-back',
        error: last.error ?? describeFailure(err),
      };
      reports.set(name, report);
      setRegion(report);
      if (plan.failure_policy === 'rollback-all' && !wf.isCancellation(err)) rollout.cancel();
    }
    await setStatusAttribute(status.phase);
  }

  async function runWaves() {
    status.phase = 'rolling-out';
    for (const wave of resolveWaves(plan)) {
      if (anyFailed) break;
      status.wave = wave.name;
      await setStatusAttribute('rolling-out');
      const queue = [...wave.regions];
      const lanes = Array.from({ length: wave.parallelism }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          // A failure anywhere stops the rollout from reaching more regions.
          if (stopRequest || anyFailed) break;
          await runRegion(next);
        }
      });
      await Promise.all(lanes);
    }
  }

  let outcome: RolloutOutcome | undefined;
  try {
    await rollout.run(async () => {
      outcome = await preflight();
      if (!outcome) await runWaves();
    });
  } catch (err) {
    if (!wf.isCancellation(err)) throw err;
  }

  // ---- the failure policy across regions ----------------------------------------------------------------------------
  const restoreAll = stopRequest !== undefined || (anyFailed && plan.failure_policy === 'rollback-all');
  if (restoreAll) {
    status.phase = 'compensating';
    await setStatusAttribute('compensating');
    await wf.CancellationScope.nonCancellable(() =>
      Promise.all(
        [...reports.values()]
          .filter((r) => r.outcome === 'promoted' && r.rollbackPoint)
          .map(async (report) => {
            const point = report.rollbackPoint!;
            report.phase = 'rolling-back';
            setRegion(report);
            // Rollouts from before the endpoint lease replay without it. With it, the restore holds the endpoint and
            // refuses to overwrite a change someone else made after the promotion, until an operator says so.
            const guarded = wf.patched('endpoint-lease-and-change-check');
            const lease = guarded
              ? await acquireEndpointLease(report.region, point.endpoint, async () => {})
              : undefined;
            let overwriteExternalChange = false;
            for (;;) {
              try {
                const restorer = regionActivities(report.region, plan.timeouts.config_update + 300_000);
                await withAttempts(
                  ROLLBACK_ATTEMPTS,
                  ROLLBACK_BACKOFF_MS,
                  () =>
                    restorer.applyEndpointConfig.executeWithOptions(
                      { summary: `${report.region}: restore ${describeConfig(point)}` },
                      [
                        {
                          region: report.region,
                          workspace: plan.regions.find((r) => r.name === report.region)!.workspace,
                          endpoint: point.endpoint,
                          desired: point,
                          timeoutMs: plan.timeouts.config_update,
                          purpose: 'roll back a promoted region',
                          ...(guarded && report.appliedConfig && !overwriteExternalChange
                            ? { expected: [report.appliedConfig] }
                            : {}),
                        },
                      ],
                    ),
                  (err) => failureType(err) !== 'EndpointChangedExternally',
                );
                await lease?.release();
                Object.assign(report, {
                  outcome: 'rolled-back',
                  phase: 'rolled-back',
                  challengerWeight: 0,
                  finishedAt: nowIso(),
                });
                setRegion(report);
                return;
              } catch (err) {
                // Surface it and wait for an operator; never leave a half-restored rollout quietly.
                const external = failureType(err) === 'EndpointChangedExternally';
                Object.assign(report, {
                  phase: 'rollback-failed',
                  error: external
                    ? `rollback held: ${describeFailure(err)}; retryRollback restores the rollback point over it`
                    : `rollback failed: ${describeFailure(err)}`,
                });
                setRegion(report);
                await setStatusAttribute('rollback-failed');
                await wf.condition(() => restoreRetries.has(report.region));
                restoreRetries.delete(report.region);
                if (external) overwriteExternalChange = true;
              }
            }
          }),
      ),
    );
  }

  // Regions the rollout never reached.
  for (const r of status.regions)
    if (!reports.has(r.region)) {
      const skipped: RegionReport = {
        ...r,
        phase: r.phase === 'pending' ? 'skipped' : r.phase,
        outcome: r.phase === 'pending' ? 'skipped' : 'untouched',
      };
      reports.set(r.region, skipped);
      setRegion(skipped);
    }

  const all = plan.regions.map((r) => reports.get(r.name)!);
  const good = all.filter((r) => r.outcome === 'promoted' || r.outcome === 'unchanged').length;
  if (!outcome) {
    if (stopRequest) outcome = stopRequest.kind;
    else if (good === all.length) outcome = 'succeeded';
    else if (good === 0) outcome = all.some((r) => r.outcome === 'rolled-back') ? 'rolled-back' : 'failed';
    else outcome = 'partially-failed';
  }
  status.phase = 'done';
  status.outcome = outcome;
  status.error =
    preflightError ??
    (stopRequest
      ? `${stopRequest.kind} by ${stopRequest.by}${stopRequest.reason ? `: ${stopRequest.reason}` : ''}`
      : undefined) ??
    all.find((r) => r.error)?.error;
  await setStatusAttribute(outcome);
  return { ...status, outcome, finishedAt: nowIso(), regions: all };
}
