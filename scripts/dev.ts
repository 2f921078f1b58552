/**
 * `npm run dev`: the Temporal dev server (Web UI on :8233, persistent data in .data/), the Databricks emulator with
 * worlds/three-regions.yaml, and a worker for every queue. Prints every URL; Ctrl-C stops everything.
 */
import { join } from 'node:path';
import { startStack } from './stack';

async function main() {
  const world =
    process.argv.find((a, i) => process.argv[i - 1] === '--world') ?? join(__dirname, '../worlds/three-regions.yaml');
  const stack = await startStack({ world });
  console.log(`model-rollout dev stack is up.
  Temporal        ${stack.address}   (TEMPORAL_ADDRESS)
  Temporal UI     ${stack.uiUrl}
  Emulated Databricks workspaces (profiles in ${stack.configFile}):
${stack.emu.regions.map((r) => `    ${r.padEnd(16)}${stack.emu.url(r)}${r === stack.emu.world.primary ? '  (primary)' : ''}`).join('\n')}
  Worker          queues rollout-control, ${stack.emu.regions.map((r) => `rollout-${r}`).join(', ')}

Register a version:  curl -X POST ${stack.emu.url(stack.emu.world.primary)}/__emulator/models/main.ml.fraud_detector/versions -d '{"behavior":"candidate-good"}'
Ctrl-C stops everything (Temporal's data stays in .data/).`);
  const stop = () => {
    console.log('\nstopping...');
    void stack.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
