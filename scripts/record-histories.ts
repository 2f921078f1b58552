/**
 * Records workflow histories for the replay test (test/workflows/replay.test.ts): a rollout that succeeds with an
 * approval, and one whose gate fails and rolls back, each with its region children. Run it after an intended change
 * to workflow code *and* a patched() guard, never to paper over a replay failure:
 *
 *   npx tsx scripts/record-histories.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startRollout } from '../src/rollouts';
import { approveUpdate, regionWorkflowId, rolloutStatusQuery } from '../src/shared/messages';
import { bundleWorkflows, createTemporalEnv, EDGE_CASES, Rig } from '../test/support/temporal';

const DIR = join(__dirname, '..', 'test', 'histories');
/** Replay needs each history's workflow id (the parent derives its children's ids from its own). */
const workflowIds: Record<string, string> = {};

async function save(handle: WorkflowHandle, name: string) {
  const history = await handle.fetchHistory();
  const path = join(DIR, `${name}.json`);
  workflowIds[`${name}.json`] = handle.workflowId;
  // The proto3 JSON form, as `temporal workflow show --output json` writes it.
  writeFileSync(path, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
  console.log(`wrote ${path} (${history.events?.length} events)`);
}

async function main() {
  const env = await createTemporalEnv();
  const bundle = await bundleWorkflows();
  const rig = await Rig.start(env, bundle);
  try {
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
    for (;;) {
      const status = await approved.handle.query(rolloutStatusQuery);
      if (status.regions.every((r) => r.phase === 'awaiting-approval')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await approved.handle.executeUpdate(approveUpdate, { args: [{ approver: 'recorder', reason: 'replay fixture' }] });
    await approved.handle.result();
    await save(approved.handle, 'rollout-approved');
    await save(rig.client.workflow.getHandle(regionWorkflowId(approved.workflowId, 'eu-west-1')), 'region-approved');

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
    await rolledBack.handle.result();
    await save(rolledBack.handle, 'rollout-rolled-back');
    await save(
      rig.client.workflow.getHandle(regionWorkflowId(rolledBack.workflowId, 'us-east-1')),
      'region-rolled-back',
    );
    writeFileSync(join(DIR, 'workflow-ids.json'), JSON.stringify(workflowIds, null, 2) + '\n');
  } finally {
    await rig.close();
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
