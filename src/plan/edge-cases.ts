/**
 * Edge cases: inputs whose prediction a team pins down, checked against the new version before it takes traffic.
 *
 * The file is JSONL, one case per line; blank lines and lines starting with `//` or `#` are ignored:
 *
 *   {"name": "large US purchase", "input": {"amount": 800, "country": "US"}, "expected": {"approx": 0.7824}}
 *
 * `expected` is one of
 *   - any JSON value, matched by deep equality: `1`, `"fraud"`, `[0.1, 0.9]`, `{"label": "ok"}`;
 *   - `{"approx": n, "tolerance"?: t}`: a number within t of n (t defaults to the plan's tests.edge_cases.tolerance);
 *   - `{"one_of": [v1, v2, ...]}`: equal to one of the values;
 *   - `{"min"?: a, "max"?: b}`: a number with a <= value <= b (at least one bound).
 * An object with any of the keys approx, tolerance, one_of, min or max is read as one of the last three forms; to
 * expect such an object literally, write `{"one_of": [{...}]}`.
 *
 * Wherever numbers are compared for equality (bare numbers, numbers inside an exact value, one_of members, approx
 * without its own tolerance) the plan's tolerance applies; it is 0 unless the plan sets it.
 *
 * Everything here is pure (no I/O, no Node builtins): the parsed cases travel inside workflow inputs as plain JSON,
 * and activities call checkExpectation.
 */

import { jsonErrorOffset } from './syntax-errors';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type Expectation =
  | { kind: 'exact'; value: JsonValue }
  | { kind: 'approx'; value: number; tolerance?: number }
  | { kind: 'one_of'; values: JsonValue[] }
  | { kind: 'range'; min?: number; max?: number };

export type EdgeCase = { name: string; input: Record<string, unknown>; expected: Expectation };

export type CheckResult = { pass: boolean; reason?: string };

/** The most cases a file may hold: the gate sends each one to the endpoint. */
export const MAX_EDGE_CASES = 1000;
/** The largest edge-case file, in bytes (UTF-8). */
export const MAX_EDGE_CASE_BYTES = 1024 * 1024;
/** Problems listed before the rest are summarised as "... and N more". */
const MAX_PROBLEMS = 50;

const CASE_KEYS = ['name', 'input', 'expected'];
const FORM_KEYS = ['approx', 'tolerance', 'one_of', 'min', 'max'];

/** An edge-case file that cannot be used; every problem names `file:line` and, where there is one, the field. */
export class EdgeCaseError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid edge-case file ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EdgeCaseError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** UTF-8 length of a string without TextEncoder or Buffer. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Reads `expected`; pushes `field: message` problems (without the file:line prefix). */
function parseExpectation(raw: unknown, problems: string[]): Expectation | undefined {
  if (!isObject(raw) || !Object.keys(raw).some((key) => FORM_KEYS.includes(key))) {
    return { kind: 'exact', value: raw as JsonValue };
  }
  const before = problems.length;
  const unknown = Object.keys(raw).filter((key) => !FORM_KEYS.includes(key));
  for (const key of unknown)
    problems.push(
      `expected.${key}: unknown field; an expectation object has approx (with tolerance), one_of, or min/max` +
        ' (to expect an object literally, write {"one_of": [{...}]})',
    );
  const forms = [
    'approx' in raw || 'tolerance' in raw ? 'approx' : undefined,
    'one_of' in raw ? 'one_of' : undefined,
    'min' in raw || 'max' in raw ? 'min/max' : undefined,
  ].filter((form) => form !== undefined);
  if (forms.length > 1) {
    problems.push(`expected: give one of approx, one_of or min/max, not ${forms.join(' and ')}`);
    return undefined;
  }
  const form = forms[0];
  if (form === 'approx') {
    if (!('approx' in raw))
      problems.push('expected.approx: missing; tolerance goes with {"approx": n, "tolerance": t}');
    else if (!isFiniteNumber(raw.approx))
      problems.push(`expected.approx: must be a number, got ${JSON.stringify(raw.approx)}`);
    if ('tolerance' in raw) {
      if (!isFiniteNumber(raw.tolerance))
        problems.push(`expected.tolerance: must be a number, got ${JSON.stringify(raw.tolerance)}`);
      else if (raw.tolerance < 0) problems.push('expected.tolerance: must be >= 0');
    }
    if (problems.length > before) return undefined;
    return 'tolerance' in raw
      ? { kind: 'approx', value: raw.approx as number, tolerance: raw.tolerance as number }
      : { kind: 'approx', value: raw.approx as number };
  }
  if (form === 'one_of') {
    if (!Array.isArray(raw.one_of) || raw.one_of.length === 0)
      problems.push(`expected.one_of: must be a non-empty array of values, got ${JSON.stringify(raw.one_of)}`);
    if (problems.length > before) return undefined;
    return { kind: 'one_of', values: raw.one_of as JsonValue[] };
  }
  for (const bound of ['min', 'max'] as const)
    if (bound in raw && !isFiniteNumber(raw[bound]))
      problems.push(`expected.${bound}: must be a number, got ${JSON.stringify(raw[bound])}`);
  if (problems.length > before) return undefined;
  const range: Expectation & { kind: 'range' } = { kind: 'range' };
  if ('min' in raw) range.min = raw.min as number;
  if ('max' in raw) range.max = raw.max as number;
  if (range.min !== undefined && range.max !== undefined && range.max < range.min) {
    problems.push(`expected.max: must be >= min (${range.min}), got ${range.max}`);
    return undefined;
  }
  return range;
}

