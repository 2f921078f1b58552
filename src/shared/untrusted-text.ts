/**
 * Printing text that people or systems outside this process wrote: approval reasons, approver names, termination
 * reasons, error messages from workflows and Databricks. Pure (no Node builtins).
 *
 * In a terminal, control characters rewrite the screen (ANSI escapes recolour, move the cursor, retitle the window)
 * and bidirectional overrides reorder what is shown. In a CI log, a line that starts with `::` is a GitHub Actions
 * workflow command (`::error title=...::`, `::add-mask::`, `::stop-commands::`), so an approval reason
 * "ok\n::error title=Injected::..." printed raw became an annotation. Here such characters become visible escapes
 * (`\n`, `\e`, `\u{202e}`) and a line never starts with `::`.
 */

/** C0 and C1 controls with DEL, format characters (zero-width, direction marks, BOM), line and paragraph separators. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e' };

/** Every unsafe character as a visible escape; the text stays on one line. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** No line starts (after spaces) with `::`, the GitHub Actions workflow command marker: `: :` instead. */
export function neutraliseWorkflowCommands(text: string): string {
  return text.replace(/^([ \t]*):(?=:)/gm, '$1: ');
}

/** One line of output that holds untrusted text: escaped, single-line, never a workflow command. */
export function terminalLine(text: string): string {
  return neutraliseWorkflowCommands(escapeControls(text));
}

/** Text of several lines (a message we composed around untrusted parts): each line made a terminalLine. */
export function terminalLines(text: string): string {
  return text.split('\n').map(terminalLine).join('\n');
}

/** Free text as inert Markdown on one line: line breaks as spaces, controls escaped, markup characters escaped. */
export function markdownText(text: string): string {
  return escapeControls(text.replace(/\s*\r?\n\s*/g, ' ')).replace(/[\\`*_[\]<>|~&]/g, '\\$&');
}

/**
 * Wraps an output stream so that no line it writes starts with `::`, however the text is split across writes: the
 * net under every command's output (the per-value escaping above is the first line of defence).
 */
export function commandSafeWriter(write: (text: string) => void): (text: string) => void {
  let atLineStart = true;
  let pendingSpaces = '';
  return (text: string) => {
    let out = '';
    for (const char of text) {
      if (atLineStart && (char === ' ' || char === '\t')) {
        pendingSpaces += char;
        continue;
      }
      if (atLineStart && char === ':') out += `${pendingSpaces}: `;
      else out += pendingSpaces + char;
      pendingSpaces = '';
      atLineStart = char === '\n';
    }
    write(out);
  };
}
