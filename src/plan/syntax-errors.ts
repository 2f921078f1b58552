/**
 * Syntax errors that say where, never what: a plan or edge-case path can point at a credentials file
 * (~/.databrickscfg, /proc/self/environ), and a parser's message quotes the text it choked on, which would print
 * secrets into CI logs. These describe the error in fixed words and give its line and column. Pure (no I/O).
 */
import type { ErrorCode } from 'yaml';

/** Fixed wording per yaml error code; some of the library's own messages quote the source. */
const YAML_ERRORS: Record<ErrorCode, string> = {
  ALIAS_PROPS: 'an alias cannot have an anchor or a tag',
  BAD_ALIAS: 'an alias is malformed',
  BAD_DIRECTIVE: 'a % directive is malformed or unknown',
  BAD_DQ_ESCAPE: 'a double-quoted string holds an invalid escape sequence',
  BAD_INDENT: 'the indentation is wrong',
  BAD_PROP_ORDER: 'anchors and tags must come after the ? or : indicator',
  BAD_SCALAR_START: 'a plain value starts with a character reserved in YAML; quote it',
  BLOCK_AS_IMPLICIT_KEY: 'a block collection cannot be a key',
  BLOCK_IN_FLOW: 'a block collection cannot sit inside [ ] or { }',
  DUPLICATE_KEY: 'Map keys must be unique',
  IMPOSSIBLE: 'the YAML cannot be read',
  KEY_OVER_1024_CHARS: 'a key is longer than 1024 characters',
  MISSING_CHAR: 'a closing character, a comma or a colon is missing',
  MULTILINE_IMPLICIT_KEY: 'a key must be on a single line',
  MULTIPLE_ANCHORS: 'a node has more than one anchor',
  MULTIPLE_DOCS: 'the file holds several documents',
  MULTIPLE_TAGS: 'a node has more than one tag',
  NON_STRING_KEY: 'a key is not a string',
  RESOURCE_EXHAUSTION: 'the document expands too much (aliases)',
  TAB_AS_INDENT: 'a tab is used for indentation; use spaces',
  TAG_RESOLVE_FAILED: 'a tag (!...) is unknown',
  UNEXPECTED_TOKEN: 'unexpected content',
  BAD_COLLECTION_TYPE: 'a tag does not fit its collection',
};

/** `description at line L, column C`, from a yaml error's code and position. */
export function yamlErrorText(error: { code: ErrorCode; linePos?: readonly { line: number; col: number }[] }): string {
  const where = error.linePos?.[0];
  return `${YAML_ERRORS[error.code] ?? 'the YAML cannot be read'}${where ? ` at line ${where.line}, column ${where.col}` : ''}`;
}

/**
 * The offset of the first character that makes `text` invalid JSON (text.length when it ends too early), or
 * undefined when it is valid, or nested too deep to scan (the caller then gives no column).
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const expect = (char: string) => {
    space();
    if (text[i] !== char) fail();
    i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const char = text[i];
      if (char === '"') {
        i++;
        return;
      }
      if (char === '\\') {
        const next = text[i + 1];
        if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail();
      } else if (char.charCodeAt(0) < 0x20) fail();
      else i++;
    }
    fail();
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    space();
    const char = text[i];
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (char === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          expect(':');
        }
        value();
        space();
        if (text[i] === close) {
          i++;
          return;
        }
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (char === '"') return string();
    for (const word of ['true', 'false', 'null'])
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail();
  };
  try {
    value();
    space();
    return i < text.length ? i : undefined;
  } catch (err) {
    if (err instanceof JsonSyntaxAt) return err.offset;
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

class JsonSyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`not valid JSON at offset ${offset}`);
  }
}
