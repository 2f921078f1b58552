/**
 * Upgrading the worker under Worker Versioning (issue 16): rollouts started on build A finish on A after build B, whose
 * region workflow is incompatible with A's histories, becomes the deployment's current version; new rollouts start
 * and finish on B; the model queue (AUTO_UPGRADE) moves to B; A drains and its workers stop. No workflow task fails
 * anywhere: nothing was replayed against code it was not written for.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../../src/tracing';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { startEmulator } from '../../src/emulator';
import type { PlanInput } from '../../src/plan/schema';
import { rolloutReport, startRollout } from '../../src/rollouts';
import { approveUpdate, modelQueueWorkflowId, regionWorkflowId, rolloutStatusQuery } from '../../src/shared/messages';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import {
  bundleWorkflows,
  createTemporalEnv,
  MODEL,
  Rig,
  rolloutWorld,
  until,
  type TemporalEnv,
} from '../support/temporal';

const A: WorkerDeploymentVersion = { deploymentName: 'model-rollout', buildId: 'build-a' };
const B: WorkerDeploymentVersion = { deploymentName: 'model-rollout', buildId: 'build-b' };
const EventType = temporal.api.enums.v1.EventType;

let env: TemporalEnv;
let rig: Rig;
let bundleB: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  let bundleA: WorkflowBundleWithSourceMap;
  [env, bundleA, bundleB] = await Promise.all([
    // A version's drainage status is refreshed every 3 minutes by default; the test waits for it.
    createTemporalEnv({
      dynamicConfig: {
        'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '1s',
        'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
      },
    }),
    bundleWorkflows(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../support/build-b-workflows'),
      // As every build's bundle has them (src/tracing.ts).
      workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS],
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  rig = new Rig(env, await startEmulator(rolloutWorld()), bundleA);
}, 120_000);
afterAll(async () => {
  await rig?.close();
  await env?.teardown();
}, 120_000);

/** The stock command of the upgrade procedure (README "Upgrading the worker"), retried until the version's workers
 * have polled and the server knows it. */
async function setCurrentVersion(version: WorkerDeploymentVersion): Promise<void> {
  const args = ['worker', 'deployment', 'set-current-version', '--address', env.address, '--yes'];
  args.push('--deployment-name', version.deploymentName, '--build-id', version.buildId);
  await until(`${version.buildId} set current`, () =>
    promisify(execFile)(resolveTemporalCli(), args).then(
      () => true,
      () => undefined,
    ),
  );
}

/** The build a workflow (latest run) ran on, and how it may move: "PINNED build-a". */
async function versioningOf(workflowId: string): Promise<string> {
  const { raw } = await env.client.workflow.getHandle(workflowId).describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  const behavior = temporal.api.enums.v1.VersioningBehavior[info?.behavior ?? 0].replace('VERSIONING_BEHAVIOR_', '');
  return `${behavior} ${info?.deploymentVersion?.buildId ?? 'unversioned'}`;
}

/** The first command a region workflow gave: build B's region starts with a timer, A's never does. */
/**
 * Whether a workflow's first wait was a timer or an activity: build B's region sleeps before build A's first activity
 * (markers, search attributes and signals around them differ with the tracing interceptors, so they are skipped).
 */
async function firstCommand(workflowId: string): Promise<string> {
  const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const waits = [EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED];
  const first = events!.find((e) => waits.includes(e.eventType!));
  return EventType[first!.eventType!];
}

async function drainageOf(version: WorkerDeploymentVersion): Promise<string> {
  const res = await env.client.workflowService.describeWorkerDeploymentVersion({
    namespace: env.namespace ?? 'default',
    deploymentVersion: version,
  });
  const status = res.workerDeploymentVersionInfo?.drainageInfo?.status ?? 0;
  return temporal.api.enums.v1.VersionDrainageStatus[status].replace('VERSION_DRAINAGE_STATUS_', '');
}

async function start(version: number, overrides: Partial<PlanInput> = {}) {
  const plan = rig.plan({ regions: rig.plan().regions.slice(0, 1), ...overrides });
  return (await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' })).handle;
}

it('rollouts started on build A finish on A after B becomes current; new ones run on B; A drains', async () => {
  const region = rig.emu.world.primary;
  const buildA: Worker[] = await rig.startWorkers({ deployment: A });
  await setCurrentVersion(A);

  // On A: one rollout waits for approval, the next is queued behind it (its region has not started).
  const waiting = await start(await rig.register('candidate-good'), {
    stages: [{ name: 'canary', traffic: 10, bake: '0ms', approval: true }],
  });
  await until('the first rollout awaiting approval', async () =>
    (await waiting.query(rolloutStatusQuery)).regions[0].phase === 'awaiting-approval' ? true : undefined,
  );
  const queued = await start(await rig.register('candidate-good'));
  await until('the second rollout queued', async () =>
    (await queued.query(rolloutStatusQuery)).phase === 'waiting-for-other-rollout' ? true : undefined,
  );

  // Build B next to A, then current.
  await rig.startWorkers({ deployment: B, workflowBundle: bundleB });
  await setCurrentVersion(B);
  await waiting.executeUpdate(approveUpdate, { args: [{ approver: 'test', region, stage: 'canary' }] });
  expect((await rolloutReport(waiting)).outcome).toBe('succeeded');
  expect((await rolloutReport(queued)).outcome).toBe('succeeded');
  const fresh = await start(await rig.register('candidate-good'));
  expect((await rolloutReport(fresh)).outcome).toBe('succeeded');

  const onA = [waiting, queued].flatMap((h) => [h.workflowId, regionWorkflowId(h.workflowId, region)]);
  const onB = [fresh.workflowId, regionWorkflowId(fresh.workflowId, region)];
  // The queued rollout's region started after the switch: a pinned parent's child runs on the parent's build.
  expect(await Promise.all(onA.map(versioningOf))).toEqual(onA.map(() => 'PINNED build-a'));
  expect(await Promise.all(onB.map(versioningOf))).toEqual(onB.map(() => 'PINNED build-b'));
  expect(await versioningOf(modelQueueWorkflowId(MODEL))).toBe('AUTO_UPGRADE build-b');
  // What each region ran: A's code, or B's, which begins with a timer.
  expect(await firstCommand(onA[1])).not.toBe('EVENT_TYPE_TIMER_STARTED');
  expect(await firstCommand(onA[3])).not.toBe('EVENT_TYPE_TIMER_STARTED');
  expect(await firstCommand(onB[1])).toBe('EVENT_TYPE_TIMER_STARTED');
  // Had an A region been replayed on B, it would have failed so.
  const historyOnA = await env.client.workflow.getHandle(onA[1]).fetchHistory();
  await expect(
    Worker.runReplayHistory({ workflowBundle: bundleB, replayName: 'build-b' }, historyOnA, onA[1]),
  ).rejects.toThrow(DeterminismViolationError);

  // No workflow task failed anywhere (a replay of A's region history on B fails with a nondeterminism error).
  const failedTasks: string[] = [];
  for await (const execution of env.client.workflow.list()) {
    const { events } = await env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    if (events!.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED))
      failedTasks.push(execution.workflowId);
  }
  expect(failedTasks).toEqual([]);

  // A has nothing left to run: the server reports it drained, and its workers stop.
  await until('build A drained', async () => ((await drainageOf(A)) === 'DRAINED' ? true : undefined), 30_000);
  for (const worker of buildA) worker.shutdown();
  await until('build A stopped', async () => (buildA.every((w) => w.getState() === 'STOPPED') ? true : undefined));
}, 90_000);
