/**
 * The worker as a process of its own, so the fault suite can SIGKILL it: the same createWorkers as src/worker.ts,
 * with a workflow bundle built once by the suite (bundling at every restart would dominate the suite's time) and
 * short poll intervals. Environment: TEMPORAL_ADDRESS, DATABRICKS_CONFIG_FILE, CHAOS_BUNDLE (a JSON file with the
 * bundle's code and source map), CHAOS_REGIONS (comma-separated). Prints "worker ready" once polling.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { WorkspaceClients } from '../../src/activities';
import { createWorkers } from '../../src/worker';

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = process.env.TEMPORAL_ADDRESS!;
  const connection = await NativeConnection.connect({ address });
  const temporal = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const workers = await createWorkers({
    connection,
    namespace: 'default',
    temporal,
    regions: process.env.CHAOS_REGIONS!.split(','),
    control: true,
    clients: new WorkspaceClients(),
    poll: { initialMs: 100, maxMs: 500 },
    controlPollMs: 300,
    workflowBundle: JSON.parse(readFileSync(process.env.CHAOS_BUNDLE!, 'utf8')),
    shutdownGraceTime: '1s',
  });
  const runs = workers.map((w) => w.run());
  console.log('worker ready');
  const stop = () => workers.forEach((w) => w.shutdown());
  process.once('SIGTERM', stop);
  await Promise.all(runs);
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
