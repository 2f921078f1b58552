/**
 * Route templates for metric labels (src/databricks/routes.ts): every path the API modules build, found in their
 * source (`apiPath` templates and literal `path:` strings), maps to its own template; names never reach a label.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiPath } from '../../src/databricks/http';
import { DATABRICKS_ROUTES, OTHER_ROUTE, routeOf } from '../../src/databricks/routes';

const SOURCE_DIR = join(__dirname, '..', '..', 'src', 'databricks');

/** Each path the client's modules build: `{}` where a parameter goes. */
function pathsInSource(): string[] {
  const paths = new Set<string>();
  for (const file of readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(SOURCE_DIR, file), 'utf8');
    for (const [, template] of text.matchAll(/apiPath`(\/[^`]*)`/g)) paths.add(template.replace(/\$\{[^}]*\}/g, '{}'));
    for (const [, literal] of text.matchAll(/path: '(\/[^']*)'/g)) paths.add(literal);
  }
  return [...paths].sort();
}

const shape = (route: string) => route.replace(/\{[a-z_]+\}/g, '{}');

it('every path the client builds has its own route template', () => {
  const paths = pathsInSource();
  expect(paths.length).toBeGreaterThanOrEqual(DATABRICKS_ROUTES.length);
  const mismatched = paths.filter((path) => shape(routeOf(path.replace(/\{\}/g, 'some.name-1'))) !== path);
  expect(mismatched).toEqual([]);
  // And no template is left over from a path the client no longer builds.
  expect(DATABRICKS_ROUTES.map(shape).filter((route) => !paths.includes(route))).toEqual([]);
});

it('labels a request by its template, never by the names in it', () => {
  expect(routeOf(apiPath`/api/2.0/serving-endpoints/${'fraud-detector'}/config`)).toBe(
    '/api/2.0/serving-endpoints/{name}/config',
  );
  expect(routeOf(apiPath`/api/2.1/unity-catalog/models/${'main.ml.fraud'}/versions/${3}`)).toBe(
    '/api/2.1/unity-catalog/models/{full_name}/versions/{version}',
  );
  // A name with characters apiPath encodes stays one segment.
  expect(routeOf(apiPath`/api/2.1/unity-catalog/models/${'a/b?c'}`)).toBe('/api/2.1/unity-catalog/models/{full_name}');
  // Literal routes win over a template with a parameter in the same place.
  expect(routeOf('/api/2.1/unity-catalog/models')).toBe('/api/2.1/unity-catalog/models');
  expect(routeOf('/api/2.0/serving-endpoints?page_token=x')).toBe('/api/2.0/serving-endpoints');
  expect(routeOf('/api/2.0/clusters/list')).toBe(OTHER_ROUTE);
  expect(routeOf('/api/2.0/serving-endpoints/a/b/c/d')).toBe(OTHER_ROUTE);
});
