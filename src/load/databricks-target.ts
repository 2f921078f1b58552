/**
 * `send` for the load generator over the typed Databricks client: one invocation of a serving endpoint.
 *
 * - success → `{ status: 200, servedModel }` (the `served-model-name` header);
 * - `DatabricksApiError` (the server answered with an HTTP error) → `{ status, servedModel }`, where `servedModel`
 *   is the error answer's `served-model-name` header (so errors on the traffic-split route are filed under the
 *   version that failed), else the served model queried directly; an error before routing (e.g. 429 from the
 *   gateway, 404 endpoint) names none and is filed under 'unknown' by the generator;
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
      if (err instanceof DatabricksApiError)
        return { status: err.status, servedModel: err.servedModelName ?? servedModel };
      throw err;
    }
  };
}
