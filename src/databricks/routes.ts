/**
 * The route templates of every Databricks API path this client calls, for metric labels: a request to
 * `/api/2.0/serving-endpoints/fraud-detector/config` is counted under `/api/2.0/serving-endpoints/{name}/config`, so
 * that a label never holds names (unbounded, and possibly sensitive). test/databricks/routes.test.ts checks that
 * every path the API modules build has its template here.
 */

export const DATABRICKS_ROUTES = [
  '/api/2.0/serving-endpoints',
  '/api/2.0/serving-endpoints/{name}',
  '/api/2.0/serving-endpoints/{name}/config',
  '/api/2.0/serving-endpoints/{name}/tags',
  '/api/2.0/serving-endpoints/{name}/metrics',
  '/api/2.0/serving-endpoints/{name}/served-models/{served_model}/build-logs',
  '/api/2.0/serving-endpoints/{name}/served-models/{served_model}/logs',
  '/serving-endpoints/{name}/invocations',
  '/serving-endpoints/{name}/served-models/{served_model}/invocations',
  '/api/2.1/unity-catalog/models',
  '/api/2.1/unity-catalog/models/{full_name}',
  '/api/2.1/unity-catalog/models/{full_name}/versions',
  '/api/2.1/unity-catalog/models/{full_name}/versions/{version}',
  '/api/2.1/unity-catalog/models/{full_name}/aliases/{alias}',
  '/api/2.0/mlflow/unity-catalog/model-versions/get',
  '/api/2.0/mlflow/unity-catalog/model-versions/set-tag',
  '/api/2.1/unity-catalog/catalogs',
  '/api/2.1/unity-catalog/catalogs/{name}',
  '/api/2.1/unity-catalog/shares',
  '/api/2.1/unity-catalog/shares/{name}',
  '/api/2.1/unity-catalog/shares/{name}/permissions',
  '/api/2.1/unity-catalog/recipients',
  '/api/2.1/unity-catalog/recipients/{name}',
  '/api/2.1/unity-catalog/providers/{name}',
  '/api/2.1/unity-catalog/providers/{name}/shares',
] as const;

/** What a path matching no template is counted as. */
export const OTHER_ROUTE = 'other';

/** Path parameters are encoded by `apiPath`, so one never holds a `/`. */
const MATCHERS = DATABRICKS_ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.replace(/[.]/g, '\\.').replace(/\{[a-z_]+\}/g, '[^/]+')}$`),
}));

/** The route template of a request path (without its query), or `other`. */
export function routeOf(path: string): string {
  const bare = path.split('?')[0];
  // Literal templates first: `/api/2.1/unity-catalog/models` must not be read as a `{full_name}` of something.
  return (
    MATCHERS.find((m) => !m.route.includes('{') && m.pattern.test(bare))?.route ??
    MATCHERS.find((m) => m.pattern.test(bare))?.route ??
    OTHER_ROUTE
  );
}
