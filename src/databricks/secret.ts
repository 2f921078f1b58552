/**
 * A credential value (PAT, OAuth client secret, access token) that never shows up in logs: `String()`, template
 * literals, `JSON.stringify` and `util.inspect` / `console.log` all print `[REDACTED]`. Call `reveal()` only where the
 * value goes on the wire.
 */
import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plain value, for building an Authorization header. Never log it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

/** Things that look like credentials even when we don't know their value. */
const CREDENTIAL_PATTERNS: RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\bdapi[0-9a-f]{16,}(?:-\d+)?\b/gi,
  /\b(access_token|client_secret|refresh_token|token)(["']?\s*[:=]\s*["']?)[^"'\s&,}]+/gi,
];

/**
 * Removes known secret values and credential-looking substrings from a text that may end up in an error message or a
 * log line (server messages sometimes echo request content).
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would redact random words; real tokens and secrets are long.
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(CREDENTIAL_PATTERNS[0], (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(CREDENTIAL_PATTERNS[1], REDACTED);
  out = out.replace(CREDENTIAL_PATTERNS[2], (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
  return out;
}
