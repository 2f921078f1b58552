/**
 * Records workflow histories for the replay test (test/workflows/replay.test.ts), by scenario:
 *   - `approved`: a rollout that succeeds with an approval, with a region child;
 *   - `rolled-back`: one whose gate fails and rolls back, with a region child;
 *   - `shadow-ab`: a shadow check at 0% and an A/B stage, with a region child and its endpoint lease (recorded after
 *     the endpoint lease and the change check were added behind patched()).
 *   - `aborted`: a rollout aborted during a bake, its region restoring itself while cancelled (recorded after regions
 *     stopped awaiting their progress signals, behind patched()).
 *   - `aborted-keyed`: the same abort with message keys: each cancelled region restores its endpoint, releases its
 *     lease and waits until the lease has ended (recorded after a keyed holder's cancellation stopped reaching its
 *     lease, behind patched()).
 *   - `queued`: two versions started together, ordered by the model queue (whose history is kept too), with message
 *     keys, two approvers at once (the second answered AlreadyDecided) and a forged region command (recorded after
 *     the model queue, message keys and shared-endpoint entities were added behind patched()).
 *   - `live-canary`: a canary judged on live traffic that is still undecided at its deadline and goes to
 *     the approval gate (on_deadline: approval), on an endpoint whose AI Gateway falls back (on_gateway_fallback:
 *     warn), with the new entity inheriting the replaced one's settings, and the outcome recorded in the registry
 *     (recorded after the sequential judge, the AI Gateway pre-flight, settings inheritance and the registry outcome
 *     were added behind patched()).
 *   - `release`: a release of two models in two regions, promoted through two stages with the companion's health
 *     probe, and one rolled back because the companion's health failed (both endpoints restored), which fails its
 *     workflow with the report in the failure (recorded after unsuccessful rollouts began to fail, behind patched()).
 *   - `watcher`: a plan's watcher that sees a version registered, starts its rollout, is held, released, paused and
 *     resumed, then terminated (its history replays to where it stopped).
 *   - `after-promotion`: a version promoted at once that regresses on live traffic during the watch after promotion
 *     and is restored within the rollback window, with its region child (the baseline recorded while it waited). On
 *     a dev server and an emulator of its own: its world has live users.
 * Histories of older code are kept as they are: they prove that today's code still replays rollouts that were in
 * flight when it was deployed. Record a scenario after an intended change to workflow code *and* a patched() guard,
 * never to paper over a replay failure:
 *
 *   npx tsx scripts/record-histories.ts [scenario ...]     (default: every scenario)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { format } from 'prettier';
import { startRollout, rolloutReport } from '../src/rollouts';
import {
  abortUpdate,
  approveUpdate,
  holdUpdate,
  releaseUpdate,
  rolloutWorkflowId,
  watcherPauseUpdate,
  watcherResumeUpdate,
  watcherStatusQuery,
  endpointLeaseWorkflowId,
  modelQueueQuery,
  modelQueueWorkflowId,
  regionCommandSignal,
  regionWorkflowId,
  rolloutStatusQuery,
} from '../src/shared/messages';
import type { RegionPhase } from '../src/shared/types';
import type { WatcherStatus } from '../src/shared/watch';
import { startWatcher } from '../src/watchers';
import { FEATURES, FEATURES_ENDPOINT, withReleaseEndpoints } from '../test/support/release-endpoints';
import {
  bundleWorkflows,
  createTemporalEnv,
  EDGE_CASES,
  Rig,
  rolloutWorld,
  type TemporalEnv,
} from '../test/support/temporal';

const DIR = join(__dirname, '..', 'test', 'histories');
const IDS = join(DIR, 'workflow-ids.json');
/** Replay needs each history's workflow id (the parent derives its children's ids from its own). */
const workflowIds: Record<string, string> = existsSync(IDS)
  ? (JSON.parse(readFileSync(IDS, 'utf8')) as Record<string, string>)
  : {};
const SCENARIOS = [
  'approved',
  'rolled-back',
  'shadow-ab',
  'aborted',
  'aborted-keyed',
  'queued',
  'live-canary',
  'watcher',
  'release',
  'after-promotion',
];

