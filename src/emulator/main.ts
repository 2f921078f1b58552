/**
 * `npm run emulator -- --world worlds/three-regions.yaml [--host 127.0.0.1] [--quiet]`
 * Starts one HTTP server per region's workspace and prints each URL with a token.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index';
import { loadWorldFile, WorldError } from './world';

const USAGE = `usage: npm run emulator -- --world <file.yaml> [--host 127.0.0.1] [--verbose]

  --world    the world file (regions, principals, models, shares, endpoints, behaviors, faults)
  --host     interface to listen on (default 127.0.0.1)
  --verbose  log every request (method, path, status, time)`;

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        world: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
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
  const started = performance.now();
  const running = await startEmulator(loadWorldFile(args.world), {
    host: args.host,
    log: args.verbose ? (line) => console.log(line) : undefined,
  });
  console.log(
    `Databricks emulator: ${running.regions.length} workspaces in ${Math.round(performance.now() - started)}ms (seed ${running.world.seed})`,
  );
  for (const region of running.regions) {
    const primary = region === running.world.primary ? ' (primary)' : '';
    console.log(`  ${region.padEnd(16)} ${running.url(region)}  token ${running.token(region)}${primary}`);
  }
  console.log(`Admin API: <workspace URL>/__emulator/{state,faults,models/<full_name>/versions}. Ctrl-C stops.`);
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
