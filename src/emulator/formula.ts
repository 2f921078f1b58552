/**
 * A small, safe expression language for a model version's prediction function, e.g.
 *   round(sigmoid(0.004 * amount - 2 + (country == "NG") * 1.5), 4)
 * Identifiers are input columns; booleans are 1/0. No property access, no calls but the whitelist below.
 */

export type Row = Record<string, unknown>;
export type Compiled = (row: Row) => unknown;

export class FormulaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormulaError';
  }
}

/** A model-side failure: the input lacks a column or has the wrong type (answered as a 400 by the endpoint). */
export class ModelInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelInputError';
  }
}

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...args: number[]) => number }> = {
  abs: { arity: [1, 1], fn: Math.abs },
  min: { arity: [1, 16], fn: Math.min },
  max: { arity: [1, 16], fn: Math.max },
  exp: { arity: [1, 1], fn: Math.exp },
  log: { arity: [1, 1], fn: Math.log },
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  pow: { arity: [2, 2], fn: Math.pow },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  sigmoid: { arity: [1, 1], fn: (x) => 1 / (1 + Math.exp(-x)) },
  clamp: { arity: [3, 3], fn: (x, lo, hi) => Math.min(hi, Math.max(lo, x)) },
  round: {
    arity: [1, 2],
    fn: (x, digits = 0) => {
      const factor = 10 ** digits;
      return Math.round(x * factor) / factor;
    },
  },
};

type Token =
  | { kind: 'number'; value: number; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'ident'; value: string; at: number }
  | { kind: 'op'; value: string; at: number }
  | { kind: 'end'; at: number };

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '<',
  '>',
  '!',
  '(',
  ')',
  ',',
  '?',
  ':',
];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const number = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', value: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = source.indexOf(ch, i + 1);
      if (end < 0) throw new FormulaError(`unterminated string at ${i}`);
      tokens.push({ kind: 'string', value: source.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new FormulaError(`unexpected "${ch}" at ${i}`);
    tokens.push({ kind: 'op', value: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', at: source.length });
  return tokens;
}

function toNumber(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new ModelInputError(`${what} must be a number, got ${JSON.stringify(value)}`);
}

/** Compiles a formula once (at world load); throws FormulaError with the position of a syntax error. */
export function compileFormula(source: string): Compiled {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (value: string) => {
    const t = peek();
    return t.kind === 'op' && t.value === value;
  };
  const expect = (value: string) => {
    if (!isOp(value)) throw new FormulaError(`expected "${value}" at ${peek().at}`);
    pos++;
  };

  const binary =
    (next: () => Compiled, ops: string[], apply: (op: string, a: Compiled, b: Compiled) => Compiled) => () => {
      let left = next();
      for (;;) {
        const t = peek();
        if (t.kind !== 'op' || !ops.includes(t.value)) return left;
        pos++;
        left = apply(t.value, left, next());
      }
    };

  const primary = (): Compiled => {
    const t = peek();
    pos++;
    if (t.kind === 'number' || t.kind === 'string') {
      const value = t.value;
      return () => value;
    }
    if (t.kind === 'ident') {
      if (isOp('(')) {
        const fn = FUNCTIONS[t.value];
        if (!fn)
          throw new FormulaError(
            `unknown function "${t.value}" at ${t.at}; known: ${Object.keys(FUNCTIONS).join(', ')}`,
          );
        pos++;
        const args: Compiled[] = [];
        if (!isOp(')')) {
          args.push(expression());
          while (isOp(',')) {
            pos++;
            args.push(expression());
          }
        }
        expect(')');
        if (args.length < fn.arity[0] || args.length > fn.arity[1])
          throw new FormulaError(`${t.value}() takes ${fn.arity.join('-')} arguments, got ${args.length}`);
        const name = t.value;
        return (row) => fn.fn(...args.map((a) => toNumber(a(row), `argument of ${name}()`)));
      }
      if (t.value === 'true' || t.value === 'false') {
        const value = t.value === 'true' ? 1 : 0;
        return () => value;
      }
      const column = t.value;
      return (row) => {
        if (!(column in row)) throw new ModelInputError(`Model is missing inputs ['${column}']`);
        return row[column];
      };
    }
    if (t.kind === 'op' && t.value === '(') {
      const inner = expression();
      expect(')');
      return inner;
    }
    throw new FormulaError(`unexpected ${t.kind === 'end' ? 'end of formula' : `"${t.value}"`} at ${t.at}`);
  };

  const unary = (): Compiled => {
    if (isOp('-')) {
      pos++;
      const operand = unary();
      return (row) => -toNumber(operand(row), 'operand of -');
    }
    if (isOp('!')) {
      pos++;
      const operand = unary();
      return (row) => (toNumber(operand(row), 'operand of !') ? 0 : 1);
    }
    const base = primary();
    if (isOp('^')) {
      pos++;
      const exponent = unary();
      return (row) => toNumber(base(row), 'base of ^') ** toNumber(exponent(row), 'exponent of ^');
    }
    return base;
  };

  const arithmetic = (op: string, a: Compiled, b: Compiled): Compiled => {
    const f: Record<string, (x: number, y: number) => number> = {
      '+': (x, y) => x + y,
      '-': (x, y) => x - y,
      '*': (x, y) => x * y,
      '/': (x, y) => x / y,
      '%': (x, y) => x % y,
    };
    return (row) => f[op](toNumber(a(row), `left of ${op}`), toNumber(b(row), `right of ${op}`));
  };
  const multiplicative = binary(unary, ['*', '/', '%'], arithmetic);
  const additive = binary(multiplicative, ['+', '-'], arithmetic);
  const comparison = binary(additive, ['==', '!=', '<', '<=', '>', '>='], (op, a, b) => (row) => {
    const x = a(row);
    const y = b(row);
    switch (op) {
      case '==':
        return x === y ? 1 : 0;
      case '!=':
        return x !== y ? 1 : 0;
      case '<':
        return toNumber(x, 'left of <') < toNumber(y, 'right of <') ? 1 : 0;
      case '<=':
        return toNumber(x, 'left of <=') <= toNumber(y, 'right of <=') ? 1 : 0;
      case '>':
        return toNumber(x, 'left of >') > toNumber(y, 'right of >') ? 1 : 0;
      default:
        return toNumber(x, 'left of >=') >= toNumber(y, 'right of >=') ? 1 : 0;
    }
  });
  const and = binary(
    comparison,
    ['&&'],
    (_op, a, b) => (row) => (toNumber(a(row), 'left of &&') && toNumber(b(row), 'right of &&') ? 1 : 0),
  );
  const or = binary(
    and,
    ['||'],
    (_op, a, b) => (row) => (toNumber(a(row), 'left of ||') || toNumber(b(row), 'right of ||') ? 1 : 0),
  );

  function expression(): Compiled {
    const condition = or();
    if (!isOp('?')) return condition;
    pos++;
    const whenTrue = expression();
    expect(':');
    const whenFalse = expression();
    return (row) => (toNumber(condition(row), 'condition of ?:') ? whenTrue(row) : whenFalse(row));
  }

  const compiled = expression();
  if (peek().kind !== 'end')
    throw new FormulaError(`unexpected "${(peek() as { value: string }).value}" at ${peek().at}`);
  return compiled;
}
