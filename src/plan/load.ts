/**
 * Reads a rollout plan file: YAML, validated against planSchema, with its edge-case file (a path relative to the
 * plan's directory) parsed next to it. Every problem found is reported at once, each on one line.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { z } from 'zod';
import { formatZodIssues } from '../shared/duration';
import { terminalLine } from '../shared/untrusted-text';
import { isUnresolvedWorkspaceIssue, resolveBundleTargets, type WorkspaceSources } from './bundle';
import { EdgeCaseError, MAX_EDGE_CASE_BYTES, MAX_EDGE_CASES, parseEdgeCases, type EdgeCase } from './edge-cases';
import { jsonSizeWithin, MAX_WORKFLOW_INPUT_BYTES } from './limits';
import { readBounded } from '../read-file';
import { yamlErrorText } from './syntax-errors';
import { planSchema, type Plan } from './schema';

/** The largest plan file, in bytes: a plan is a few KiB even with hundreds of regions. */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** The largest bundle file (databricks.yml) a plan may name, in bytes. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

/**
 * A plan that cannot be used. `problems` has one line per problem; a problem with a field starts with its path
 * (`stages[1].traffic: ...`, `tests.edge_cases.file: plans/cases.jsonl:7: expected.tolerance: must be >= 0`), a
 * problem with the file as a whole (unreadable, too big, not YAML) says so without a path.
 */
export class PlanError extends Error {
  readonly problems: string[];
  constructor(
    readonly source: string,
    problems: string[],
  ) {
    // Problems quote values of the plan (a primary, a region name), which may hold escape sequences or line breaks:
    // each problem is one escaped line, wherever it is printed.
    const lines = problems.map(terminalLine);
    super(`invalid plan ${source}:\n${lines.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = lines;
    this.name = 'PlanError';
  }
}

/**
 * Reads a UTF-8 regular file of at most `limit` (1 MiB) bytes; returns the text or a problem that calls the file
 * `name` and ends with `hint`. Devices, FIFOs and directories are refused without reading (src/plan/read-file.ts).
 */
function readLimited(
  path: string,
  limit: number,
  name: string,
  hint: string,
): { text: string } | { problem: string; directory?: boolean } {
  const read = readBounded(path, limit);
  if (read.ok) return { text: read.bytes.toString('utf8') };
  switch (read.reason) {
    case 'too-big':
      return {
        problem: `${name} is ${read.exact ? read.size : `more than ${limit}`} bytes, over the limit of 1 MiB (${limit}); ${hint}`,
      };
    case 'not-regular':
      return {
        problem: `${name} is ${read.kind}, not a regular file; name a file`,
        directory: read.kind === 'a directory',
      };
    case 'unreadable':
      return { problem: `cannot read ${name}: ${read.message}` };
  }
}

/** Digits a double keeps exactly: a literal with more is silently rounded (99.99999999999999999 reads as 100). */
const MAX_SIGNIFICANT_DIGITS = 15;

function significantDigits(source: string): number {
  const mantissa = source.replace(/^[+-]/, '').split(/[eE]/)[0].replace('.', '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

/**
 * The most aliases (*name) a file may use. Resolving each one walks the document (yaml's Alias.resolve), so many
 * aliases cost quadratic time: 17,000 of them in an 820 KB plan took seconds, and more would take minutes, before
 * maxAliasCount (which limits the uses of one anchor) ever applies.
 */
export const MAX_ALIASES = 500;

/**
 * Problems of the parsed YAML before it is turned into values: too many aliases, and numbers a double cannot hold
 * (too many digits, silently rounded; too large, Infinity).
 */
function documentProblems(doc: Document, lineCounter: LineCounter): string[] {
  const problems: string[] = [];
  let aliases = 0;
  visit(doc, {
    Alias() {
      aliases++;
    },
    Scalar(_key, node) {
      if (typeof node.value !== 'number' || typeof node.source !== 'string') return;
      if (Number.isFinite(node.value) && significantDigits(node.source) <= MAX_SIGNIFICANT_DIGITS) return;
      const at = node.range ? lineCounter.linePos(node.range[0]) : undefined;
      problems.push(
        `a number${at ? ` at line ${at.line}, column ${at.col}` : ''} has more than ${MAX_SIGNIFICANT_DIGITS} significant digits or is too large; it would be rounded, so write it with fewer digits`,
      );
    },
  });
  if (aliases > MAX_ALIASES)
    problems.push(
      `the file uses ${aliases} aliases (*name), over the limit of ${MAX_ALIASES}; write the values out, or anchor fewer`,
    );
  return problems;
}

/** `what` names the file in the multiple-documents message: "a plan", "a bundle configuration". */
function parseYamlText(text: string, what = 'a plan'): { document: unknown } | { problems: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0)
    return {
      problems: doc.errors.map((err) =>
        err.code === 'MULTIPLE_DOCS'
          ? `not valid YAML: the file holds several documents (separated by ---); ${what} is one document`
          : `not valid YAML: ${yamlErrorText(err)}`,
      ),
    };
  const imprecise = documentProblems(doc, lineCounter);
  if (imprecise.length > 0) return { problems: imprecise };
  let document: unknown;
  try {
    document = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // toJS's messages may quote an alias name; the alias-count one is fixed text.
    const message = (err as Error).message;
    return {
      problems: [
        `not valid YAML: ${/^Excessive alias count/.test(message) ? message : 'an alias (*name) refers to no anchor (&name) defined before it'}`,
      ],
    };
  }
  // Aliases make a small file a large value: measure what it expands to before anything serialises it.
  if (jsonSizeWithin(document, MAX_WORKFLOW_INPUT_BYTES) === Infinity)
    return {
      problems: [
        `the YAML expands (through its aliases) to more than ${MAX_WORKFLOW_INPUT_BYTES} bytes of JSON, over Temporal's payload limit; write ${what} without aliases that repeat large values`,
      ],
    };
  return { document };
}

