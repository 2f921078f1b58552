/**
 * The Files API (`/api/2.0/fs/files/...`, `/api/2.0/fs/directories/...`) for model version files: the store MLflow
 * uploads a version's files to when the workspace enables the Databricks SDK models artifact repository (the MLflow
 * registry here says it does; routes/mlflow-registry.ts). Paths are `/Models/<catalog>/<schema>/<model>/<version>/...`,
 * as MLflow's `DatabricksSDKModelsArtifactRepository` builds them. Files are written while the version is
 * PENDING_REGISTRATION (between `model-versions/create` and `finalize`) and read at any time, also by a replica
 * region through its shared catalog once the version has replicated there. Other paths (`/Volumes/...`) are not
 * emulated and answer NOT_FOUND saying so.
 */
import { ApiError, alreadyExists, badRequest, notFound } from '../api-error';
import type { UnityCatalog, VersionView } from '../catalog';
import type { EmulatorForRoutes } from './emulator-for-routes';
import type { RequestContext, Route } from '../http';
import { booleanQuery } from '../http';

const FILES = '/api/2.0/fs/files';
const DIRECTORIES = '/api/2.0/fs/directories';

interface Located {
  version: VersionView;
  /** The path inside the version's directory, without leading or trailing slash ('' for the directory itself). */
  relative: string;
  writable: boolean;
}

function normalise(raw: string): string {
  const path = `/${raw}`.replace(/\/+/g, '/');
  if (path.split('/').some((segment) => segment === '..' || segment === '.'))
    throw badRequest(`'file_path': '${path}' may not contain '.' or '..' segments.`);
  return path;
}

function locate(uc: UnityCatalog, ctx: RequestContext, raw: string): Located {
  const path = normalise(raw);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'Models' || parts.length < 5)
    throw notFound(
      `The path '${path}' is not served by the emulator's Files API: it keeps model version files only, under ` +
        '/Models/<catalog>/<schema>/<model>/<version>/ (see docs/emulator.md).',
      'NOT_FOUND',
    );
  const [, catalog, schema, model, versionText, ...rest] = parts;
  const number = Number(versionText);
  if (!/^\d+$/.test(versionText) || number <= 0)
    throw badRequest(`'file_path': '${versionText}' in '${path}' is not a model version number.`);
  const view = uc.resolveModel(ctx.region, `${catalog}.${schema}.${model}`);
  const version = uc.findVersion(view, number, ctx.now);
  return { version, relative: rest.join('/'), writable: !view.readOnly };
}

function fileOf(located: Located, path: string) {
  const file = located.relative ? located.version.record.files.get(located.relative) : undefined;
  if (!file) throw notFound(`The file '${path}' does not exist.`, 'NOT_FOUND');
  return file;
}

function isDirectory(located: Located): boolean {
  if (!located.relative) return true;
  const prefix = `${located.relative}/`;
  return [...located.version.record.files.keys()].some((key) => key.startsWith(prefix));
}

function fileHeaders(file: { bytes: Buffer; modifiedAt: number }) {
  return { 'Last-Modified': new Date(file.modifiedAt).toUTCString() };
}

export function filesRoutes(emulator: EmulatorForRoutes): Route[] {
  const uc = emulator.catalog;
  return [
    {
      method: 'PUT',
      pattern: `${FILES}/:path*`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const path = normalise(ctx.params.path);
        const located = locate(uc, ctx, ctx.params.path);
        if (!located.relative || path.endsWith('/'))
          throw badRequest(`'file_path': '${path}' names a directory; upload to a file path under it.`);
        if (!located.writable)
          throw new ApiError(403, 'PERMISSION_DENIED', `'${path}' is in a Delta Sharing catalog and is read-only.`);
        const record = located.version.record;
        if (located.version.status !== 'PENDING_REGISTRATION')
          throw new ApiError(
            403,
            'PERMISSION_DENIED',
            `Model version ${record.version} is ${located.version.status}: its files can be written only while it is ` +
              'PENDING_REGISTRATION (before model-versions/finalize). Register a new version instead.',
          );
        const overwrite = ctx.query.has('overwrite') ? booleanQuery(ctx, 'overwrite') : false;
        if (!overwrite && record.files.has(located.relative))
          throw alreadyExists(`The file '${path}' already exists; pass overwrite=true to replace it.`);
        record.files.set(located.relative, { bytes: ctx.rawBody, modifiedAt: ctx.now });
        return { status: 204, text: '' };
      },
    },
    // GET downloads the file; HEAD answers the same headers (Node sends no body for HEAD).
    ...(['GET', 'HEAD'] as const).map((method): Route => ({
      method,
      pattern: `${FILES}/:path*`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const file = fileOf(locate(uc, ctx, ctx.params.path), normalise(ctx.params.path));
        return { bytes: file.bytes, headers: fileHeaders(file) };
      },
    })),
    {
      method: 'DELETE',
      pattern: `${FILES}/:path*`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const path = normalise(ctx.params.path);
        const located = locate(uc, ctx, ctx.params.path);
        fileOf(located, path);
        if (!located.writable || located.version.status !== 'PENDING_REGISTRATION')
          throw new ApiError(403, 'PERMISSION_DENIED', `'${path}' can be deleted only while its version is pending.`);
        located.version.record.files.delete(located.relative);
        return { status: 204, text: '' };
      },
    },
    {
      method: 'HEAD',
      pattern: `${DIRECTORIES}/:path*`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        if (!isDirectory(locate(uc, ctx, ctx.params.path)))
          throw notFound(`The directory '${normalise(ctx.params.path)}' does not exist.`, 'NOT_FOUND');
        return { text: '' };
      },
    },
    {
      method: 'PUT',
      pattern: `${DIRECTORIES}/:path*`,
      scope: 'management',
      permission: 'uc:write',
      // Directories exist through the files under them; creating one is accepted and changes nothing.
      handler: (ctx) => {
        locate(uc, ctx, ctx.params.path);
        return { text: '' };
      },
    },
    {
      method: 'GET',
      pattern: `${DIRECTORIES}/:path*`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const path = normalise(ctx.params.path).replace(/\/$/, '');
        const located = locate(uc, ctx, ctx.params.path);
        if (!isDirectory(located)) throw notFound(`The directory '${path}' does not exist.`, 'NOT_FOUND');
        const prefix = located.relative ? `${located.relative}/` : '';
        const entries = new Map<string, { is_directory: boolean; file_size?: number; last_modified?: number }>();
        for (const [key, file] of located.version.record.files) {
          if (!key.startsWith(prefix)) continue;
          const [head, ...tail] = key.slice(prefix.length).split('/');
          if (tail.length) entries.set(head, { is_directory: true });
          else entries.set(head, { is_directory: false, file_size: file.bytes.length, last_modified: file.modifiedAt });
        }
        const contents = [...entries]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, entry]) => ({ path: `${path}/${name}`, name, ...entry }));
        return { json: { contents } };
      },
    },
  ];
}
