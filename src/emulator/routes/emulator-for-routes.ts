/**
 * What route handlers may use of the emulator and of a region's workspace. Routes depend on these interfaces, not on
 * the Emulator class, because emulator.ts builds the routes: importing it back would make an import cycle.
 */
import type { Authenticator } from '../auth';
import type { UnityCatalog } from '../catalog';
import type { FaultRegistry } from '../faults';
import type { MetricClock } from '../metrics';
import type { Random } from '../random';
import type { ServingEndpoints } from '../serving';
import type { RegionSpec, World } from '../world';

export interface WorkspaceForRoutes {
  readonly spec: RegionSpec;
  /** The base URL it listens on (http://127.0.0.1:PORT). */
  readonly url: string;
  readonly workspaceId: number;
  readonly metastoreId: string;
  readonly serving: ServingEndpoints;
  /** The endpoint's own random stream for invocations (latency, errors, traffic split). */
  invocationRandom(endpoint: string): Random;
}

export interface EmulatorForRoutes {
  readonly world: World;
  readonly catalog: UnityCatalog;
  readonly faults: FaultRegistry;
  readonly auth: Authenticator;
  readonly startedAt: number;
  /** The clock metric minutes follow (it runs world.time_scale times faster than real time). */
  readonly metricClock: MetricClock;
  /** Real time, ms since the epoch. */
  now(): number;
  hasRegion(region: string): boolean;
  /** Throws on an unknown region; routes only ask for the region that received the request, or the primary. */
  workspace(region: string): WorkspaceForRoutes;
  /** How long registering the next version of a model takes, drawn from the world's distribution. */
  sampleRegistration(model: string): number;
  /** Everything the emulator holds, as JSON (GET /__emulator/state). */
  snapshot(now: number): unknown;
}
