/**
 * The benchmarks' worker, in a process of its own (started by bench/harness.ts): the same createWorkers as
 * `rollout-worker`, with a prebuilt workflow bundle and the poll settings the benchmark names.
 * Environment: TEMPORAL_ADDRESS, DATABRICKS_CONFIG_FILE, BENCH_REGIONS (a,b,...), BENCH_BUNDLE (path), BENCH_POLL
 * (initialMs,maxMs).
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { WorkspaceClients } from '../src/activities';
import { createWorkers } from '../src/worker';

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = process.env.TEMPORAL_ADDRESS!;
  const [initialMs, maxMs] = (process.env.BENCH_POLL ?? '1000,10000').split(',').map(Number);
  const connection = await NativeConnection.connect({ address });
  const temporal = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const workers = await createWorkers({
    connection,
    namespace: 'default',
    temporal,
    regions: process.env.BENCH_REGIONS!.split(','),
    control: true,
    clients: new WorkspaceClients(),
    poll: { initialMs, maxMs },
    controlPollMs: 200,
    workflowBundle: { code: readFileSync(process.env.BENCH_BUNDLE!, 'utf8'), sourceMap: '' },
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
