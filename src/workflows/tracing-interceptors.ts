/**
 * The workflow interceptors of traces (src/tracing.ts): @temporalio/interceptors-opentelemetry's, behind a patch.
 * They are in every workflow bundle, whether this worker exports traces or not (without a provider their spans go to
 * a sink that drops them), because they change when awaited calls resume (a few microtasks later): a history written
 * without them may not replay with them, nor the other way round. The patch keeps rollouts begun before they existed
 * on their old path; queries and update validators are not traced (they write nothing, and patched() cannot run there).
 */
import { patched, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';

export const TRACING_PATCH = 'otel-tracing-interceptors';

type Method = (input: unknown, next: (input: unknown) => unknown) => unknown;

/** The interceptor's methods named, each run only on the patched path; next alone otherwise. */
function gated<T extends object>(interceptor: T, methods: Array<keyof T & string>): Partial<T> {
  const out: Record<string, Method> = {};
  for (const name of methods) {
    const method = interceptor[name] as unknown as Method;
    out[name] = (input, next) => (patched(TRACING_PATCH) ? method.call(interceptor, input, next) : next(input));
  }
  return out as Partial<T>;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  const outbound = new OpenTelemetryOutboundInterceptor();
  return {
    inbound: [gated(new OpenTelemetryInboundInterceptor(), ['execute', 'handleSignal', 'handleUpdate'])],
    outbound: [
      {
        ...gated(outbound, [
          'scheduleActivity',
          'scheduleLocalActivity',
          'startChildWorkflowExecution',
          'signalWorkflow',
          'continueAsNew',
          'startNexusOperation',
        ]),
        // Trace and span ids in the workflow's log lines; writes nothing to the history.
        getLogAttributes: (input, next) => outbound.getLogAttributes(input, next),
      },
    ],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
