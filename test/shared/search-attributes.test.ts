import { fitKeywordList, keywordListBytes, MAX_SEARCH_ATTRIBUTE_VALUE_BYTES } from '../../src/shared/search-attributes';

describe('fitKeywordList', () => {
  it('keeps a list that fits, without duplicates', () => {
    expect(fitKeywordList(['us-east-1', 'eu-west-1', 'us-east-1'])).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('cuts 250 long region names to 2 KiB of JSON and says how many are left out', () => {
    const regions = Array.from({ length: 250 }, (_, i) => `r${String(i).padStart(3, '0')}-${'x'.repeat(36)}`);
    expect(keywordListBytes(regions)).toBeGreaterThan(10_000);
    const fitted = fitKeywordList(regions);
    expect(keywordListBytes(fitted)).toBeLessThanOrEqual(MAX_SEARCH_ATTRIBUTE_VALUE_BYTES);
    const kept = fitted.slice(0, -1);
    expect(kept).toEqual(regions.slice(0, kept.length));
    expect(fitted.at(-1)).toBe(`+${250 - kept.length} more`);
    expect(kept.length).toBeGreaterThan(40);
    // Nothing more would have fit.
    expect(keywordListBytes([...kept, regions[kept.length], `+${250 - kept.length - 1} more`])).toBeGreaterThan(
      MAX_SEARCH_ATTRIBUTE_VALUE_BYTES,
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(keywordListBytes(['é'])).toBe(6);
    expect(fitKeywordList(['ééé', 'ééé2'], 12)).toEqual(['+2 more']);
  });
});
