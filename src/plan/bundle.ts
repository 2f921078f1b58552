/**
 * Region workspaces taken from a Databricks Asset Bundle: a plan's `bundle:` names a databricks.yml (relative to the
 * plan) and a region's `workspace: { bundle_target: <target> }` takes that target's workspace. loadPlan calls
 * resolveBundleTargets on the raw plan document before validating it with planSchema, so the plan it returns holds
 * only profile and host workspaces (why: see the bundle section of schema.ts).
 *
 * Resolution of a target, as the Databricks CLI merges a target over the top-level workspace:
 *   1. `targets.<name>.workspace.profile`, else `targets.<name>.workspace.host` (a profile wins when both are set);
 *   2. else the bundle's top-level `workspace.profile`, else its `workspace.host`;
 *   3. else an error. Bundle variables and substitutions (`${var.x}`, `${workspace.host}`) are not resolved: a value
 *      holding one is an error that says so, as is a host that is not a credential-free http(s) URL.
 * Files the bundle pulls in with `include:` are not read, so targets defined only there are not found (the error
 * says so).
 */
import { formatZodIssues } from '../shared/duration';
import {
  bundleFileSchema,
  bundlePathSchema,
  bundleTargetSchema,
  bundleTargetWorkspaceSchema,
  bundleWorkspaceSchema,
  type PlanRegion,
} from './schema';
import { WORKSPACE_URL_HINT, workspaceUrlProblem } from './workspace-url';

/** Where a region's workspace came from, when a bundle target gave it. */
export interface BundleSource {
  /** The bundle file as the plan names it. */
  bundle: string;
  target: string;
  /** `target`: the target's own workspace; `bundle`: the bundle's top-level workspace (the target sets none). */
  from: 'target' | 'bundle';
}

/** Bundle sources by region name; regions whose workspace the plan writes itself are absent. */
export type WorkspaceSources = Record<string, BundleSource>;

export interface BundleResolution {
  /** The plan document without `bundle`, each resolvable `bundle_target` replaced by the profile or host it names. */
  document: unknown;
  /** One line per problem, each starting with the path of the field to fix. */
  problems: string[];
  /**
   * Indexes of regions whose bundle_target could not be resolved. Their workspace still holds bundle_target, so
   * planSchema's complaints about it would only repeat the problem already reported: the caller drops them.
   */
  unresolved: Set<number>;
  sources: WorkspaceSources;
}

/** Reads and parses the bundle file a plan names: its YAML document, or problems (without a field path). */
export type BundleReader = (file: string) => { document: unknown } | { problems: string[] };

type Workspace = PlanRegion['workspace'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const VARIABLE = /\$\{[^}]*\}/;

/** A workspace from a bundle's `workspace` mapping at `field`, or undefined when it sets neither profile nor host. */
function workspaceAt(
  value: unknown,
  field: string,
  bundle: string,
): { workspace: Workspace } | { problems: string[] } | undefined {
  const parsed = bundleWorkspaceSchema.safeParse(value);
  if (!parsed.success) return { problems: formatZodIssues(parsed.error, field).map((p) => `${bundle}: ${p}`) };
  const { profile, host } = parsed.data ?? {};
  const check = (key: 'profile' | 'host', text: string): string | undefined => {
    const match = VARIABLE.exec(text);
    if (match)
      return `${bundle}: ${field}.${key} is "${text}": bundle variables and substitutions (${match[0]}) are not resolved by rollout; write the ${key === 'profile' ? 'profile name' : 'workspace URL'} itself in ${bundle}`;
    if (text.trim() === '')
      return `${bundle}: ${field}.${key} is empty; write the ${key === 'profile' ? 'profile name' : 'workspace URL'}`;
    const hostProblem = key === 'host' ? workspaceUrlProblem(text) : undefined;
    // The value is not repeated: it may hold a credential.
    if (hostProblem) return `${bundle}: ${field}.host: ${WORKSPACE_URL_HINT}: ${hostProblem}`;
    return undefined;
  };
  // A profile wins over a host, as in the Databricks CLI's own resolution of a target's workspace.
  if (profile !== undefined) {
    const problem = check('profile', profile);
    return problem ? { problems: [problem] } : { workspace: { profile } };
  }
  if (host !== undefined) {
    const problem = check('host', host);
    return problem ? { problems: [problem] } : { workspace: { host } };
  }
  return undefined;
}

