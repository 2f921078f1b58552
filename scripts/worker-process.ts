/**
 * The worker in a process of its own, for the benchmarks (its RSS and CPU are read from /proc) and the fault suite
 * (which SIGKILLs it): the same createWorkers as `rollout-worker`, with a workflow bundle built once by the caller
 * (bundling at every start would dominate) and the poll settings it names. Prints "worker ready" once polling.
 * Environment: TEMPORAL_ADDRESS, DATABRICKS_CONFIG_FILE, WORKER_REGIONS (a,b,...), WORKER_BUNDLE (a file with the
 * bundle's code), WORKER_POLL (initialMs,maxMs; default 1000,10000), WORKER_CONTROL_POLL_MS (default 200).
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { WorkspaceClients } from '../src/activities';
import { createWorkers } from '../src/worker';

async function main() {
  // Errors only, the SDK core's included: the benchmarks and the fault suite read this process's output.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const address = process.env.TEMPORAL_ADDRESS!;
  const [initialMs, maxMs] = (process.env.WORKER_POLL ?? '1000,10000').split(',').map(Number);
  const connection = await NativeConnection.connect({ address });
  const temporal = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const workers = await createWorkers({
    connection,
    namespace: 'default',
    temporal,
    regions: process.env.WORKER_REGIONS!.split(','),
    control: true,
    clients: new WorkspaceClients(),
    poll: { initialMs, maxMs },
    controlPollMs: Number(process.env.WORKER_CONTROL_POLL_MS ?? 200),
    workflowBundle: { code: readFileSync(process.env.WORKER_BUNDLE!, 'utf8'), sourceMap: '' },
    shutdownGraceTime: '1s',
  });
  const stop = () => workers.forEach((w) => w.shutdown());
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const runs = workers.map((w) => w.run());
  console.log('worker ready');
  await Promise.all(runs);
  await connection.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
