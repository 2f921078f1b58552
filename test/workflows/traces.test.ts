/**
 * Traces (src/tracing.ts): one real rollout with tracing on, its spans exported over OTLP/HTTP JSON to a collector
 * in this test. The client's start, the rollout workflow, every region workflow and their activities share one trace;
 * each Databricks call is a span under its activity, named by route template, with its status; no attribute, nor any
 * byte the exporter sent, holds a region's token or an Authorization header. The histories it wrote replay with
 * tracing on and off.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { rolloutReport, startRollout } from '../../src/rollouts';
import { DROP_WORKFLOW_SPANS, startTracing, type Tracing } from '../../src/tracing';
import { regionWorkflowId } from '../../src/shared/messages';
import { until, useRig } from '../support/temporal';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: OtlpValue }>;
}
interface ExportRequest {
  resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

/** A span with its attributes as a plain record. */
interface SpanSeen {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, string | number | boolean | undefined>;
}

/** An OTLP/HTTP receiver: keeps every request body as sent and every span it carries. */
class Collector {
  readonly bodies: string[] = [];
  readonly spans: SpanSeen[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const json =
        req.method === 'POST' && req.url === '/v1/traces' && req.headers['content-type'] === 'application/json';
      if (!json) {
        res.writeHead(415).end();
        return;
      }
      this.bodies.push(body);
      for (const resource of (JSON.parse(body) as ExportRequest).resourceSpans)
        for (const scope of resource.scopeSpans) for (const span of scope.spans) this.spans.push(seen(span));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function seen(span: OtlpSpan): SpanSeen {
  const attributes: SpanSeen['attributes'] = {};
  for (const { key, value } of span.attributes ?? [])
    attributes[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue));
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId || undefined,
    name: span.name,
    attributes,
  };
}

const collector = new Collector();
let tracing: Tracing;
// Declared before useRig: its beforeAll bundles the workflows with the tracing plugin's interceptors.
beforeAll(async () => {
  tracing = startTracing({ serviceName: 'model-rollout-test', url: await collector.listen() });
});
afterAll(async () => {
  await tracing.shutdown();
  await collector.close();
});
const rigOf = useRig(undefined, { plugins: () => tracing.plugins });

it('one rollout is one trace: client start, rollout and region workflows, activities and Databricks calls', async () => {
  const rig = rigOf();
  const client = new Client({ connection: rig.env.connection, namespace: rig.env.namespace, plugins: tracing.plugins });
  const plan = rig.plan();
  const version = await rig.register('candidate-good');
  const { handle, workflowId } = await startRollout(client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  expect((await rolloutReport(handle)).outcome).toBe('succeeded');

  // Workflow spans leave the sandbox through a sink after the workflow's last task: wait until every one is here.
  const workflowSpans = await until('every workflow span exported', async () => {
    await tracing.flush();
    const runs = collector.spans.filter((s) => s.name.startsWith('RunWorkflow:'));
    const regions = runs.filter((s) => s.name === 'RunWorkflow:regionRolloutWorkflow');
    const rollouts = runs.filter((s) => s.name === 'RunWorkflow:rolloutWorkflow');
    return rollouts.length === 1 && regions.length === plan.regions.length
      ? { rollout: rollouts[0], regions }
      : undefined;
  });
  const start = collector.spans.find((s) => s.name === 'rollout start');
  expect(start?.attributes).toMatchObject({ 'rollout.id': workflowId, 'rollout.version': version });
  const traceId = start!.traceId;

  // One trace: the client's spans, the rollout, every region workflow, every activity and every Databricks call.
  expect(new Set(collector.spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
  expect(collector.spans.find((s) => s.name === 'StartWorkflow:rolloutWorkflow')?.parentSpanId).toBe(start!.spanId);
  expect(workflowSpans.rollout.traceId).toBe(traceId);
  expect(workflowSpans.regions.map((s) => s.traceId)).toEqual(plan.regions.map(() => traceId));

  const activities = collector.spans.filter((s) => s.name.startsWith('RunActivity:'));
  const regionsWithActivities = new Set(activities.map((s) => s.attributes['cloud.region']).filter(Boolean));
  expect([...regionsWithActivities].sort()).toEqual(plan.regions.map((r) => r.name).sort());

  // Databricks calls: children of activity spans, named by route template, with method, status, region and attempt.
  const activityIds = new Set(activities.map((s) => s.spanId));
  const calls = collector.spans.filter((s) => s.attributes['http.route'] !== undefined);
  expect(calls.length).toBeGreaterThan(plan.regions.length);
  for (const call of calls) {
    expect(activityIds.has(call.parentSpanId!)).toBe(true);
    expect(call.name).toBe(`${call.attributes['http.request.method']} ${call.attributes['http.route']}`);
    expect(call.attributes['http.response.status_code']).toEqual(expect.any(Number));
    expect(plan.regions.map((r) => r.name)).toContain(call.attributes['cloud.region']);
    expect(call.attributes['temporal.activity.attempt']).toBeGreaterThanOrEqual(1);
  }
  const routes = new Set(calls.map((s) => `${s.attributes['http.request.method']} ${s.attributes['http.route']}`));
  expect(routes).toContain('PUT /api/2.0/serving-endpoints/{name}/config');
  expect(routes).toContain('GET /api/2.0/serving-endpoints/{name}');
  // Routes are templates: the endpoint's name never appears in one.
  expect([...routes].filter((route) => route.includes('fraud-detector'))).toEqual([]);

  // No secret in anything the exporter sent: no region's token, no Authorization header.
  const sent = collector.bodies.join('\n');
  for (const region of rig.emu.regions) expect(sent).not.toContain(rig.emu.token(region));
  expect(sent).not.toMatch(/authorization|bearer/i);

  // Traced histories replay on a worker exporting traces and on one that is not (tracing turned off again).
  for (const id of [workflowId, regionWorkflowId(workflowId, plan.regions[1].name)]) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: rig.bundle, plugins: tracing.plugins }, history, id);
    await Worker.runReplayHistory({ workflowBundle: rig.bundle, sinks: DROP_WORKFLOW_SPANS }, history, id);
  }
}, 60_000);