async function save(handle: WorkflowHandle, name: string) {
  const history = await handle.fetchHistory();
  const path = join(DIR, `${name}.json`);
  workflowIds[`${name}.json`] = handle.workflowId;
  // The proto3 JSON form, as `temporal workflow show --output json` writes it, formatted as npm run lint checks it.
  writeFileSync(path, await format(historyToJSON(history), { parser: 'json' }));
  console.log(`wrote ${path} (${history.events?.length} events)`);
}

async function main() {
  const chosen = process.argv.slice(2);
  for (const name of chosen)
    if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario "${name}"; scenarios: ${SCENARIOS.join(', ')}`);
  const run = (name: string) => chosen.length === 0 || chosen.includes(name);
  const env = await createTemporalEnv();
  const bundle = await bundleWorkflows();
  // On a world of its own: its workers must have stopped before the main rig's start.
  if (run('release')) await recordRelease(env, bundle);
  const rig = await Rig.start(env, bundle);
  try {
    if (run('approved')) await recordApproved(rig);
    if (run('rolled-back')) await recordRolledBack(rig);
    if (run('shadow-ab')) await recordShadowAb(rig);
    if (run('aborted')) await recordAborted(rig, 'aborted');
    if (run('aborted-keyed')) await recordAborted(rig, 'aborted-keyed');
    if (run('queued')) await recordQueued(rig);
    if (run('live-canary')) await recordLiveCanary(rig);
    if (run('watcher')) await recordWatcher(rig);
  } finally {
    await rig.close();
    await env.teardown();
  }
  if (run('after-promotion')) await recordAfterPromotion();
  writeFileSync(IDS, JSON.stringify(workflowIds, null, 2) + '\n');
}

/** On a world of its own, with the companion model's endpoints. */
async function recordRelease(env: TemporalEnv, bundle: Awaited<ReturnType<typeof bundleWorkflows>>) {
  const rig = await Rig.start(env, bundle, withReleaseEndpoints(rolloutWorld()));
  try {
    const register = async (model: string, behavior: unknown) => {
      const res = await fetch(`${rig.emu.url(rig.emu.world.primary)}/__emulator/models/${model}/versions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ behavior, registration_duration: '50ms' }),
      });
      return ((await res.json()) as { version: number }).version;
    };
    const plan = (features: number) =>
      rig.plan({
        regions: rig.plan().regions.slice(0, 2),
        stages: [
          { name: 'canary', traffic: 10, bake: '100ms' },
          { name: 'half', traffic: 50, bake: '100ms' },
        ],
        release: [
          {
            name: 'features',
            model: FEATURES,
            version: features,
            endpoint: FEATURES_ENDPOINT,
            health: { queries: 1, input: { amount: 100 } },
          },
        ],
      });
    for (const [name, behavior] of [
      ['release', 'candidate-good'],
      ['release-rolled-back', { error_rate: 1 }],
    ] as const) {
      const version = await rig.register('candidate-good');
      const features = await register(FEATURES, behavior);
      const rollout = await startRollout(rig.client, {
        plan: plan(features),
        edgeCases: [],
        version,
        triggeredBy: 'record-histories',
      });
      await rolloutReport(rollout.handle);
      await save(rollout.handle, `rollout-${name}`);
      await save(rig.client.workflow.getHandle(regionWorkflowId(rollout.workflowId, 'eu-west-1')), `region-${name}`);
    }
  } finally {
    await rig.close();
  }
}

