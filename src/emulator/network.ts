/**
 * A simulated network: the round trip between a client's region and a workspace's region, added to a request when
 * the client names its region in the `x-emulator-client-region` header (real Databricks ignores the header).
 */
import { Random } from './random';
import type { World } from './world';

export const CLIENT_REGION_HEADER = 'x-emulator-client-region';

type Continent = NonNullable<World['regions'][number]['continent']>;

/** Guesses a continent from AWS/Azure/GCP region names; `continent:` in the world file overrides it. */
export function continentOf(region: string): Continent | undefined {
  const name = region.toLowerCase();
  if (/^(us|ca)-|^(north|south|east|west|central)?-?us|canada|^northamerica|^us/.test(name)) return 'na';
  if (/^sa-|brazil|southamerica/.test(name)) return 'sa';
  if (/^eu-|europe|^uk|france|germany|sweden|switzerland|norway|italy|poland|spain/.test(name)) return 'eu';
  if (/^me-|^il-|uae|qatar|israel|middleeast/.test(name)) return 'me';
  if (/^af-|southafrica|africa/.test(name)) return 'af';
  if (/^ap-southeast-[24]|australia|newzealand/.test(name)) return 'oc';
  if (/^ap-|asia|japan|korea|india|singapore|hongkong|indonesia/.test(name)) return 'ap';
  return undefined;
}

export class NetworkModel {
  private readonly rng: Random;

  constructor(private readonly world: World) {
    this.rng = Random.stream(world.seed, 'network');
  }

  isRegion(name: string): boolean {
    return this.world.regions.some((r) => r.name === name);
  }

  /** The configured round trip in ms, without jitter. */
  baseRttMs(from: string, to: string): number {
    const network = this.world.network;
    const override = network.overrides.find(
      (o) => (o.from === from && o.to === to) || (o.from === to && o.to === from),
    );
    if (override) return override.rtt_ms;
    if (from === to) return network.in_region_ms;
    const continent = (name: string) => this.world.regions.find((r) => r.name === name)?.continent ?? continentOf(name);
    const a = continent(from);
    const b = continent(to);
    if (a && a === b) return network.same_continent_ms;
    if (a && b && [a, b].sort().join() === 'eu,na') return network.transatlantic_ms;
    return network.intercontinental_ms;
  }

  /** A round trip with jitter. */
  sampleRttMs(from: string, to: string): number {
    const base = this.baseRttMs(from, to);
    return Math.max(0, base * (1 + this.world.network.jitter * (2 * this.rng.next() - 1)));
  }
}
