/** The items of a comma-separated list (flags, environment variables, tags), trimmed, empty items dropped. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