async function everyRegionIn(handle: WorkflowHandle, phase: RegionPhase) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = await handle.query(rolloutStatusQuery);
    if (status.regions.every((r) => r.phase === phase)) return;
    if (Date.now() > deadline || status.phase === 'done')
      throw new Error(`waited for every region in ${phase}; the rollout is at ${JSON.stringify(status, null, 2)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function recordQueued(rig: Rig) {
  const [v1, v2] = [await rig.register('candidate-good'), await rig.register('candidate-good')];
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 2),
    stages: [{ name: 'canary', traffic: 10, bake: '100ms', approval: true }],
  });
  const start = (version: number) =>
    startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'record-histories' });
  const rollouts = await Promise.all([start(v1), start(v2)]);
  const queue = rig.client.workflow.getHandle(modelQueueWorkflowId(plan.model));
  for (let turn = 0; turn < 2; turn++) {
    let frontId: string | undefined;
    while (!frontId) {
      const held = await queue.query(modelQueueQuery).catch(() => undefined);
      frontId = held?.rollouts.find((r) => r.told === 'proceed')?.rolloutId;
      if (!frontId) await new Promise((r) => setTimeout(r, 100));
    }
    const front = rollouts.find((r) => r.workflowId === frontId)!;
    await everyRegionIn(front.handle, 'awaiting-approval');
    const region = rig.client.workflow.getHandle(regionWorkflowId(front.workflowId, 'eu-west-1'));
    await region.signal(regionCommandSignal, { type: 'approve', request: { approver: 'mallory' } });
    const decide = (approver: string) =>
      front.handle
        .executeUpdate(approveUpdate, { args: [{ approver, reason: 'replay fixture', stage: 'canary' }] })
        .catch(() => undefined);
    await Promise.all([decide('recorder'), decide('second-recorder')]);
    await rolloutReport(front.handle);
    if (turn === 1) {
      await save(front.handle, 'rollout-queued');
      await save(region, 'region-queued');
    }
  }
  await queue.result();
  await save(queue, 'model-queue');
}

async function recordApproved(rig: Rig) {
  {
    const good = await rig.register('candidate-good');
    const approved = await startRollout(rig.client, {
      plan: rig.plan({
        regions: rig.plan().regions.slice(0, 2),
        tests: { health: { queries: 2, input: { amount: 100 } } },
        stages: [{ name: 'canary', traffic: 10, bake: '200ms', gate: ['health'], approval: true }],
      }),
      edgeCases: [],
      version: good,
      triggeredBy: 'record-histories',
    });
    await everyRegionIn(approved.handle, 'awaiting-approval');
    await approved.handle.executeUpdate(approveUpdate, { args: [{ approver: 'recorder', reason: 'replay fixture' }] });
    await rolloutReport(approved.handle);
    await save(approved.handle, 'rollout-approved');
    await save(rig.client.workflow.getHandle(regionWorkflowId(approved.workflowId, 'eu-west-1')), 'region-approved');
  }
}

async function recordRolledBack(rig: Rig) {
  {
    const bad = await rig.register('candidate-bad');
    const rolledBack = await startRollout(rig.client, {
      plan: rig.plan({
        regions: rig.plan().regions.slice(0, 2),
        tests: { edge_cases: { file: 'inline', tolerance: 0.02 } },
        stages: [{ name: 'canary', traffic: 10, bake: '100ms' }],
      }),
      edgeCases: EDGE_CASES,
      version: bad,
      triggeredBy: 'record-histories',
    });
    await rolloutReport(rolledBack.handle);
    await save(rolledBack.handle, 'rollout-rolled-back');
    await save(
      rig.client.workflow.getHandle(regionWorkflowId(rolledBack.workflowId, 'us-east-1')),
      'region-rolled-back',
    );
  }
}

async function recordShadowAb(rig: Rig) {
  const good = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 1),
    tests: { health: { queries: 1, input: { amount: 100 } }, shadow: { tolerance: 0.05, max_disagreement: 0 } },
    stages: [
      {
        name: 'ab',
        traffic: 50,
        bake: '2s',
        // alpha 0.001: equal error rates are a tie; keep-new then promotes.
        ab: { metric: 'error_rate', on_tie: 'keep-new', alpha: 0.001, probe_rps: 50 },
      },
    ],
  });
  const rollout = await startRollout(rig.client, {
    plan,
    edgeCases: [],
    version: good,
    triggeredBy: 'record-histories',
  });
  await rolloutReport(rollout.handle);
  await save(rollout.handle, 'rollout-shadow-ab');
  const region = plan.regions[0];
  await save(rig.client.workflow.getHandle(regionWorkflowId(rollout.workflowId, region.name)), 'region-shadow-ab');
  await save(rig.client.workflow.getHandle(endpointLeaseWorkflowId(region.name, region.endpoint)), 'endpoint-lease');
}

async function recordAborted(rig: Rig, name: string) {
  const good = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 2),
    stages: [{ name: 'canary', traffic: 25, bake: '5m' }],
  });
  const rollout = await startRollout(rig.client, {
    plan,
    edgeCases: [],
    version: good,
    triggeredBy: 'record-histories',
  });
  await everyRegionIn(rollout.handle, 'baking');
  await rollout.handle.executeUpdate(abortUpdate, { args: [{ by: 'recorder', reason: 'replay fixture' }] });
  await rolloutReport(rollout.handle);
  await save(rollout.handle, `rollout-${name}`);
  await save(rig.client.workflow.getHandle(regionWorkflowId(rollout.workflowId, 'eu-west-1')), `region-${name}`);
}

async function recordLiveCanary(rig: Rig) {
  const good = await rig.register('candidate-good');
  const region = rig.plan().regions[0];
  const gateway = await fetch(`${rig.emu.url(region.name)}/api/2.0/serving-endpoints/${region.endpoint}/ai-gateway`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${rig.emu.world.principals[0].token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ fallback_config: { enabled: true } }),
  });
  if (!gateway.ok) throw new Error(`PUT ai-gateway: ${gateway.status} ${await gateway.text()}`);
  const rollout = await startRollout(rig.client, {
    plan: rig.plan({
      regions: [region],
      tests: {
        health: { queries: 1, input: { amount: 100 } },
        // No users call the recording world's endpoints: live traffic cannot decide, so the deadline hands it over.
        canary: { sources: ['live'], max_extension: '2s', on_deadline: 'approval' },
      },
      stages: [{ name: 'canary', traffic: 10, bake: '1s', gate: ['canary'] }],
      on_gateway_fallback: 'warn',
      registry: { on_success: { alias: 'live' } },
    }),
    edgeCases: [],
    version: good,
    triggeredBy: 'record-histories',
  });
  await everyRegionIn(rollout.handle, 'awaiting-approval');
  await rollout.handle.executeUpdate(approveUpdate, { args: [{ approver: 'recorder', reason: 'replay fixture' }] });
  await rolloutReport(rollout.handle);
  await save(rollout.handle, 'rollout-live-canary');
  await save(rig.client.workflow.getHandle(regionWorkflowId(rollout.workflowId, region.name)), 'region-live-canary');
}

async function recordWatcher(rig: Rig) {
  const plan = rig.plan({ regions: rig.plan().regions.slice(0, 1), watch: { poll: '200ms', quiet_period: '300ms' } });
  const { handle } = await startWatcher(rig.client, {
    plan,
    edgeCases: [],
    planName: 'record-histories',
    triggeredBy: 'record-histories',
  });
  const status = () => handle.query(watcherStatusQuery);
  const until = async (what: string, check: (s: WatcherStatus) => boolean) => {
    const deadline = Date.now() + 120_000;
    while (!check(await status())) {
      if (Date.now() > deadline) throw new Error(`watcher: waited for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await until('its baseline', (s) => s.polls >= 1);
  const version = await rig.register('candidate-good');
  await until(`v${version} started`, (s) => s.started.some((started) => started.version === version));
  await rolloutReport(rig.client.workflow.getHandle(rolloutWorkflowId(plan.model, version)));
  const by = { by: 'recorder', reason: 'replay fixture' };
  await handle.executeUpdate(holdUpdate, { args: [{ version, ...by }] });
  await handle.executeUpdate(releaseUpdate, { args: [by] });
  await handle.executeUpdate(watcherPauseUpdate, { args: [by] });
  await handle.executeUpdate(watcherResumeUpdate, { args: [by] });
  const polled = (await status()).polls;
  await until('two more polls', (s) => s.polls >= polled + 2);
  await handle.terminate('replay fixture recorded');
  await save(handle, 'watcher');
}

async function recordAfterPromotion() {
  const world = rolloutWorld({ metrics_export_minutes: 1 });
  world.regions[0].endpoints![0].live_traffic = { rps: 20, inputs: [{ amount: 120 }] };
  const env = await createTemporalEnv();
  const rig = await Rig.start(env, await bundleWorkflows(), world);
  try {
    const bad = await rig.register('candidate-bad');
    const region = rig.plan().regions[0];
    const rollout = await startRollout(rig.client, {
      plan: rig.plan({
        regions: [region],
        stages: [{ name: 'all', traffic: 100 }],
        after_promotion: { watch: '20m', baseline: '5m' },
      }),
      edgeCases: [],
      version: bad,
      triggeredBy: 'record-histories',
    });
    const report = await rolloutReport(rollout.handle);
    if (report.outcome !== 'rolled-back')
      throw new Error(`after-promotion: expected rolled-back, got ${report.outcome}`);
    await save(rollout.handle, 'rollout-after-promotion');
    await save(
      rig.client.workflow.getHandle(regionWorkflowId(rollout.workflowId, region.name)),
      'region-after-promotion',
    );
  } finally {
    await rig.close();
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
