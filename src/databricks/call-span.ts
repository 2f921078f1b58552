/**
 * A span per Databricks HTTP call (OpenTelemetry's `@opentelemetry/api`, a no-op until a tracer provider is
 * installed: src/tracing.ts). Attributes follow OpenTelemetry's HTTP client conventions: method, route template
 * (`/api/2.0/serving-endpoints/{name}/config`, never the path with its names: the templates metrics use too, routes.ts), status code, resend count; and the
 * region and Temporal attempt of the activity making the call, when src/tracing.ts put them in the context. Never a
 * header, query, body or error message: those may carry tokens.
 */
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { routeOf } from './routes';

const tracer = trace.getTracer('model-rollout/databricks');

/** What the caller of a Databricks call knows that the HTTP client does not: the region and the activity's attempt. */
export interface CallTraceContext {
  region?: string;
  attempt?: number;
}

const CALL_TRACE_KEY = createContextKey('model-rollout databricks call');

export function withCallTraceContext(parent: Context, value: CallTraceContext): Context {
  return parent.setValue(CALL_TRACE_KEY, value);
}

/** Marks the current call span as resent (a cached OAuth token refused, refreshed and sent once more). */
export function markResend(count: number): void {
  trace.getActiveSpan()?.setAttribute('http.request.resend_count', count);
}

/** Runs one HTTP call inside its span; the status code comes from the answer or the error that carries it. */
export function tracedCall<T extends { status: number }>(method: string, path: string, call: () => Promise<T>) {
  const route = routeOf(path);
  const { region, attempt } = (context.active().getValue(CALL_TRACE_KEY) as CallTraceContext | undefined) ?? {};
  return tracer.startActiveSpan(
    `${method} ${route}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'http.route': route,
        ...(region ? { 'cloud.region': region } : {}),
        ...(attempt !== undefined ? { 'temporal.activity.attempt': attempt } : {}),
      },
    },
    async (span) => {
      try {
        const response = await call();
        span.setAttribute('http.response.status_code', response.status);
        return response;
      } catch (err) {
        const status = (err as { status?: unknown }).status;
        if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
        span.setAttribute('error.type', err instanceof Error ? err.name : 'unknown');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