/**
 * Parses an edge-case file. `source` names the file in error messages. Throws an EdgeCaseError listing every problem
 * (each as `source:line: field: message`) when any line is invalid, the file is too big, holds more than
 * MAX_EDGE_CASES cases, or none at all.
 */
export function parseEdgeCases(text: string, source: string): EdgeCase[] {
  const bytes = utf8Bytes(text);
  if (bytes > MAX_EDGE_CASE_BYTES)
    throw new EdgeCaseError(source, [
      `${source}: the file is ${bytes} bytes, over the limit of 1 MiB (${MAX_EDGE_CASE_BYTES}); an edge-case file holds at most ${MAX_EDGE_CASES} cases`,
    ]);
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n/);
  const caseLines = lines
    .map((line, index) => ({ line: line.trim(), number: index + 1, indent: line.length - line.trimStart().length }))
    .filter(({ line }) => line !== '' && !line.startsWith('//') && !line.startsWith('#'));
  if (caseLines.length > MAX_EDGE_CASES)
    throw new EdgeCaseError(source, [
      `${source}: ${caseLines.length} cases; the limit is ${MAX_EDGE_CASES}: keep the cases that pin down behaviour` +
        ' and leave bulk accuracy to the canary',
    ]);
  if (caseLines.length === 0)
    throw new EdgeCaseError(source, [
      `${source}: no cases; write one JSON object per line, e.g. {"name": "zero amount", "input": {"amount": 0},` +
        ' "expected": {"approx": 0.12}}',
    ]);

  const problems: string[] = [];
  const cases: EdgeCase[] = [];
  const namedAt = new Map<string, number>();
  for (const { line, number, indent } of caseLines) {
    const at = `${source}:${number}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      // The parser's message quotes the line, which may be a secret (a credentials file named by mistake): say where.
      const offset = jsonErrorOffset(line);
      problems.push(
        `${at}: not valid JSON${offset === undefined ? '' : ` at column ${indent + offset + 1}`}; each line is one JSON object`,
      );
      continue;
    }
    if (!isObject(raw)) {
      problems.push(`${at}: a case is a JSON object {"name"?, "input", "expected"}, got ${typeName(raw)}`);
      continue;
    }
    const lineProblems: string[] = [];
    for (const key of Object.keys(raw).filter((k) => !CASE_KEYS.includes(k)))
      lineProblems.push(`${key}: unknown field; a case has name, input and expected`);
    let name = `line ${number}`;
    if ('name' in raw) {
      if (typeof raw.name !== 'string' || raw.name.trim() === '')
        lineProblems.push(`name: must be a non-empty string, got ${JSON.stringify(raw.name)}`);
      else name = raw.name;
    }
    if (!('input' in raw)) lineProblems.push('input: missing; give the record to send, e.g. {"amount": 120}');
    else if (!isObject(raw.input))
      lineProblems.push(`input: must be an object of column values, got ${typeName(raw.input)}`);
    let expected: Expectation | undefined;
    if (!('expected' in raw))
      lineProblems.push('expected: missing; give a value, {"approx": n}, {"one_of": [...]} or {"min": a, "max": b}');
    else expected = parseExpectation(raw.expected, lineProblems);
    const previous = namedAt.get(name);
    if (previous !== undefined)
      lineProblems.push(`name: "${name}" is already the name of the case on line ${previous}`);
    else namedAt.set(name, number);
    problems.push(...lineProblems.map((problem) => `${at}: ${problem}`));
    if (lineProblems.length === 0 && expected)
      cases.push({ name, input: raw.input as Record<string, unknown>, expected });
  }
  if (problems.length > 0)
    throw new EdgeCaseError(
      source,
      problems.length > MAX_PROBLEMS
        ? [...problems.slice(0, MAX_PROBLEMS), `${source}: ... and ${problems.length - MAX_PROBLEMS} more problems`]
        : problems,
    );
  return cases;
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  try {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) return `a ${typeof value}`;
    return json.length > 200 ? `${json.slice(0, 200)}...` : json;
  } catch {
    return typeof value === 'bigint' ? `${value}n` : `a ${typeof value} that is not JSON`;
  }
}

/** |a - b| <= tolerance, forgiving the rounding error of the subtraction itself (0.4412 - 0.4312 > 0.01). */
function withinTolerance(actual: number, expected: number, tolerance: number): boolean {
  const slack = 4 * Number.EPSILON * Math.max(1, Math.abs(actual), Math.abs(expected));
  return Math.abs(actual - expected) <= tolerance + slack;
}

/** JSON deep equality; numbers compare within `tolerance`. Object keys holding undefined count as absent. */
function equalJson(expected: unknown, actual: unknown, tolerance: number): boolean {
  if (typeof expected === 'number' && typeof actual === 'number')
    return expected === actual || withinTolerance(actual, expected, tolerance);
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, i) => equalJson(item, actual[i], tolerance))
    );
  if (isObject(expected)) {
    if (!isObject(actual)) return false;
    const keys = Object.keys(expected).filter((key) => expected[key] !== undefined);
    const actualKeys = Object.keys(actual).filter((key) => actual[key] !== undefined);
    return (
      keys.length === actualKeys.length &&
      keys.every(
        (key) => Object.prototype.hasOwnProperty.call(actual, key) && equalJson(expected[key], actual[key], tolerance),
      )
    );
  }
  return expected === actual;
}

function offBy(actual: number, expected: number): string {
  return ` (off by ${+Math.abs(actual - expected).toPrecision(3)})`;
}

/**
 * Checks a prediction against a case's expectation. `defaultTolerance` is the plan's tests.edge_cases.tolerance: it
 * applies where numbers are compared for equality and the case gives no tolerance of its own.
 */
export function checkExpectation(expected: Expectation, actual: unknown, defaultTolerance: number): CheckResult {
  if (!(defaultTolerance >= 0)) throw new RangeError(`defaultTolerance must be >= 0, got ${defaultTolerance}`);
  const tolerance = (value: unknown) =>
    typeof value === 'number' && defaultTolerance > 0 ? ` ± ${defaultTolerance}` : '';
  switch (expected.kind) {
    case 'exact': {
      if (equalJson(expected.value, actual, defaultTolerance)) return { pass: true };
      const off = typeof expected.value === 'number' && isFiniteNumber(actual) ? offBy(actual, expected.value) : '';
      return {
        pass: false,
        reason: `expected ${formatValue(expected.value)}${tolerance(expected.value)}, got ${formatValue(actual)}${off}`,
      };
    }
    case 'approx': {
      const allowed = expected.tolerance ?? defaultTolerance;
      const wanted = `expected ${expected.value} ± ${allowed}`;
      if (!isFiniteNumber(actual))
        return { pass: false, reason: `${wanted}, got ${formatValue(actual)} (not a number)` };
      if (withinTolerance(actual, expected.value, allowed)) return { pass: true };
      return { pass: false, reason: `${wanted}, got ${actual}${offBy(actual, expected.value)}` };
    }
    case 'one_of': {
      if (expected.values.some((value) => equalJson(value, actual, defaultTolerance))) return { pass: true };
      const numeric = expected.values.some((value) => typeof value === 'number');
      return {
        pass: false,
        reason: `expected one of ${formatValue(expected.values)}${numeric && defaultTolerance > 0 ? ` (± ${defaultTolerance})` : ''}, got ${formatValue(actual)}`,
      };
    }
    case 'range': {
      const { min, max } = expected;
      const wanted =
        min !== undefined && max !== undefined
          ? `expected between ${min} and ${max}`
          : min !== undefined
            ? `expected >= ${min}`
            : `expected <= ${max}`;
      if (!isFiniteNumber(actual))
        return { pass: false, reason: `${wanted}, got ${formatValue(actual)} (not a number)` };
      if ((min === undefined || actual >= min) && (max === undefined || actual <= max)) return { pass: true };
      return { pass: false, reason: `${wanted}, got ${actual}` };
    }
  }
}
