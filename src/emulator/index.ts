/** The Databricks emulator's programmatic API: start a world, get each region's workspace URL, stop it. */
import { Emulator, type EmulatorOptions } from './emulator';
import { parseWorld, type World, type WorldInput } from './world';

export { Emulator } from './emulator';
export { loadWorldFile, parseWorld, WorldError } from './world';
export type { World, WorldInput, FaultSpec } from './world';
export { CLIENT_REGION_HEADER } from './network';
export { simulateMinute, rateAt, liveInputs } from './live-traffic';
export type { LiveEntity, LiveInputs, MinuteOutcome, SimulateOptions } from './live-traffic';

export interface RunningEmulator {
  readonly emulator: Emulator;
  readonly world: World;
  readonly regions: string[];
  /** The base URL (http://127.0.0.1:PORT) of a region's workspace. */
  url(region: string): string;
  /** A personal access token of the first principal that has one and belongs to the region's workspace. */
  token(region: string): string;
  /**
   * A ~/.databrickscfg-style file: one profile per region, named after it, with its URL and a token, or with OAuth M2M
   * client credentials (`{ auth: 'oauth-m2m' }`, of the first principal that has them and belongs to the region).
   */
  databricksConfig(options?: { auth?: 'pat' | 'oauth-m2m' }): string;
  close(): Promise<void>;
}

/** Starts every workspace of a world (a parsed World, or raw input that is validated first). */
export async function startEmulator(
  world: World | WorldInput,
  options: EmulatorOptions = {},
): Promise<RunningEmulator> {
  const parsed = isParsed(world) ? world : parseWorld(world);
  const emulator = new Emulator(parsed, options);
  try {
    await emulator.listen();
  } catch (err) {
    await emulator.close();
    throw err;
  }
  const running: RunningEmulator = {
    emulator,
    world: parsed,
    regions: emulator.regions,
    url: (region) => emulator.workspace(region).url,
    databricksConfig: (options = {}) =>
      running.regions
        .map(
          (r) =>
            `[${r}]\nhost = ${running.url(r)}\n${options.auth === 'oauth-m2m' ? m2m(r) : `token = ${running.token(r)}`}\n`,
        )
        .join('\n'),
    token: (region) => {
      const principal = parsed.principals.find(
        (p) => p.token && (p.workspaces.includes('*') || p.workspaces.includes(region)),
      );
      if (!principal?.token) throw new Error(`no principal with a token belongs to ${region}`);
      return principal.token;
    },
    close: () => emulator.close(),
  };
  const m2m = (region: string) => {
    const principal = parsed.principals.find(
      (p) => p.client_id && p.client_secret && (p.workspaces.includes('*') || p.workspaces.includes(region)),
    );
    if (!principal) throw new Error(`no principal with OAuth client credentials belongs to ${region}`);
    return `client_id = ${principal.client_id}\nclient_secret = ${principal.client_secret}`;
  };
  return running;
}

function isParsed(world: World | WorldInput): world is World {
  // A parsed world has its defaults filled in; raw input may lack them.
  const candidate = world as Partial<World>;
  return (
    typeof candidate.defaults?.oauth_token_ttl_seconds === 'number' && typeof candidate.network?.jitter === 'number'
  );
}
