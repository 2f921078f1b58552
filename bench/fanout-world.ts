/** The fan-out benchmark's world: 50 regions whose replication, update and bake times are known. */
import { generateWorld } from '../src/emulator/generate-world';

export const UPDATE_MS = 1000;
export const BAKE_MS = 1000;
/**
 * Poll settings of the bench worker, scaled to the emulator's waits as the defaults (1 s doubling to 10 s) are to
 * real ones: a 10 s cap is a few percent of a config update of minutes, a 100 ms cap a tenth of the bench's 1 s one.
 */
export const BENCH_POLL = { initialMs: 50, maxMs: 100 };
export const MAX_REGIONS = 50;

export function replicationDelayMs(index: number): number {
  return 10_000 + ((index * 37) % 9) * 500;
}

export const FANOUT_WORLD_TEXT =
  `each region: its replica visible a known 10-14 s after the version is READY (the primary at once), ` +
  `${UPDATE_MS / 1000} s per config update (two: the canary stage and the promotion), a ${BAKE_MS / 1000} s bake`;

export function fanoutWorld() {
  const world = generateWorld({ regions: MAX_REGIONS, seed: 7, configUpdateDuration: `${UPDATE_MS}ms` });
  world.regions = world.regions.map((region, i) =>
    i === 0 ? region : { ...region, replication_delay: `${replicationDelayMs(i)}ms` },
  );
  return world;
}
