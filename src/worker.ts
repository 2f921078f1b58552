#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-old-space-size=1024 --max-semi-space-size=1
/**
 * The worker: workflows and control activities on the control queue, and each region's Databricks activities on
 * that region's queue. One process serves every queue in development; in production run one per region, inside its
 * network, with `--regions <region> --no-control`.
 *
 *   rollout-worker --plan examples/plans/three-regions.yaml
 *   rollout-worker --regions eu-west-1 --no-control
 *
 * Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS variables or temporal.toml profiles
 * (@temporalio/envconfig), as the temporal CLI reads them. Databricks: ~/.databrickscfg profiles or DATABRICKS_*.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter, Duration } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import {
  NativeConnection,
  Runtime,
  Worker,
  type WorkerPlugin,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { parseArgs } from 'node:util';
import {
  createAnalysisActivities,
  createControlActivities,
  createDatabricksActivities,
  createNotifyActivities,
  createRegistryActivities,
  createWatcherPollActivities,
  createWatcherStartActivities,
  WorkspaceClients,
  type NotifyOptions,
  type PollSettings,
} from './activities';
import { dataConverterFromEnv } from './codec';
import { HEALTH_ADDRESS_VARIABLE, parseHealthAddress, serveHealth, type HealthAddress } from './health';
import { loadPlan } from './plan/load';
import { CONTROL_TASK_QUEUE, regionTaskQueue } from './shared/task-queues';
import { commaList } from './shared/lists';
import { deploymentOptions, workerDeploymentFrom, type WorkerDeployment } from './worker-versioning';
import {
  DROP_WORKFLOW_SPANS,
  startTracing,
  tracingSettingsFromEnv,
  WORKER_SERVICE_NAME,
  WORKFLOW_TRACING_INTERCEPTORS,
  type Tracing,
} from './tracing';
import { METRICS_ADDRESS_VARIABLE, parseMetricsAddress, prometheusMetrics } from './worker-metrics';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  /** Used by control activities (coordination between rollouts of the same model). */
  temporal: Client;
  regions: string[];
  control: boolean;
  clients: WorkspaceClients;
  poll?: PollSettings;
  controlPollMs?: number;
  /** Worker plugins: src/tracing.ts's when traces are exported. */
  plugins?: WorkerPlugin[];
  /**
   * A prebuilt bundle (tests bundle once per file), with WORKFLOW_TRACING_INTERCEPTORS as a workflow interceptor
   * module; otherwise the workflows are bundled at start, with it.
   */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** How long running activities may finish on shutdown before they are cancelled. */
  shutdownGraceTime?: Duration;
  /** Payload encryption (src/codec), the same as the clients' (`dataConverterFromEnv`). */
  dataConverter?: DataConverter;
  /** Notification channels' URLs and secrets are read from `notify.env` (default: process.env) at delivery. */
  notify?: NotifyOptions;
  /**
   * Worker Versioning: the worker deployment and build id every queue's worker polls as (src/worker-versioning.ts).
   * Undefined: unversioned.
   */
  deployment?: WorkerDeployment;
}

export async function createWorkers(setup: WorkerSetup): Promise<Worker[]> {
  const common = {
    connection: setup.connection,
    namespace: setup.namespace,
    shutdownGraceTime: setup.shutdownGraceTime ?? '10s',
    ...(setup.dataConverter ? { dataConverter: setup.dataConverter } : {}),
    // Region queues too: a pinned rollout's activities go to its own build's workers where that build serves them.
    ...deploymentOptions(setup.deployment),
    ...(setup.plugins?.length ? { plugins: setup.plugins } : {}),
  };
  const workers: Worker[] = [];
  if (setup.control)
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: CONTROL_TASK_QUEUE,
        ...(setup.workflowBundle
          ? { workflowBundle: setup.workflowBundle }
          : {
              workflowsPath: require.resolve('./workflows'),
              interceptors: { workflowModules: [WORKFLOW_TRACING_INTERCEPTORS] },
            }),
        // Replaced by the tracing plugin's sink when traces are exported.
        sinks: DROP_WORKFLOW_SPANS,
        activities: {
          ...createControlActivities(setup.temporal, setup.controlPollMs),
          ...createWatcherStartActivities(setup.temporal),
          ...createNotifyActivities(setup.notify),
        },
      }),
    );
  const activities = {
    ...createDatabricksActivities(setup.clients, setup.poll),
    ...createAnalysisActivities(setup.clients),
    ...createRegistryActivities(setup.clients),
    ...createWatcherPollActivities(setup.clients),
  };
  for (const region of setup.regions)
    workers.push(await Worker.create({ ...common, taskQueue: regionTaskQueue(region), activities }));
  return workers;
}

