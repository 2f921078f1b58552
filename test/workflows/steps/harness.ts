/**
 * A rig for testing one workflow step at a time: a real dev server, the step workflows (step-workflows.ts) on the
 * control queue, and recorded activities on every region's queue. Each test says what the activities answer; the
 * rig records every call, in order.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Activities } from '../../../src/activities';
import { planSchema, type Plan, type PlanInput } from '../../../src/plan/schema';
import { CONTROL_TASK_QUEUE, regionTaskQueue } from '../../../src/shared/task-queues';
import type { EndpointSnapshot, RegionRolloutInput } from '../../../src/shared/types';
import { createTemporalEnv, type TemporalEnv } from '../../support/temporal';

export const REGIONS = ['us-east-1', 'eu-west-1'];
export const MODEL = 'main.ml.fraud_detector';

/** Activities a test fakes: any subset, as plain async functions. */
export type FakeActivities = Partial<{ [K in keyof Activities]: (...args: Parameters<Activities[K]>) => unknown }>;

export interface ActivityCall {
  name: string;
  queue: string;
  input: any;
}

/** Names of every activity a step may call; a call to one the test did not fake fails the step, loudly. */
const ACTIVITY_NAMES: (keyof Activities)[] = [
  'resolveModelVersion',
  'checkEndpoint',
  'waitForReplication',
  'captureEndpoint',
  'applyEndpointConfig',
  'runHealthCheck',
  'runEdgeCases',
  'runShadowCheck',
  'runLoadTest',
  'judgeCanary',
  'runAbTest',
  'findConcurrentRollouts',
  'supersedeRollouts',
  'waitForRolloutsToClose',
  'newMessageKey',
  'enqueueRollout',
  'verifyQueueEntry',
  'findRolloutsOutsideQueue',
  'recordRegistryOutcome',
];

export class StepRig {
  calls: ActivityCall[] = [];
  fakes: FakeActivities = {};
  private workers: Worker[] = [];
  private runs: Promise<void>[] = [];

  constructor(readonly env: TemporalEnv) {}

  get client() {
    return this.env.client;
  }

  async start(bundle: WorkflowBundleWithSourceMap): Promise<void> {
    const queues = [CONTROL_TASK_QUEUE, ...REGIONS.map(regionTaskQueue)];
    this.workers = await Promise.all(
      queues.map((taskQueue) =>
        Worker.create({
          connection: this.env.nativeConnection,
          namespace: this.env.namespace ?? 'default',
          taskQueue,
          ...(taskQueue === CONTROL_TASK_QUEUE ? { workflowBundle: bundle } : {}),
          activities: this.activitiesFor(taskQueue),
          shutdownGraceTime: '1s',
        }),
      ),
    );
    this.runs = this.workers.map((w) => w.run());
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(this.runs);
  }

  /** The names of the activities called so far, in order. */
  callNames(): string[] {
    return this.calls.map((c) => c.name);
  }

  private activitiesFor(queue: string): Record<string, (input: unknown) => Promise<unknown>> {
    return Object.fromEntries(
      ACTIVITY_NAMES.map((name) => [
        name,
        async (input: unknown) => {
          this.calls.push({ name, queue, input });
          const fake = this.fakes[name] as ((input: unknown) => unknown) | undefined;
          if (!fake) throw ApplicationFailure.nonRetryable(`the test did not fake ${name}`, 'NotFaked');
          return fake(input);
        },
      ]),
    );
  }

  /** Runs a step workflow to its end, with a fresh id; `during` runs while it is in flight. */
  async run<T>(workflow: string, input: unknown, during?: (id: string) => Promise<void>): Promise<T> {
    const workflowId = `step-${workflow}-${randomUUID()}`;
    const handle = await this.client.workflow.start(workflow, {
      workflowId,
      taskQueue: CONTROL_TASK_QUEUE,
      args: [input],
      workflowExecutionTimeout: '1m',
    });
    await during?.(workflowId);
    return (await handle.result()) as T;
  }
}

/** Jest hooks: one dev server, one bundle and one rig per test file; fakes and calls reset before each test. */
export function useStepRig(): () => StepRig {
  let rig: StepRig | undefined;
  beforeAll(async () => {
    const [env, bundle] = await Promise.all([
      createTemporalEnv(),
      bundleWorkflowCode({
        workflowsPath: require.resolve('./step-workflows'),
        logger: new DefaultLogger('WARN'),
      }),
    ]);
    rig = new StepRig(env);
    await rig.start(bundle);
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
    await rig?.env.teardown();
  });
  beforeEach(() => {
    rig!.calls = [];
    rig!.fakes = {};
  });
  return () => rig!;
}

export function stepPlan(overrides: Partial<PlanInput> = {}): Plan {
  return planSchema.parse({
    model: MODEL,
    primary: REGIONS[0],
    regions: REGIONS.map((name, i) => ({
      name,
      workspace: { profile: name },
      endpoint: 'fraud-detector',
      ...(i > 0 ? { shared_catalog: 'ml_shared' } : {}),
    })),
    stages: [{ name: 'canary', traffic: 10, bake: '0ms' }],
    timeouts: { replication: '10s', config_update: '10s', approval: '10s' },
    ...overrides,
  });
}

/** A region workflow's input for `region` of `plan` (what the parent's waves pass), run on its own. */
export function regionInput(plan: Plan, version = 2, region = REGIONS[1]): RegionRolloutInput {
  return {
    rolloutId: 'rollout-test',
    parentWorkflowId: 'no-parent', // progress signals fail quietly, as for a region run on its own
    region: plan.regions.find((r) => r.name === region)!,
    model: MODEL,
    version,
    stages: plan.stages,
    tests: plan.tests,
    edgeCases: [],
    timeouts: plan.timeouts,
    approvers: plan.approvals?.allowed,
  };
}

/** The endpoint's config before the rollout: version 1 alone. */
export function rollbackPoint(region = REGIONS[1]): EndpointSnapshot {
  return {
    region,
    endpoint: 'fraud-detector',
    configVersion: 1,
    capturedAt: '2026-12-02T00:00:00.000Z',
    servedEntities: [
      {
        name: 'fraud_detector-1',
        entity_name: MODEL,
        entity_version: '1',
        workload_size: 'Small',
        scale_to_zero_enabled: false,
      },
    ],
    routes: [{ served_entity_name: 'fraud_detector-1', traffic_percentage: 100 }],
  };
}

export const passed = (check: string, stage?: string) => ({
  check,
  stage,
  passed: true,
  summary: `${check} passed`,
  failures: [],
  at: '2026-12-02T00:00:00.000Z',
});
