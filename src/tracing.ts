/**
 * OpenTelemetry traces, off unless configured: only when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT is set does a process (the worker, the CLI) install a tracer provider that exports
 * OTLP/HTTP (JSON), and a plugin with @temporalio/interceptors-opentelemetry's client and activity interceptors and
 * its workflow span sink; they carry one trace from the client's start through the rollout workflow, its region
 * workflows and their activities (in Temporal headers). Each Databricks HTTP call is a span
 * (src/databricks/call-span.ts). Without the variables none of this is installed and the API's tracer is a no-op.
 *
 * The workflow-side interceptors are the exception: they are in every bundle, on or off (see
 * src/workflows/tracing-interceptors.ts for why), so the library's own OpenTelemetryPlugin, which adds them only
 * when tracing is on, is not used.
 */
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import { SimplePlugin } from '@temporalio/plugin';
import type {
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  InjectedSinks,
  ReplayWorkerOptions,
  WorkerOptions,
} from '@temporalio/worker';
import { withCallTraceContext } from './databricks/call-span';
import { regionOfTaskQueue } from './shared/task-queues';

export const WORKER_SERVICE_NAME = 'model-rollout-worker';
export const CLI_SERVICE_NAME = 'model-rollout-cli';

export interface TracingSettings {
  /** OTEL_SERVICE_NAME, else the process's default. */
  serviceName: string;
  /** Where spans are POSTed (OTLP/HTTP JSON). */
  url: string;
}

/** A tracing variable that cannot work, named with its fix. */
export class TracingConfigError extends Error {
  override name = 'TracingConfigError';
}

/**
 * The tracing settings of an environment, or undefined when exporting is off (no endpoint, or OTEL_SDK_DISABLED=true).
 * Headers (OTEL_EXPORTER_OTLP_HEADERS) and timeouts are read by the exporter itself, from the process environment.
 */
export function tracingSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  defaultServiceName: string,
): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!tracesEndpoint && !endpoint) return undefined;
  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || 'http/json';
  if (protocol !== 'http/json')
    throw new TracingConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}" is not supported: traces are exported as OTLP/HTTP JSON; unset it or set http/json`,
    );
  // As the OpenTelemetry spec says: the traces endpoint is used as is, the general one gets /v1/traces appended.
  const [variable, url] = tracesEndpoint
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint]
    : ['OTEL_EXPORTER_OTLP_ENDPOINT', `${endpoint!.replace(/\/+$/, '')}/v1/traces`];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TracingConfigError(`${variable} "${url}" is not a URL; write e.g. http://localhost:4318`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new TracingConfigError(`${variable} "${url}" is not an http(s) URL; write e.g. http://localhost:4318`);
  return { serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName, url };
}

/** The workflow interceptor module every bundle has (createWorkers and the tests' bundles add it). */
export const WORKFLOW_TRACING_INTERCEPTORS = require.resolve('./workflows/tracing-interceptors');

/** The workflow span sink of a worker that does not export: the spans its workflows make are dropped. */
export const DROP_WORKFLOW_SPANS: InjectedSinks<OpenTelemetrySinks> = {
  exporter: { export: { fn: () => undefined } },
};

export interface Tracing {
  /** For Worker.create and new Client. */
  plugins: [TracingPlugin];
  /** Exports the spans buffered so far. */
  flush(): Promise<void>;
  /** Exports the spans still buffered and uninstalls the provider. */
  shutdown(): Promise<void>;
}

/**
 * Installs the process's tracer provider (global, with the AsyncLocalStorage context manager the activities' spans
 * need) and returns the plugins that trace Temporal calls. `exporter` replaces the OTLP exporter (tests).
 */
export function startTracing(settings: TracingSettings, exporter?: SpanExporter): Tracing {
  const resource = new Resource({ 'service.name': settings.serviceName });
  const spanProcessor = new BatchSpanProcessor(exporter ?? new OTLPTraceExporter({ url: settings.url }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    plugins: [new TracingPlugin(makeWorkflowExporter(spanProcessor, resource))],
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/**
 * Client interceptors (start, signal, query, update spans, and the trace in the workflow's headers), activity
 * interceptors (a span per activity, child of the workflow's), and the sink through which workflow spans are exported.
 */
export class TracingPlugin extends SimplePlugin {
  constructor(private readonly workflowSpans: InjectedSinks<OpenTelemetrySinks>['exporter']) {
    super({
      name: 'model-rollout.tracing',
      clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
      workerInterceptors: {
        client: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
          callContext,
        ],
      },
    });
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    return super.configureWorker({ ...options, sinks: { ...options.sinks, exporter: this.workflowSpans } });
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return super.configureReplayWorker({ ...options, sinks: { ...options.sinks, exporter: this.workflowSpans } });
  }
}

/**
 * Inside the library's activity span: names the activity's region and attempt on it, and hands both to the
 * Databricks call spans the activity makes (the HTTP client knows neither).
 */
const callContext: ActivityInterceptorsFactory = (ctx) => {
  const inbound: ActivityInboundCallsInterceptor = {
    execute: (input, next) => {
      const region = regionOfTaskQueue(ctx.info.taskQueue);
      const attempt = ctx.info.attempt;
      trace.getActiveSpan()?.setAttributes({
        'temporal.activity.attempt': attempt,
        ...(region ? { 'cloud.region': region } : {}),
      });
      return context.with(withCallTraceContext(context.active(), { region, attempt }), () => next(input));
    },
  };
  return { inbound };
};