/** The workspace a target of a parsed bundle names. */
function resolveTarget(
  bundle: Record<string, unknown>,
  name: string,
  target: string,
): { workspace: Workspace; from: BundleSource['from'] } | { problems: string[] } {
  const targets = isObject(bundle.targets) ? bundle.targets : {};
  if (!Object.hasOwn(targets, target)) {
    const names = Object.keys(targets);
    const included = bundle.include !== undefined && bundle.include !== null;
    return {
      problems: [
        `target "${target}" is not in ${name} (${names.length ? `targets: ${names.join(', ')}` : 'it has no targets'})` +
          (included ? `; files under its include: are not read, so a target must be in ${name} itself` : ''),
      ],
    };
  }
  const parsed = bundleTargetSchema.safeParse(targets[target]);
  if (!parsed.success)
    return { problems: formatZodIssues(parsed.error, `targets.${target}`).map((p) => `${name}: ${p}`) };
  const own = workspaceAt(parsed.data?.workspace, `targets.${target}.workspace`, name);
  if (own && 'problems' in own) return own;
  if (own) return { workspace: own.workspace, from: 'target' };
  const shared = workspaceAt(bundle.workspace, 'workspace', name);
  if (shared && 'problems' in shared) return shared;
  if (shared) return { workspace: shared.workspace, from: 'bundle' };
  return {
    problems: [
      `target "${target}" in ${name} sets neither workspace.profile nor workspace.host, and neither does the bundle's top-level workspace; add targets.${target}.workspace.profile (a ~/.databrickscfg profile) or targets.${target}.workspace.host`,
    ],
  };
}

/**
 * Resolves the bundle references of a raw plan document (as parsed from YAML, not yet validated). A document without
 * `bundle` or `bundle_target` comes back unchanged. Every problem is reported, each with its path: `bundle: ...` for
 * the bundle file itself, `regions[i].workspace.bundle_target: ...` for a target.
 */
export function resolveBundleTargets(document: unknown, readBundle: BundleReader): BundleResolution {
  const problems: string[] = [];
  const unresolved = new Set<number>();
  const sources: WorkspaceSources = {};
  if (!isObject(document)) return { document, problems, unresolved, sources };

  const { bundle: bundleField, ...rest } = document;
  const hasBundle = Object.hasOwn(document, 'bundle');
  let bundle: { name: string; document: Record<string, unknown> } | undefined;
  if (hasBundle) {
    const path = bundlePathSchema.safeParse(bundleField);
    if (!path.success) problems.push(...formatZodIssues(path.error, 'bundle'));
    else {
      const read = readBundle(path.data);
      if ('problems' in read) problems.push(...read.problems.map((p) => `bundle: ${p}`));
      else if (!isObject(read.document))
        problems.push(
          `bundle: ${path.data} is not a bundle configuration: a databricks.yml is a YAML mapping (bundle, workspace, targets, ...)`,
        );
      else {
        const shape = bundleFileSchema.safeParse(read.document);
        if (!shape.success) problems.push(...formatZodIssues(shape.error, '').map((p) => `bundle: ${path.data}: ${p}`));
        else bundle = { name: path.data, document: read.document };
      }
    }
  }

  if (!Array.isArray(rest.regions)) return { document: rest, problems, unresolved, sources };
  const regions = rest.regions.map((region: unknown, i) => {
    if (!isObject(region) || !isObject(region.workspace) || !Object.hasOwn(region.workspace, 'bundle_target'))
      return region;
    const field = `regions[${i}].workspace`;
    unresolved.add(i);
    const workspace = region.workspace;
    if (Object.hasOwn(workspace, 'profile') || Object.hasOwn(workspace, 'host')) {
      problems.push(`${field}: give exactly one of profile, host or bundle_target`);
      return region;
    }
    const parsed = bundleTargetWorkspaceSchema.safeParse(workspace);
    if (!parsed.success) {
      problems.push(...formatZodIssues(parsed.error, field));
      return region;
    }
    const target = parsed.data.bundle_target;
    if (!hasBundle) {
      problems.push(
        `${field}.bundle_target: the plan names no bundle; add bundle: <path of the bundle's databricks.yml, relative to the plan> at the top of the plan, or write the workspace's profile or host`,
      );
      return region;
    }
    // The bundle itself is unusable: that is reported once, under bundle.
    if (!bundle) return region;
    const resolved = resolveTarget(bundle.document, bundle.name, target);
    if ('problems' in resolved) {
      problems.push(...resolved.problems.map((p) => `${field}.bundle_target: ${p}`));
      return region;
    }
    unresolved.delete(i);
    if (typeof region.name === 'string') sources[region.name] = { bundle: bundle.name, target, from: resolved.from };
    return { ...region, workspace: resolved.workspace };
  });
  return { document: { ...rest, regions }, problems, unresolved, sources };
}

/** Whether a schema issue at `path` is about the workspace of a region whose bundle_target did not resolve. */
export function isUnresolvedWorkspaceIssue(path: readonly PropertyKey[], unresolved: ReadonlySet<number>): boolean {
  return path[0] === 'regions' && typeof path[1] === 'number' && unresolved.has(path[1]) && path[2] === 'workspace';
}
