/**
 * The worker's Databricks request metrics (src/activities/databricks-metrics.ts) through the HttpClient's
 * `onRequestEnd` observer: each request counted once, by region (from the activity's queue), method, route template
 * and status code; failures also by kind; nothing recorded outside an activity.
 */
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { recordDatabricksRequest } from '../../src/activities/databricks-metrics';
import { DatabricksApiError, DatabricksClient, DatabricksNetworkError } from '../../src/databricks';
import { ROLLOUT_METRICS } from '../../src/shared/rollout-metrics';

interface Recorded {
  name: string;
  value: number;
  tags: MetricTags;
}

/** A counter, histogram or gauge that keeps what it is given. */
interface RecordingInstrument<K> {
  name: string;
  kind: K;
  valueType: 'int' | 'float';
  add(value: number, tags?: MetricTags): void;
  record(value: number, tags?: MetricTags): void;
  set(value: number, tags?: MetricTags): void;
  withTags(): this;
}

/** A MetricMeter that keeps what it is given. */
function recordingMeter(recorded: Recorded[]): MetricMeter {
  const instrument = <K, V extends 'int' | 'float'>(name: string, kind: K, valueType: V) => {
    const keep = (value: number, tags: MetricTags = {}) => void recorded.push({ name, value, tags });
    const made: RecordingInstrument<K> & { valueType: V } = {
      name,
      kind,
      valueType,
      add: keep,
      record: keep,
      set: keep,
      withTags: () => made,
    };
    return made;
  };
  const meter: MetricMeter = {
    createCounter: (name) => instrument(name, 'counter' as const, 'int' as const),
    createHistogram: (name, valueType = 'int') => instrument(name, 'histogram' as const, valueType),
    createGauge: (name, valueType = 'int') => instrument(name, 'gauge' as const, valueType),
    withTags: () => meter,
  };
  return meter;
}

const ENDPOINT = {
  name: 'fraud-detector',
  state: { ready: 'READY', config_update: 'NOT_UPDATING' },
  config: { served_entities: [], config_version: 1 },
};

/** A client whose requests get `answer`, observed by the worker's metrics. */
function client(answer: () => Promise<Response>): DatabricksClient {
  return new DatabricksClient({
    host: 'https://eu.example.test',
    token: 'dapi-test',
    env: {},
    fetch: answer,
    onRequestEnd: recordDatabricksRequest,
  });
}

async function inRegionActivity(work: () => Promise<unknown>): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const env = new MockActivityEnvironment(
    { taskQueue: 'rollout-eu-west-1', activityType: 'checkEndpoint' },
    { logger: new DefaultLogger('ERROR'), metricMeter: recordingMeter(recorded) },
  );
  await env.run(work);
  return recorded;
}

const { databricksRequests, databricksErrors, databricksDuration } = ROLLOUT_METRICS;
const ROUTE = '/api/2.0/serving-endpoints/{name}';

it('counts a request by region, method, route template and status, and times it in seconds', async () => {
  const recorded = await inRegionActivity(() =>
    client(async () => Response.json(ENDPOINT)).serving.getEndpoint('fraud-detector'),
  );
  const labels = { region: 'eu-west-1', method: 'GET', route: ROUTE };
  expect(recorded.find((r) => r.name === databricksRequests.name)).toMatchObject({
    value: 1,
    tags: { ...labels, code: '200' },
  });
  const duration = recorded.find((r) => r.name === databricksDuration.name);
  expect(duration?.tags).toMatchObject(labels);
  expect(duration?.value).toBeLessThan(5); // seconds, not milliseconds
  expect(recorded.filter((r) => r.name === databricksErrors.name)).toEqual([]);
});

it('counts a failed request under its status and its error kind', async () => {
  const notFound = () =>
    Response.json({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no such endpoint' }, { status: 404 });
  const recorded = await inRegionActivity(async () => {
    const err = await client(async () => notFound())
      .serving.getEndpoint('gone')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabricksApiError);
  });
  expect(recorded.find((r) => r.name === databricksRequests.name)?.tags).toMatchObject({ route: ROUTE, code: '404' });
  expect(recorded.find((r) => r.name === databricksErrors.name)).toMatchObject({
    value: 1,
    tags: { region: 'eu-west-1', route: ROUTE, error: 'not-found' },
  });
});

it('counts a request that got no answer with code "none" and error "network"', async () => {
  const recorded = await inRegionActivity(async () => {
    const err = await client(() => Promise.reject(new TypeError('fetch failed')))
      .serving.getEndpoint('fraud-detector')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabricksNetworkError);
  });
  expect(recorded.find((r) => r.name === databricksRequests.name)?.tags).toMatchObject({ code: 'none' });
  expect(recorded.find((r) => r.name === databricksErrors.name)?.tags).toMatchObject({ error: 'network' });
});

it('outside an activity (the CLI), records nothing and lets the request through', async () => {
  // There is no activity context to take a meter from: the observer must neither throw nor fail the request.
  await expect(
    client(async () => Response.json(ENDPOINT)).serving.getEndpoint('fraud-detector'),
  ).resolves.toMatchObject({ name: 'fraud-detector' });
});
