import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

/** Parses "250ms", "2s", "1.5m", "1h" or a bare number of milliseconds. Returns undefined when malformed. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]];
}

export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`;
  return `${+(ms / 3_600_000).toFixed(2)}h`;
}

/** A zod field accepting a duration string or milliseconds, producing milliseconds. */
export const durationMs = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${String(value)}" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"`,
    });
    return z.NEVER;
  }
  return ms;
});

type Issue = z.core.$ZodIssue;

function joinPath(path: readonly PropertyKey[], root: string): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    root,
  );
}

/**
 * For a value that matched no branch of a union, the branch the author most likely meant: not one that failed only
 * because the value had another type altogether, or another discriminator (`distribution:`, `kind:`).
 */
function likelyBranch(issue: Issue & { code: 'invalid_union' }): Issue[] | undefined {
  const branches = (issue.errors ?? []) as Issue[][];
  return branches.find(
    (branch) =>
      branch.length > 0 &&
      !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type') &&
      !branch.some((i) => i.code === 'invalid_value' && ['distribution', 'kind'].includes(String(i.path.at(-1)))),
  );
}

/** Formats zod issues as one line per issue, each naming the dotted path of the bad field. */
export function formatZodIssues(error: z.ZodError, root = ''): string[] {
  const lines: string[] = [];
  const visit = (issue: Issue, prefix: readonly PropertyKey[]) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const branch = likelyBranch(issue);
      if (branch) {
        for (const inner of branch) visit(inner, path);
        return;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      // One line per key, at the key's own path: "regoins: unknown field" says what to fix better than "(root)".
      for (const key of issue.keys)
        lines.push(`${joinPath([...path, key], root)}: unknown field; remove it or correct its spelling`);
      return;
    }
    if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      lines.push(`${joinPath(path, root) || '(root)'}: missing; this field is required (${issue.expected})`);
      return;
    }
    lines.push(`${joinPath(path, root) || '(root)'}: ${issue.message}`);
  };
  for (const issue of error.issues) visit(issue, []);
  return [...new Set(lines)];
}
