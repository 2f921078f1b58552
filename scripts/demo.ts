/**
 * `npm run demo`: the Temporal dev server with its Web UI, three emulated Databricks workspaces and a worker; then
 * continuous delivery of main.ml.fraud_detector with examples/plans/three-regions.yaml: the plan's watcher (as
 * `rollout watch` starts it) follows the primary's Unity Catalog, and each version the demo registers there, as a
 * training job would, starts its rollout by itself:
 *   1. a good version: pilot region, canary with health and edge-case gates, a 50% stage approved (by the demo,
 *      visibly), promotion everywhere;
 *   2. a bad version (wrong predictions, 6% errors): its edge cases, or sometimes first a health probe, fail in the
 *      pilot region, which rolls back to the exact previous config, and the other regions are never touched.
 * Then it prints what the watcher saw and started. Each run starts from an empty Temporal database (.data/demo.sqlite):
 * its workspaces are new too, and a watcher left running by an earlier run would take this run's v2 and v3 for the
 * ones it started then (a new one would find their rollouts and not start them again).
 * Flags: --exit (stop when done; the default when not in a terminal), --keep (keep running for the UI).
 */
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { watchRollout } from '../src/cli/watch';
import { printStatus } from '../src/cli/watcher';
import { loadPlan, type LoadedPlan } from '../src/plan/load';
import { approveUpdate, watcherStatusQuery } from '../src/shared/messages';
import type { RolloutReport } from '../src/shared/types';
import type { WatcherStatus } from '../src/shared/watch';
import { startWatcher } from '../src/watchers';
import type { rolloutWatcherWorkflow, rolloutWorkflow } from '../src/workflows';
import { DATA_DIR, startStack, type Stack } from './stack';

const PLAN = join(__dirname, '../examples/plans/three-regions.yaml');
/** The watcher's plan name, as `rollout watch --plan examples/plans/three-regions.yaml` names it. */
const PLAN_NAME = 'three-regions';
const WORLD = join(__dirname, '../worlds/three-regions.yaml');
const DEMO_BAKE_MS = 5000;
/** The plan polls every 30 s and waits 2 min after the last new version; the demo is quicker. */
const DEMO_WATCH = { poll: 500, quiet_period: 1000, min_time_between_rollouts: 0 };
/** How long the watcher may take to take its baseline, or to start a registered version, before the demo gives up. */
const WATCHER_TIMEOUT_MS = 60_000;

type Watcher = WorkflowHandle<typeof rolloutWatcherWorkflow>;

