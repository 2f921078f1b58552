#!/usr/bin/env node
/** The `rollout` CLI. Commands live in src/cli/, one file each; src/cli/main.ts dispatches. */
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rollout: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
