/**
 * Who approves: identities as the plan's approvals.allowed lists them and as `--as` / GITHUB_ACTOR give them. Pure
 * (no Node builtins), so workflow code may call it too.
 *
 * One spelling per person: NFKC folds compatibility forms (full-width letters, ligatures) into one, surrounding
 * spaces go (`" alice "` was accepted and recorded padded), and characters that make two identities look alike or
 * rewrite a terminal are refused: control characters (ANSI escapes start with one), format characters (zero-width
 * space and joiner, bidirectional overrides, the BOM), line and paragraph separators, and any space or comma inside
 * (a comma separates identities in lists). After that, identities compare exactly: case matters, as GitHub logins
 * are matched by the CLI as given.
 */

/** The longest identity: a GitHub login is at most 39 characters, an e-mail address at most 254. */
export const MAX_IDENTITY_LENGTH = 254;

const REFUSED = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u;
const SPACE_OR_COMMA = /[\s,]/u;

export type NormalizedIdentity = { ok: true; identity: string } | { ok: false; problem: string };

/** The identity in its one spelling, or why it cannot be one. The problem never repeats the value. */
export function normalizeIdentity(value: string): NormalizedIdentity {
  // Only spaces, tabs and line ends are trimmed (String.trim would also drop a BOM, hiding it).
  const identity = value.normalize('NFKC').replace(/^[\p{Zs}\t\n\r]+|[\p{Zs}\t\n\r]+$/gu, '');
  if (identity === '') return { ok: false, problem: 'an identity is not empty' };
  if (REFUSED.test(identity))
    return {
      ok: false,
      problem:
        'identities hold no control, zero-width or format characters (ANSI escapes, zero-width spaces, direction marks)',
    };
  if (SPACE_OR_COMMA.test(identity)) return { ok: false, problem: 'identities have no spaces or commas' };
  if (identity.length > MAX_IDENTITY_LENGTH)
    return { ok: false, problem: `identities are at most ${MAX_IDENTITY_LENGTH} characters` };
  return { ok: true, identity };
}

/** Whether two identities are the same person's: equal once normalised (never when either cannot be one). */
export function sameIdentity(a: string, b: string): boolean {
  const x = normalizeIdentity(a);
  const y = normalizeIdentity(b);
  return x.ok && y.ok && x.identity === y.identity;
}
