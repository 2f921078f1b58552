/**
 * `send` for the load generator over the typed Databricks client: one invocation of a serving endpoint.
 *
 * - success → `{ status: 200, servedModel }` (the `served-model-name` header);
 * - `DatabricksApiError` (the server answered with an HTTP error) → `{ status, servedModel }`, where `servedModel`
 *   is the served model queried directly when one was given, else undefined: `DatabricksApiError` does not carry
 *   response headers, so the `served-model-name` of an error answer on the traffic-split route is lost (the generator
 *   files such errors under 'unknown');
 * - timeouts (the client's own `DatabricksTimeoutError`, or the generator's signal) and aborts → rethrown: the
 *   generator classifies them as 'timeout' (or ignores them after its own abort);
 * - `DatabricksNetworkError` (no HTTP answer) → rethrown: the generator counts it as 'network'. So is anything else
 *   thrown, e.g. a `DatabricksResponseError` (a 2xx body that is not a valid invocation answer).
 */
import { DatabricksApiError, type DatabricksClient, type QueryEndpointInput } from '../databricks';
import type { LoadOptions } from './generator';

export function invocationSender(
  client: DatabricksClient,
  endpoint: string,
  servedModel?: string,
): LoadOptions['send'] {
  return async (payload, signal) => {
    const body = payload as QueryEndpointInput;
    try {
      const result =
        servedModel === undefined
          ? await client.serving.query(endpoint, body, { signal })
          : await client.serving.queryServedModel(endpoint, servedModel, body, { signal });
      return { status: 200, servedModel: result.servedModelName ?? servedModel };
    } catch (err) {
      if (err instanceof DatabricksApiError) return { status: err.status, servedModel };
      throw err;
    }
  };
}