const indent = (text: string) => process.stdout.write(text.replace(/^(?=.)/gm, '  '));
const uiLink = (stack: Stack, workflowId: string) =>
  `${stack.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;

/** The example plan, with the demo's shorter bakes (the plan's are 20 s) and watch timings. */
function demoPlan(): LoadedPlan {
  const loaded = loadPlan(PLAN);
  for (const stage of loaded.plan.stages) stage.bake = Math.min(stage.bake, DEMO_BAKE_MS);
  loaded.plan.watch = { ...loaded.plan.watch!, ...DEMO_WATCH };
  return loaded;
}

async function register(stack: Stack, behavior: string): Promise<number> {
  const res = await fetch(
    `${stack.emu.url(stack.emu.world.primary)}/__emulator/models/main.ml.fraud_detector/versions`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ behavior }),
    },
  );
  return ((await res.json()) as { version: number }).version;
}

async function startDemoWatcher(stack: Stack, { plan, edgeCases }: LoadedPlan): Promise<Watcher> {
  const { handle, workflowId } = await startWatcher(stack.client, {
    plan,
    edgeCases,
    planName: PLAN_NAME,
    triggeredBy: 'npm run demo',
  });
  console.log(
    `\n=== The plan's watcher (rollout watch --plan examples/plans/three-regions.yaml): it follows new READY versions of ${plan.model} in ${plan.primary}'s Unity Catalog` +
      `\n  (polling every ${DEMO_WATCH.poll} ms, starting a rollout once nothing changed for ${DEMO_WATCH.quiet_period / 1000} s; the plan says every 30 s, 2 min)` +
      `\nwatcher ${workflowId}\n  ${uiLink(stack, workflowId)}`,
  );
  // What exists before its first poll is not new: the demo registers its versions after that.
  await untilWatcher(handle, 'take its baseline', (s) => s.events.find((e) => e.what === 'baseline'));
  return handle;
}

/** Asks the watcher's status until `found` picks something from it; fails after a minute with its latest events. */
async function untilWatcher<T>(watcher: Watcher, what: string, found: (s: WatcherStatus) => T | undefined): Promise<T> {
  const deadline = Date.now() + WATCHER_TIMEOUT_MS;
  let status: WatcherStatus | undefined;
  for (;;) {
    status = await watcher.query(watcherStatusQuery).catch(() => status);
    const result = status && found(status);
    if (result !== undefined) return result;
    if (Date.now() > deadline) {
      const events = (status?.events ?? []).slice(0, 5).map((e) => `  ${e.at} v${e.version ?? ''} ${e.what}: ${e.why}`);
      throw new Error(
        `the watcher did not ${what} within ${WATCHER_TIMEOUT_MS / 1000}s; its latest events:\n${events.join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Follows a rollout to its end, approving each awaiting stage as demo-bot; prints the outcome per region. */
async function follow(
  stack: Stack,
  handle: WorkflowHandle<typeof rolloutWorkflow>,
  version: number,
): Promise<RolloutReport> {
  const approved = new Set<string>();
  const watched = await watchRollout(
    handle,
    { out: indent, err: (text: string) => process.stderr.write(text), isTTY: false },
    {
      intervalMs: 500,
      onStatus: async (status) => {
        for (const region of status.regions)
          if (region.phase === 'awaiting-approval' && !approved.has(`${region.region}/${region.stage}`)) {
            approved.add(`${region.region}/${region.stage}`);
            console.log(
              `  >> approving ${region.region} stage ${region.stage} as demo-bot (recorded in the rollout's history)`,
            );
            await handle.executeUpdate(approveUpdate, {
              args: [{ approver: 'demo-bot', reason: 'auto-approved by npm run demo', region: region.region }],
            });
          }
      },
    },
  );
  if (!watched.finished) throw new Error('the rollout is still running'); // no deadline: it always finishes
  const report = await watched.report;
  // The error once: in its region's row, or on the outcome line when no region has it (pre-flight, an abort).
  const inRegion = report.regions.some((r) => r.error === report.error);
  console.log(`\n  outcome: ${report.outcome.toUpperCase()}${report.error && !inRegion ? ` - ${report.error}` : ''}`);
  for (const r of report.regions)
    console.log(
      `  ${r.region.padEnd(15)} ${r.outcome.padEnd(12)} ${r.challengerWeight}% on v${version}${r.error ? `  (${r.error})` : ''}`,
    );
  return report;
}

/** Registers a version in the primary; the watcher starts its rollout by itself, which the demo follows. */
async function rollOut(stack: Stack, watcher: Watcher, behavior: string, title: string): Promise<RolloutReport> {
  const registeredAt = Date.now();
  const version = await register(stack, behavior);
  console.log(
    `\n=== ${title}: main.ml.fraud_detector version ${version} (${behavior}) registered in ${stack.emu.world.primary}; nobody starts its rollout`,
  );
  const started = await untilWatcher(watcher, `start v${version}`, (s) => s.started.find((x) => x.version === version));
  // Started by this run's watcher after the registration, not found from an earlier run (see startStack's `fresh`).
  if (!started.started || Date.parse(started.at) < registeredAt)
    throw new Error(
      `the watcher took v${version} for a version it had ${started.started ? 'started' : 'found started'} at ${started.at}, before this run registered it`,
    );
  console.log(
    `the watcher started rollout ${started.rolloutId} by itself, ${((Date.parse(started.at) - registeredAt) / 1000).toFixed(1)} s after the registration\n  ${uiLink(stack, started.rolloutId)}`,
  );
  return follow(stack, stack.client.workflow.getHandle(started.rolloutId), version);
}

async function main() {
  const keep = process.argv.includes('--keep') || (process.stdout.isTTY && !process.argv.includes('--exit'));
  console.log('Starting the Temporal dev server, three emulated Databricks workspaces and a worker...');
  const stack = await startStack({
    world: WORLD,
    workerLogLevel: 'ERROR',
    dbFile: join(DATA_DIR, 'demo.sqlite'),
    fresh: true,
  });
  console.log(`  Temporal UI     ${stack.uiUrl}`);
  for (const region of stack.emu.regions)
    console.log(
      `  ${region.padEnd(15)} ${stack.emu.url(region)}${region === stack.emu.world.primary ? '  (primary)' : ''}`,
    );
  try {
    const watcher = await startDemoWatcher(stack, demoPlan());
    const good = await rollOut(stack, watcher, 'candidate-good', 'Scenario 1, a good version');
    const bad = await rollOut(stack, watcher, 'candidate-bad', 'Scenario 2, a bad version');
    const status = await watcher.query(watcherStatusQuery);
    console.log(`\n=== What the watcher saw and started (rollout watch status --plan ${PLAN_NAME}.yaml), newest first`);
    printStatus(status, { out: indent });
    const versions = [good, bad].map((r) => r.version);
    const ok =
      good.outcome === 'succeeded' &&
      bad.outcome === 'rolled-back' &&
      versions.every((v) => status.started.some((s) => s.version === v && s.started));
    console.log(
      `\n${ok ? 'Demo complete' : 'Demo finished with unexpected outcomes'}. Find the watcher and both rollouts in the UI: ${stack.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent("RolloutModel='main.ml.fraud_detector'")}`,
    );
    if (keep) {
      console.log(
        `The stack keeps running for you to explore; the watcher keeps watching: register a version and it rolls out by itself:\n  curl -X POST ${stack.emu.url(stack.emu.world.primary)}/__emulator/models/main.ml.fraud_detector/versions -d '{"behavior":"candidate-good"}'\nCtrl-C stops it.`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    if (!ok) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
