/**
 * Taking an endpoint's lease while the region is cancelled (src/workflows/endpoint-lease.ts). A region cancelled while
 * its lease's start is in flight must still know it holds the lease, so it releases it at its end: otherwise the
 * lease runs on, unseen, until the region closes and Temporal terminates it (the UI then shows a "Terminated" lease,
 * and the endpoint stays locked for as long as the region lives).
 */
import { until } from '../../support/temporal';
import { useStepRig } from '../steps/harness';

const rigOf = useStepRig();

/** The leases of `region`, as `<endpoint> <status>`, once every one of them has closed. */
async function closedLeases(region: string, count: number): Promise<string[]> {
  return until(`${count} closed leases in ${region}`, async () => {
    const leases: string[] = [];
    const query = `WorkflowType = 'endpointLeaseWorkflow' AND WorkflowId STARTS_WITH 'endpoint-lease/${region}/'`;
    for await (const lease of rigOf().client.workflow.list({ query }))
      leases.push(`${lease.workflowId.split('/').at(-1)} ${lease.status.name}`);
    return leases.length === count && leases.every((l) => !l.endsWith('RUNNING')) ? leases.sort() : undefined;
  });
}

// Cancelled at once, and a few milliseconds in: some starts are recorded and not yet acknowledged when it comes.
it.each([0, 1, 3, 10])(
  'cancelled %i ms into taking 12 leases, it releases every lease it took',
  async (delay) => {
    const region = `lease-race-${delay}`;
    const endpoints = Array.from({ length: 12 }, (_, i) => `endpoint-${String(i).padStart(2, '0')}`);
    const taken = await rigOf().run<string[]>('leasesCancelledWhileTaken', { region, endpoints, cancelAfterMs: delay });
    // Every lease that was started was known to its holder and released by it: none left to be terminated.
    const leases = await closedLeases(region, taken.length);
    expect(leases).toEqual(taken.map((endpoint) => `${endpoint} COMPLETED`));
  },
  60_000,
);