/** The edge-case file named by the raw (possibly invalid) document, so its problems are reported with the schema's. */
function edgeCaseFileOf(document: unknown): string | undefined {
  if (typeof document !== 'object' || document === null) return undefined;
  const tests = (document as Record<string, unknown>).tests;
  if (typeof tests !== 'object' || tests === null) return undefined;
  const edgeCases = (tests as Record<string, unknown>).edge_cases;
  if (typeof edgeCases !== 'object' || edgeCases === null) return undefined;
  const file = (edgeCases as Record<string, unknown>).file;
  return typeof file === 'string' && file !== '' ? file : undefined;
}

function loadEdgeCases(planPath: string, file: string): { cases: EdgeCase[] } | { problems: string[] } {
  const path = isAbsolute(file) ? file : join(dirname(planPath), file);
  const field = 'tests.edge_cases.file';
  const read = readLimited(path, MAX_EDGE_CASE_BYTES, path, `an edge-case file holds at most ${MAX_EDGE_CASES} cases`);
  if ('problem' in read) return { problems: [`${field}: ${read.problem}`] };
  try {
    return { cases: parseEdgeCases(read.text, path) };
  } catch (err) {
    if (err instanceof EdgeCaseError) return { problems: err.problems.map((problem) => `${field}: ${problem}`) };
    throw err;
  }
}

/** Reads the bundle file a plan names (relative to the plan's directory): its YAML document, or its problems. */
function loadBundle(planPath: string, file: string): { document: unknown } | { problems: string[] } {
  const path = isAbsolute(file) ? file : join(dirname(planPath), file);
  const read = readLimited(path, MAX_BUNDLE_BYTES, path, 'a bundle configuration is a few KiB');
  if ('problem' in read)
    return {
      problems: [
        read.directory
          ? `${path} is a directory; write the path of the bundle's configuration file, e.g. bundle: ${join(file, 'databricks.yml')}`
          : read.problem,
      ],
    };
  const parsed = parseYamlText(read.text, 'a bundle configuration');
  if ('problems' in parsed) return { problems: parsed.problems.map((problem) => `${path}: ${problem}`) };
  return { document: parsed.document };
}

export interface LoadedPlan {
  /** The plan, every workspace a profile or a host (bundle targets are resolved). */
  plan: Plan;
  edgeCases: EdgeCase[];
  /** Which regions' workspaces came from a bundle target, by region name (for `rollout plan`). */
  workspaceSources: WorkspaceSources;
}

/**
 * Loads a plan file, the bundle it takes workspaces from (if any) and its edge cases. Throws a PlanError listing
 * every problem: an unreadable, over-size (> 1 MiB) or non-YAML file, every schema problem, every problem of the
 * bundle and its targets, and every problem of the edge-case file.
 */
export function loadPlan(path: string): LoadedPlan {
  const read = readLimited(path, MAX_PLAN_BYTES, 'the file', 'a plan is a few KiB');
  if ('problem' in read) throw new PlanError(path, [read.problem]);
  const parsed = parseYamlText(read.text);
  if ('problems' in parsed) throw new PlanError(path, parsed.problems);
  const { document } = parsed;
  if (document === null || document === undefined)
    throw new PlanError(path, ['the file is empty; a plan needs at least model, primary, regions and stages']);

  const problems: string[] = [];
  const bundle = resolveBundleTargets(document, (file) => loadBundle(path, file));
  const result = planSchema.safeParse(bundle.document);
  if (!result.success)
    problems.push(
      ...formatZodIssues(
        new z.ZodError(
          result.error.issues.filter((issue) => !isUnresolvedWorkspaceIssue(issue.path, bundle.unresolved)),
        ),
      ),
    );
  problems.push(...bundle.problems);
  const file = edgeCaseFileOf(document);
  let edgeCases: EdgeCase[] = [];
  if (file !== undefined) {
    const loaded = loadEdgeCases(path, file);
    if ('problems' in loaded) problems.push(...loaded.problems);
    else edgeCases = loaded.cases;
  }
  if (!result.success || problems.length > 0) throw new PlanError(path, problems);
  // Both travel in the rollout's workflow input: together they must fit in one Temporal payload.
  const size = jsonSizeWithin({ plan: result.data, edgeCases }, MAX_WORKFLOW_INPUT_BYTES);
  if (size === Infinity)
    throw new PlanError(path, [
      `the plan and its edge cases come to more than ${MAX_WORKFLOW_INPUT_BYTES} bytes of JSON (1.5 MiB), over what one Temporal payload holds with room to spare (2 MiB); keep fewer or smaller edge cases and health inputs`,
    ]);
  return { plan: result.data, edgeCases, workspaceSources: bundle.sources };
}