const USAGE = `usage: rollout-worker (--plan <plan.yaml> ... | --regions <a,b,...>) [--no-control]
                      [--deployment-name <name> --build-id <id>]

  --plan             serve the region queues of the regions in these plans (repeatable)
  --regions          serve these regions' queues (comma-separated)
  --no-control       do not run workflows and control activities (a region-only worker)
  --deployment-name  Worker Versioning: the Temporal worker deployment (env ROLLOUT_DEPLOYMENT_NAME)
  --build-id         Worker Versioning: this build's id (env ROLLOUT_BUILD_ID); with neither, the worker is
                     unversioned. README "Upgrading the worker" gives the procedure.

Connection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS variables,
TEMPORAL_PROFILE / temporal.toml. Traces (off by default): OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OTLP/HTTP JSON), OTEL_SERVICE_NAME (default ${WORKER_SERVICE_NAME}). Payload encryption: ROLLOUT_CODEC_KEYS=id:base64,... Databricks credentials: ~/.databrickscfg profiles named in the plan, or DATABRICKS_*.
Notifications (control queue): ROLLOUT_NOTIFY_<CHANNEL>_URL and, for kind webhook, ROLLOUT_NOTIFY_<CHANNEL>_SECRET
per channel the plans name; TEMPORAL_UI_URL for the links to the Temporal UI.
Health for a scheduler: ROLLOUT_HEALTH_ADDRESS=host:port (or :port) serves GET /livez and /readyz (off when unset).
Metrics: ${METRICS_ADDRESS_VARIABLE}=<ip>:<port> serves Prometheus metrics at http://<ip>:<port>/metrics (off when
unset; 0.0.0.0:9464 for every interface).`;

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        plan: { type: 'string', multiple: true },
        regions: { type: 'string' },
        'no-control': { type: 'boolean', default: false },
        'deployment-name': { type: 'string' },
        'build-id': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) return console.log(USAGE);
  const regions = new Set<string>(commaList(values.regions ?? ''));
  for (const path of values.plan ?? []) for (const region of loadPlan(path).plan.regions) regions.add(region.name);
  if (regions.size === 0 && values['no-control']) {
    console.error(`nothing to serve: give --plan or --regions, or drop --no-control\n\n${USAGE}`);
    process.exit(2);
  }
  // Checked before connecting: a bad key must not leave a worker half-started.
  let deployment;
  try {
    deployment = workerDeploymentFrom({ deploymentName: values['deployment-name'], buildId: values['build-id'] });
  } catch (err) {
    console.error(`worker versioning: ${(err as Error).message}`);
    process.exit(2);
  }
  let dataConverter;
  try {
    dataConverter = dataConverterFromEnv();
  } catch (err) {
    console.error(`payload encryption: ${(err as Error).message}`);
    process.exit(2);
  }
  let healthAddress: HealthAddress | undefined;
  let metricsAddress;
  try {
    const value = process.env[HEALTH_ADDRESS_VARIABLE];
    if (value) healthAddress = parseHealthAddress(value);
    metricsAddress = parseMetricsAddress(process.env[METRICS_ADDRESS_VARIABLE]);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  let tracing: Tracing | undefined;
  try {
    const settings = tracingSettingsFromEnv(process.env, WORKER_SERVICE_NAME);
    tracing = settings && startTracing(settings);
  } catch (err) {
    console.error(`traces: ${(err as Error).message}`);
    process.exit(2);
  }
  // Before any connection: the runtime is created once per process, by the first connection if not installed.
  if (metricsAddress) {
    Runtime.install({ telemetryOptions: { metrics: prometheusMetrics(metricsAddress) } });
    console.log(`metrics: http://${metricsAddress}/metrics`);
  }
  const config = loadClientConnectConfig();
  const address = config.connectionOptions.address ?? 'localhost:7233';
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(config.connectionOptions);
  } catch (err) {
    console.error(`cannot reach Temporal at ${address}: ${(err as Error).message}`);
    process.exit(3);
  }
  const namespace = config.namespace ?? 'default';
  const temporal = new Client({
    connection: await Connection.connect(config.connectionOptions),
    namespace,
    dataConverter,
    plugins: tracing?.plugins,
  });
  const workers = await createWorkers({
    connection,
    namespace,
    temporal,
    regions: [...regions],
    control: !values['no-control'],
    clients: new WorkspaceClients(),
    dataConverter,
    deployment,
    plugins: tracing?.plugins,
  });
  console.log(
    `worker connected to ${address} (namespace ${namespace}${
      deployment ? `; deployment ${deployment.deploymentName}, build ${deployment.buildId}` : ''
    }); queues: ${[...(values['no-control'] ? [] : [CONTROL_TASK_QUEUE]), ...[...regions].map(regionTaskQueue)].join(
      ', ',
    )}${tracing ? '; exporting traces' : ''}`,
  );
  let draining = false;
  // Served before the workers poll: readiness says "not polling" until they do.
  const health = healthAddress && (await serveHealth(healthAddress, { workers, connection, draining: () => draining }));
  if (healthAddress) console.log(`health on ${healthAddress.host}:${healthAddress.port}: GET /livez, /readyz`);
  const stop = () => {
    draining = true;
    workers.forEach((w) => w.shutdown());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    health?.close();
  }
  await tracing?.shutdown();
  await connection.close();
}

if (require.main === module)
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
