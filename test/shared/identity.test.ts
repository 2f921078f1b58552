import { MAX_IDENTITY_LENGTH, normalizeIdentity, sameIdentity } from '../../src/shared/identity';

describe('normalizeIdentity', () => {
  it('trims and folds compatibility forms into one spelling', () => {
    expect(normalizeIdentity(' alice ')).toEqual({ ok: true, identity: 'alice' });
    expect(normalizeIdentity('\talice@example.com\n')).toEqual({ ok: true, identity: 'alice@example.com' });
    // Full-width letters (U+FF41...) are the same login once NFKC-folded.
    expect(normalizeIdentity('\uff41\uff4c\uff49\uff43\uff45')).toEqual({ ok: true, identity: 'alice' });
    expect(normalizeIdentity('José')).toEqual({ ok: true, identity: 'José' });
  });

  it('refuses control, zero-width and format characters without repeating the value', () => {
    for (const value of [
      'ali\u200bce', // zero-width space
      'alice\u200d', // zero-width joiner
      '\u202eecila', // right-to-left override
      '\ufeffalice', // BOM
      'alice\u001b[31m', // ANSI escape
      'al\u0000ice',
      'alice\u2028bob', // line separator
    ]) {
      const result = normalizeIdentity(value);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problem).toMatch(/no control, zero-width or format characters/);
        expect(result.problem).not.toContain('ali');
      }
    }
    expect(normalizeIdentity('alice smith')).toEqual({ ok: false, problem: 'identities have no spaces or commas' });
    expect(normalizeIdentity('alice,bob').ok).toBe(false);
    expect(normalizeIdentity('   ')).toEqual({ ok: false, problem: 'an identity is not empty' });
    expect(normalizeIdentity('a'.repeat(MAX_IDENTITY_LENGTH + 1)).ok).toBe(false);
    expect(normalizeIdentity('a'.repeat(MAX_IDENTITY_LENGTH)).ok).toBe(true);
  });

  it('compares exactly once normalised', () => {
    expect(sameIdentity(' alice', 'alice ')).toBe(true);
    expect(sameIdentity('Alice', 'alice')).toBe(false);
    expect(sameIdentity('ali\u200bce', 'alice')).toBe(false);
  });
});
