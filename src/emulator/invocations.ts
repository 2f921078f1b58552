/** Scoring requests: the four MLflow input formats, and each model version's prediction function. */
import { ApiError, badRequest } from './api-error';
import type { VersionAdjustment } from './faults';
import { compileFormula, ModelInputError, type Compiled, type Row } from './formula';
import type { Random } from './random';
import { isObject } from './serving';
import type { Behavior } from './world';

const INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const ALLOWED_EXTRA_FIELDS = new Set(['params', 'client_request_id', 'usage_context']);
const INVALID_INPUT =
  "Invalid input. The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}.";

/** Positional (tensor) inputs have no column names: their columns are f0, f1, ... */
function positionalRow(value: unknown): Row {
  const values = Array.isArray(value) ? value : [value];
  return Object.fromEntries(values.map((v, i) => [`f${i}`, v]));
}

function rowsFromTensor(value: unknown[]): Row[] {
  return value.map((item) => (isObject(item) ? item : positionalRow(item)));
}

/** Normalises a scoring request body into rows of named columns. */
export function parseScoringInput(body: unknown): Row[] {
  if (!isObject(body)) throw badRequest(INVALID_INPUT, 'BAD_REQUEST');
  const present = INPUT_FIELDS.filter((field) => body[field] !== undefined);
  const unknown = Object.keys(body).filter(
    (key) => !INPUT_FIELDS.includes(key as never) && !ALLOWED_EXTRA_FIELDS.has(key),
  );
  if (present.length !== 1 || unknown.length)
    throw badRequest(
      unknown.length ? `${INVALID_INPUT} Unexpected field(s): ${unknown.join(', ')}.` : INVALID_INPUT,
      'BAD_REQUEST',
    );
  const field = present[0];
  const value = body[field];
  let rows: Row[];
  switch (field) {
    case 'dataframe_records':
      if (!Array.isArray(value) || !value.every(isObject))
        throw badRequest('\'dataframe_records\' must be a list of records such as [{"amount": 12.5}].', 'BAD_REQUEST');
      rows = value;
      break;
    case 'dataframe_split': {
      if (!isObject(value) || !Array.isArray(value.columns) || !Array.isArray(value.data))
        throw badRequest('\'dataframe_split\' must be {"columns": [...], "data": [[...], ...]}.', 'BAD_REQUEST');
      const columns = value.columns as unknown[];
      if (!columns.every((c) => typeof c === 'string'))
        throw badRequest("'dataframe_split.columns' must be a list of column names.", 'BAD_REQUEST');
      rows = (value.data as unknown[]).map((row, i) => {
        if (!Array.isArray(row) || row.length !== columns.length)
          throw badRequest(
            `'dataframe_split.data[${i}]' must have ${columns.length} values, one per column.`,
            'BAD_REQUEST',
          );
        return Object.fromEntries(columns.map((c, j) => [c, row[j]]));
      });
      break;
    }
    case 'instances':
      if (!Array.isArray(value))
        throw badRequest("'instances' must be a list (tensor input, row format).", 'BAD_REQUEST');
      rows = rowsFromTensor(value);
      break;
    default:
      if (Array.isArray(value)) rows = rowsFromTensor(value);
      else if (isObject(value)) {
        // Columnar tensor input: {"amount": [1, 2], "country": ["US", "NG"]}.
        const columns = Object.entries(value);
        const length = columns.length ? (Array.isArray(columns[0][1]) ? columns[0][1].length : -1) : 0;
        if (length < 0 || !columns.every(([, v]) => Array.isArray(v) && v.length === length))
          throw badRequest("'inputs' in columnar form must map each column to a list of equal length.", 'BAD_REQUEST');
        rows = Array.from({ length }, (_, i) => Object.fromEntries(columns.map(([c, v]) => [c, (v as unknown[])[i]])));
      } else rows = [positionalRow(value)];
  }
  if (rows.length === 0) throw badRequest(`'${field}' has no rows to score.`, 'BAD_REQUEST');
  return rows;
}

const compiledFormulas = new WeakMap<Behavior, Compiled>();

/** Compiles a behavior's prediction function, throwing with a clear message on a bad formula. */
export function predictor(behavior: Behavior): Compiled {
  let compiled = compiledFormulas.get(behavior);
  if (compiled) return compiled;
  const prediction = behavior.prediction;
  if ('formula' in prediction) compiled = compileFormula(prediction.formula);
  else if ('table' in prediction) {
    const { key, values, default: fallback } = prediction.table;
    compiled = (row) => {
      if (!(key in row)) throw new ModelInputError(`Model is missing inputs ['${key}']`);
      const hit = values[String(row[key])];
      return hit !== undefined ? hit : fallback;
    };
  } else {
    const value = prediction.constant;
    compiled = () => value;
  }
  compiledFormulas.set(behavior, compiled);
  return compiled;
}

export function predict(behavior: Behavior, rows: Row[]): unknown[] {
  const fn = predictor(behavior);
  try {
    return rows.map((row) => fn(row));
  } catch (err) {
    if (err instanceof ModelInputError)
      throw new ApiError(
        400,
        'BAD_REQUEST',
        `Encountered an unexpected error while evaluating the model: ${err.message}`,
      );
    throw err;
  }
}

/**
 * How a model version answers one request, before its prediction: the model latency (with a degrade_version fault's
 * factor and extra latency) and whether the version's injected error fires. Both the HTTP invocation path and the
 * simulated live traffic (live-traffic.ts) decide with this, drawing from `rng` in this order.
 */
export function decideAnswer(
  behavior: Behavior,
  adjustment: VersionAdjustment,
  rng: Random,
): { latencyMs: number; failed: boolean } {
  const latencyMs =
    rng.sample(behavior.latency) * (adjustment.latencyFactor ?? 1) +
    (adjustment.extraLatency ? rng.sample(adjustment.extraLatency) : 0);
  const failed = rng.next() < (adjustment.errorRate ?? behavior.error_rate);
  return { latencyMs, failed };
}
