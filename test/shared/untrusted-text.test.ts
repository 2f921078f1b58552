import {
  commandSafeWriter,
  escapeControls,
  markdownText,
  terminalLine,
  terminalLines,
} from '../../src/shared/untrusted-text';

const INJECTION = 'ok\n::error title=Injected::pwned\n\x1b[2J\x1b]0;title\x07\u202eevil';

describe('untrusted text', () => {
  it('escapes controls, ANSI, bidi overrides and line breaks visibly, on one line', () => {
    expect(terminalLine(INJECTION)).toBe('ok\\n::error title=Injected::pwned\\n\\e[2J\\e]0;title\\u{7}\\u{202e}evil');
    for (const raw of ['\n', '\x1b', '\x07', '\u202e']) expect(terminalLine(INJECTION)).not.toContain(raw);
    expect(escapeControls('tab\there\u200b')).toBe('tab\\there\\u{200b}');
  });

  it('never lets a line start with the workflow command marker', () => {
    expect(terminalLine('::add-mask::x')).toBe(': :add-mask::x');
    expect(terminalLine('  ::error::x')).toBe('  : :error::x');
    expect(terminalLines('refused: no\n::error::x')).toBe('refused: no\n: :error::x');
    expect(terminalLine('a :: b')).toBe('a :: b');
  });

  it('guards a stream, whatever the split of writes', () => {
    let out = '';
    const write = commandSafeWriter((t) => (out += t));
    write('line one\n');
    write(':');
    write(':error::x\n  ::warning::y\nfine\n');
    write('\x1b[3A\x1b[0Jtable\n');
    expect(out).toBe('line one\n: :error::x\n  : :warning::y\nfine\n\x1b[3A\x1b[0Jtable\n');
    expect(out.split('\n').some((line) => line.trimStart().startsWith('::'))).toBe(false);
  });

  it('makes Markdown inert and single-line', () => {
    expect(markdownText('[x](javascript:alert(1))\n**b** \x1b[31m')).toBe(
      '\\[x\\](javascript:alert(1)) \\*\\*b\\*\\* \\\\e\\[31m',
    );
  });
});
