/**
 * `npm run demo`: the Temporal dev server with its Web UI, three emulated Databricks workspaces and a worker; then
 * two real rollouts of main.ml.fraud_detector with examples/plans/three-regions.yaml:
 *   1. a good version: pilot region, canary with health and edge-case gates, a 50% stage approved (by the demo,
 *      visibly), promotion everywhere;
 *   2. a bad version (wrong predictions, 6% errors): its edge cases, or sometimes first a health probe, fail in the
 *      pilot region, which rolls back to the exact previous config, and the other regions are never touched.
 * Flags: --exit (stop when done; the default when not in a terminal), --keep (keep running for the UI).
 */
import { join } from 'node:path';
import { watchRollout } from '../src/cli/watch';
import { loadPlan } from '../src/plan/load';
import { startRollout } from '../src/rollouts';
import { approveUpdate } from '../src/shared/messages';
import type { RolloutReport } from '../src/shared/types';
import { startStack, type Stack } from './stack';

const PLAN = join(__dirname, '../examples/plans/three-regions.yaml');
const WORLD = join(__dirname, '../worlds/three-regions.yaml');
const DEMO_BAKE_MS = 5000;

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

async function rollOut(stack: Stack, behavior: string, title: string): Promise<RolloutReport> {
  const { plan, edgeCases } = loadPlan(PLAN);
  // The plan bakes 20s per stage; the demo shortens that to keep the walk-through brisk.
  for (const stage of plan.stages) stage.bake = Math.min(stage.bake, DEMO_BAKE_MS);
  const version = await register(stack, behavior);
  console.log(`\n=== ${title}: ${plan.model} version ${version} (${behavior}) registered in ${plan.primary}`);
  const { handle, workflowId } = await startRollout(stack.client, {
    plan,
    edgeCases,
    version,
    triggeredBy: 'npm run demo',
  });
  console.log(`rollout ${workflowId}\n  ${stack.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  const approved = new Set<string>();
  const io = {
    out: (text: string) => process.stdout.write(text.replace(/^(?=.)/gm, '  ')),
    err: (text: string) => process.stderr.write(text),
  };
  const watched = await watchRollout(
    handle,
    { ...io, isTTY: false },
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
  console.log(`\n  outcome: ${report.outcome.toUpperCase()}${report.error ? ` - ${report.error}` : ''}`);
  for (const r of report.regions)
    console.log(
      `  ${r.region.padEnd(15)} ${r.outcome.padEnd(12)} ${r.challengerWeight}% on v${version}${r.error ? `  (${r.error})` : ''}`,
    );
  return report;
}

async function main() {
  const keep = process.argv.includes('--keep') || (process.stdout.isTTY && !process.argv.includes('--exit'));
  console.log('Starting the Temporal dev server, three emulated Databricks workspaces and a worker...');
  const stack = await startStack({ world: WORLD, workerLogLevel: 'ERROR' });
  console.log(`  Temporal UI     ${stack.uiUrl}`);
  for (const region of stack.emu.regions)
    console.log(
      `  ${region.padEnd(15)} ${stack.emu.url(region)}${region === stack.emu.world.primary ? '  (primary)' : ''}`,
    );
  try {
    const good = await rollOut(stack, 'candidate-good', 'Scenario 1, a good version');
    const bad = await rollOut(stack, 'candidate-bad', 'Scenario 2, a bad version');
    const ok = good.outcome === 'succeeded' && bad.outcome === 'rolled-back';
    console.log(
      `\n${ok ? 'Demo complete' : 'Demo finished with unexpected outcomes'}. Find both rollouts in the UI: ${stack.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent("RolloutModel='main.ml.fraud_detector'")}`,
    );
    if (keep) {
      console.log('The stack keeps running for you to explore; Ctrl-C stops it.');
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
