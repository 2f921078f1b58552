/**
 * `npm run emulator -- --world worlds/three-regions.yaml [--host 127.0.0.1] [--quiet]`
 * Starts one HTTP server per region's workspace and prints each URL with a token.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index';
import { loadWorldFile, WorldError } from './world';
import { ADMIN_TOKEN_HEADER, ADMIN_TOKEN_VARIABLE } from './admin-guard';

const USAGE = `usage: npm run emulator -- --world <file.yaml> [--host 127.0.0.1] [--time-scale N] [--verbose]

  --world    the world file (regions, principals, models, shares, endpoints, behaviors, faults)
  --host     interface to listen on (default 127.0.0.1)
  --time-scale <N>   metric minutes pass N times faster than real ones (overrides the world's time_scale; 60 = a
                     metric minute per second); only the metrics export and live traffic follow it
  --admin-token <T>  require T in the X-Emulator-Admin-Token header of admin API calls (or EMULATOR_ADMIN_TOKEN)
  --verbose  log every request (method, path, status, time)`;

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        world: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'admin-token': { type: 'string' },
        'time-scale': { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (!args.world) {
    console.error(
      `--world is required: the YAML file describing the workspaces (e.g. worlds/three-regions.yaml)\n\n${USAGE}`,
    );
    process.exit(2);
  }
  let timeScale: number | undefined;
  if (args['time-scale'] !== undefined) {
    timeScale = Number(args['time-scale']);
    if (!(timeScale > 0 && timeScale <= 1_000_000)) {
      console.error(`--time-scale: "${args['time-scale']}" is not a number in (0, 1000000]; e.g. --time-scale 60`);
      process.exit(2);
    }
  }
  const started = performance.now();
  const adminToken = args['admin-token'] ?? (process.env[ADMIN_TOKEN_VARIABLE] || undefined);
  if (adminToken !== undefined && adminToken.length < 16) {
    console.error(`--admin-token / ${ADMIN_TOKEN_VARIABLE}: use at least 16 characters, e.g. $(openssl rand -hex 16)`);
    process.exit(2);
  }
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(args.host ?? '127.0.0.1');
  if (!loopback && adminToken === undefined)
    console.error(
      `WARNING: listening on ${args.host} with an admin API anyone who reaches the port can use (register versions, inject faults); set ${ADMIN_TOKEN_VARIABLE} or --admin-token`,
    );
  const running = await startEmulator(loadWorldFile(args.world), {
    host: args.host,
    adminToken,
    timeScale,
    log: args.verbose ? (line) => console.log(line) : undefined,
  });
  console.log(
    `Databricks emulator: ${running.regions.length} workspaces in ${Math.round(performance.now() - started)}ms (seed ${running.world.seed}${
      running.emulator.metricClock.scale === 1 ? '' : `, metric clock x${running.emulator.metricClock.scale}`
    })`,
  );
  for (const region of running.regions) {
    const primary = region === running.world.primary ? ' (primary)' : '';
    console.log(`  ${region.padEnd(16)} ${running.url(region)}  token ${running.token(region)}${primary}`);
  }
  console.log(
    `Admin API: <workspace URL>/__emulator/{state,faults,models/<full_name>/versions}${adminToken ? ` (send ${ADMIN_TOKEN_HEADER})` : ''}. Ctrl-C stops.`,
  );
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof WorldError ? err.message : err);
  process.exit(err instanceof WorldError ? 2 : 1);
});
