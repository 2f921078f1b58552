/**
 * Endpoint leases end as Completed, released by their holder, never terminated (issue 15: after three demos, 12 of
 * 30 workflows in the UI were "Terminated" leases). A region gives its endpoint back at its end, whether it promoted,
 * rolled back or was aborted, and waits until the lease has ended. A region that rolled back fails with its reason
 * alone, without a stack trace of source paths.
 */
import type { PlanInput } from '../../src/plan/schema';
import { startRollout, rolloutReport } from '../../src/rollouts';
import { abortUpdate, regionWorkflowId, rolloutStatusQuery } from '../../src/shared/messages';
import type { EdgeCase } from '../../src/plan/edge-cases';
import { EDGE_CASES, Rig, until, useRig } from '../support/temporal';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

async function start(overrides: Partial<PlanInput>, version: number, edgeCases: EdgeCase[] = []) {
  const { handle } = await startRollout(rig.client, {
    plan: rig.plan(overrides),
    edgeCases,
    version,
    triggeredBy: 'test',
  });
  return handle;
}

/** Every endpoint lease's status, by workflow id and run. */
async function leaseStatuses(): Promise<string[]> {
  const statuses: string[] = [];
  for await (const lease of rig.client.workflow.list({ query: `WorkflowType = 'endpointLeaseWorkflow'` }))
    statuses.push(`${lease.workflowId} ${lease.status.name}`);
  return statuses.sort();
}

it('a promoted, a rolled-back and an aborted rollout leave every lease Completed', async () => {
  const regions = rig.plan().regions.slice(0, 2);
  const good = await rig.register('candidate-good');
  const promoted = await start({ regions }, good);
  expect((await rolloutReport(promoted)).outcome).toBe('succeeded');

  const bad = await rig.register('candidate-bad');
  const rolledBack = await start(
    { regions, tests: { edge_cases: { file: 'inline', tolerance: 0.02 } } },
    bad,
    EDGE_CASES,
  );
  expect((await rolloutReport(rolledBack)).outcome).toBe('rolled-back');
  // The region that rolled back failed with its sentence, not a stack of the workflow bundle's source paths.
  const child = rig.client.workflow.getHandle(regionWorkflowId(rolledBack.workflowId, regions[0].name));
  const events = (await child.fetchHistory()).events ?? [];
  const failure = events.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
  expect(failure?.message).toMatch(/edge cases/);
  expect(failure?.stackTrace ?? '').toBe('');

  const third = await rig.register('candidate-good');
  const aborted = await start({ regions, stages: [{ name: 'canary', traffic: 10, bake: '1h' }] }, third);
  await until('both regions baking', async () => {
    const status = await aborted.query(rolloutStatusQuery);
    return status.regions.every((r) => r.phase === 'baking') ? true : undefined;
  });
  await aborted.executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'lease test' }] });
  expect((await rolloutReport(aborted)).outcome).toBe('aborted');

  // Six leases (two regions, three rollouts), every one released by its holder.
  const statuses = await until('six closed leases in visibility', async () => {
    const all = await leaseStatuses();
    return all.length === 6 && all.every((s) => !s.endsWith('RUNNING')) ? all : undefined;
  });
  expect(statuses.filter((s) => !s.endsWith(' COMPLETED'))).toEqual([]);
}, 120_000);
