/**
 * A tiny INI parser for `~/.databrickscfg`, following what the Go SDK (gopkg.in/ini) accepts:
 * - `[section]` headers (names are case-sensitive; repeated sections merge, later keys win);
 * - `key = value` or `key: value` (the first `=` or `:` splits; keys are trimmed and lower-cased);
 * - whole-line comments starting with `#` or `;`;
 * - an inline comment starts at a `#` preceded by whitespace (`token = abc#def` keeps the `#`);
 * - values wrapped in matching `"` or `'` quotes are taken verbatim (comments after the closing quote are dropped);
 * - keys before the first section belong to `DEFAULT`; a UTF-8 BOM and CRLF line ends are accepted.
 * Anything else is an error naming the file and line. There is no inheritance from `DEFAULT` into other sections.
 */

export type IniSections = Map<string, Map<string, string>>;

export class IniSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'IniSyntaxError';
  }
}

export const DEFAULT_SECTION = 'DEFAULT';

export function parseIni(text: string, file = '(inline)'): IniSections {
  const sections: IniSections = new Map();
  const sectionFor = (name: string): Map<string, string> => {
    let section = sections.get(name);
    if (!section) {
      section = new Map();
      sections.set(name, section);
    }
    return section;
  };

  let current = DEFAULT_SECTION;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;

    if (line.startsWith('[')) {
      const match = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
      if (!match) throw new IniSyntaxError(file, lineNo, `malformed section header ${JSON.stringify(line)}`);
      const name = match[1].trim();
      if (name === '') throw new IniSyntaxError(file, lineNo, 'empty section name "[]"');
      current = name;
      sectionFor(current);
      return;
    }

    const delimiter = line.search(/[=:]/);
    if (delimiter < 0) {
      throw new IniSyntaxError(file, lineNo, 'expected "key = value", a "[section]" header or a comment');
    }
    const key = line.slice(0, delimiter).trim().toLowerCase();
    if (key === '') throw new IniSyntaxError(file, lineNo, 'missing key before "="');
    sectionFor(current).set(key, parseValue(line.slice(delimiter + 1), file, lineNo));
  });
  return sections;
}

function parseValue(rawValue: string, file: string, lineNo: number): string {
  const value = rawValue.trim();
  const quote = value[0];
  if (quote === '"' || quote === "'") {
    const end = value.indexOf(quote, 1);
    if (end < 0) throw new IniSyntaxError(file, lineNo, `unterminated ${quote} quote`);
    return value.slice(1, end);
  }
  const comment = /\s#/.exec(value);
  return (comment ? value.slice(0, comment.index) : value).trim();
}
