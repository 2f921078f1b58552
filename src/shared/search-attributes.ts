/**
 * Keeping search attribute values within Temporal's limits. The server refuses a start or an upsert whose single
 * search attribute value is over limit.searchAttributesSizeOfValue (default 2 KiB, measured on the value's JSON
 * payload, so a Keyword list counts as the whole encoded array) or whose attributes together pass 40 KiB. Pure, so
 * workflow code can call it on every upsert.
 *
 * Measured on the dev server (Temporal CLI 1.9.1, server 1.32.0): a RolloutRegions list of 45 forty-character names
 * (1,981 bytes of compact JSON) starts; 48 names (2,113 bytes) are refused with "search attribute RolloutRegions value
 * size 2113 exceeds size limit 2048". 250 such names come to about 11 KB.
 */

/** Temporal's default limit on one search attribute value, in bytes (limit.searchAttributesSizeOfValue). */
export const MAX_SEARCH_ATTRIBUTE_VALUE_BYTES = 2048;

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** The size of a Keyword list as Temporal stores it: the JSON array, in UTF-8 bytes. */
export function keywordListBytes(values: readonly string[]): number {
  return utf8Length(JSON.stringify(values));
}

/**
 * The longest prefix of `values` (deduplicated, in order) whose JSON fits in `maxBytes`, with a last element
 * `+N more` when some had to go, so a search finds the first regions and the UI shows that the list is cut. With the
 * plan's limit of 250 regions of at most 41 characters, a list can reach ~11 KiB; 2 KiB holds about 45 long names.
 */
export function fitKeywordList(values: readonly string[], maxBytes = MAX_SEARCH_ATTRIBUTE_VALUE_BYTES): string[] {
  const unique = [...new Set(values)];
  if (keywordListBytes(unique) <= maxBytes) return unique;
  const kept: string[] = [];
  for (const value of unique) {
    const marker = `+${unique.length - kept.length - 1} more`;
    if (keywordListBytes([...kept, value, marker]) > maxBytes) break;
    kept.push(value);
  }
  return [...kept, `+${unique.length - kept.length} more`];
}
