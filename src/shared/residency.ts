/**
 * Data residency: a plan's regions carry a jurisdiction (EU, US, ...), a model version carries where it may be
 * served as a Unity Catalog tag. Pure, so the rule is tested on its own and the pre-flight activity only fetches.
 */
import { commaList } from './lists';

/** The version tag listing the jurisdictions it may be served in: comma-separated codes ("EU,UK"), or "*". */
export const RESIDENCY_TAG = 'serving_jurisdictions';

export interface RegionJurisdiction {
  region: string;
  jurisdiction?: string;
}

/** The jurisdictions a tag value allows; "*" allows all. */
export function allowedJurisdictions(value: string): Set<string> | 'any' {
  const codes = commaList(value).map((code) => code.toUpperCase());
  return codes.includes('*') ? 'any' : new Set(codes);
}

/**
 * The values of every tag that is the residency tag once case and surrounding spaces are ignored: Unity Catalog keeps
 * `Serving_Jurisdictions` and `serving_jurisdictions ` as other keys, and a rule that looked up the exact key let a
 * version tagged so pass into any region. Several such tags must all allow a region.
 */
export function residencyTagValues(tags: Record<string, string>): string[] {
  return Object.entries(tags)
    .filter(([key]) => key.trim().toLowerCase() === RESIDENCY_TAG)
    .map(([, value]) => value);
}

/**
 * Why the version may not be served in some of `regions` (empty when it may everywhere). A version without the tag
 * may be served only where the plan names no jurisdiction; a tagged version only in regions whose jurisdiction the
 * tag lists, and never in a region whose jurisdiction the plan leaves unknown.
 */
export function residencyProblems(
  model: string,
  version: number,
  tags: Record<string, string>,
  regions: RegionJurisdiction[],
): string[] {
  const values = residencyTagValues(tags);
  const name = `${model} v${version}`;
  if (values.length === 0)
    return regions
      .filter((r) => r.jurisdiction)
      .map(
        (r) =>
          `${name} may not be served in ${r.region} (jurisdiction ${r.jurisdiction}): the version has no ${RESIDENCY_TAG} tag in Unity Catalog; tag it, e.g. ${RESIDENCY_TAG} = ${r.jurisdiction}`,
      );
  return [...new Set(values.flatMap((value) => tagProblems(name, value, regions)))];
}

/** Why one residency tag value does not allow some of `regions`. */
function tagProblems(name: string, value: string, regions: RegionJurisdiction[]): string[] {
  const allowed = allowedJurisdictions(value);
  if (allowed === 'any') return [];
  return regions.flatMap((r) => {
    if (!r.jurisdiction)
      return [
        `${name} is restricted to ${[...allowed].join(', ') || 'no jurisdiction'} by its ${RESIDENCY_TAG} tag ("${value}"), and the plan gives ${r.region} no jurisdiction; set regions[].jurisdiction for ${r.region}`,
      ];
    if (!allowed.has(r.jurisdiction.trim().toUpperCase()))
      return [
        `${name} may not be served in ${r.region} (jurisdiction ${r.jurisdiction}): its ${RESIDENCY_TAG} tag allows ${[...allowed].join(', ') || 'none'} ("${value}")`,
      ];
    return [];
  });
}
