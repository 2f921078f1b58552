/**
 * The demo: three emulated Databricks workspaces (us-east-1 primary, eu-west-1, ap-southeast-1), a good and a bad
 * candidate version, and the per-region steps of a rollout driven through the typed client: wait for Delta Sharing
 * replication, record the rollback point, canary at 10%, measure both variants, then promote the good version and
 * roll the bad one back to the exact recorded config.
 *
 * Until the Temporal workflows land (issue 3), this script performs the steps itself; `--keep` leaves the
 * emulator running afterwards so you can explore it with curl.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DatabricksClient,
  type EndpointCoreConfigInput,
  type ServingEndpointDetailed,
  toServedEntityInput,
} from '../src/databricks';
import { loadWorldFile, startEmulator, type RunningEmulator } from '../src/emulator';

const MODEL = 'main.ml.fraud_detector';
const ENDPOINT = 'fraud-detector';
const keep = process.argv.includes('--keep');

function entityName(emu: RunningEmulator, region: string) {
  return region === emu.world.primary ? MODEL : 'ml_shared.ml.fraud_detector';
}

async function register(emu: RunningEmulator, behavior: string): Promise<number> {
  const res = await fetch(`${emu.url(emu.world.primary)}/__emulator/models/${MODEL}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ behavior }),
  });
  const version = (await res.json()) as { version: number };
  return version.version;
}

async function waitForReplication(client: DatabricksClient, model: string, version: number, since: number) {
  for (;;) {
    const found = await client.unityCatalog.getModelVersion(model, version).catch(() => undefined);
    if (found?.status === 'READY') return (Date.now() - since) / 1000;
    await sleep(200);
  }
}

/** The rollback point's entities keep their names (so they are not redeployed); the challenger is named by version. */
function canary(rollbackPoint: ServingEndpointDetailed, model: string, version: number, weight: number) {
  const champion = rollbackPoint.config!.served_entities.map(toServedEntityInput)[0];
  const challenger = {
    ...champion,
    name: `fraud_detector-${version}`,
    entity_name: model,
    entity_version: String(version),
  };
  const config: EndpointCoreConfigInput = {
    served_entities: [champion, challenger],
    traffic_config: {
      routes: [
        { served_entity_name: champion.name!, traffic_percentage: 100 - weight },
        { served_entity_name: challenger.name, traffic_percentage: weight },
      ],
    },
  };
  return { config, champion: champion.name!, challenger: challenger.name };
}

/** Queries each variant directly (the per-served-model route) and through the endpoint's traffic split. */
async function measure(client: DatabricksClient, variants: string[], requests: number) {
  const errorRate = async (variant: string) => {
    let errors = 0;
    for (let i = 0; i < requests; i += 25)
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          client.serving
            .queryServedModel(ENDPOINT, variant, {
              dataframe_records: [{ amount: 50 + (i + j) * 7, country: j % 5 ? 'US' : 'NG' }],
            })
            .catch(() => errors++),
        ),
      );
    return (100 * errors) / requests;
  };
  const split: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: 100 }, () =>
      client.serving
        .query(ENDPOINT, { dataframe_records: [{ amount: 120, country: 'US' }] })
        .then((r) => (split[r.servedModelName ?? '?'] = (split[r.servedModelName ?? '?'] ?? 0) + 1))
        .catch(() => undefined),
    ),
  );
  return { errorRates: await Promise.all(variants.map(errorRate)), split };
}

async function rollOut(
  emu: RunningEmulator,
  clients: Map<string, DatabricksClient>,
  regions: string[],
  behavior: string,
) {
  const started = Date.now();
  const version = await register(emu, behavior);
  console.log(`\nRegistered ${MODEL} version ${version} (${behavior}) in ${emu.world.primary}.`);
  return Promise.all(
    regions.map(async (region) => {
      const client = clients.get(region)!;
      const model = entityName(emu, region);
      const replicatedAfter = await waitForReplication(client, model, version, started);
      console.log(`  [${region}] version ${version} is READY in ${model} after ${replicatedAfter.toFixed(1)}s`);
      const rollbackPoint = await client.serving.getEndpoint(ENDPOINT);
      const plan = canary(rollbackPoint, model, version, 10);
      await client.serving.updateEndpointConfig(ENDPOINT, plan.config);
      const applied = await client.serving.waitForEndpointNotUpdating(ENDPOINT, { backoff: () => 250 });
      console.log(`  [${region}] canary at 10% applied (config_version ${applied.config?.config_version})`);
      const { errorRates, split } = await measure(client, [plan.champion, plan.challenger], 300);
      const [championRate, challengerRate] = errorRates;
      // A plain threshold for the walk-through; the statistical judge arrives with the canary analysis issue.
      const healthy = challengerRate <= championRate + 2;
      console.log(
        `  [${region}] traffic split ${JSON.stringify(split)}; errors: champion ${championRate.toFixed(1)}%, challenger ${challengerRate.toFixed(1)}% -> ${healthy ? 'promote' : 'roll back'}`,
      );
      if (healthy) {
        await client.serving.updateEndpointConfig(ENDPOINT, { served_entities: [plan.config.served_entities![1]] });
      } else {
        await client.serving.updateEndpointConfig(ENDPOINT, {
          served_entities: rollbackPoint.config!.served_entities.map(toServedEntityInput),
          traffic_config: rollbackPoint.config!.traffic_config,
        });
      }
      const final = await client.serving.waitForEndpointNotUpdating(ENDPOINT, { backoff: () => 250 });
      const serving = final.config!.served_entities.map((e) => `${e.name}=v${e.entity_version}`).join(', ');
      return { region, version, outcome: healthy ? 'promoted' : 'rolled back', serving };
    }),
  );
}

async function main() {
  const emu = await startEmulator(loadWorldFile(join(__dirname, '../worlds/three-regions.yaml')));
  console.log('Emulated Databricks workspaces:');
  const clients = new Map<string, DatabricksClient>();
  for (const region of emu.regions) {
    console.log(`  ${region.padEnd(15)} ${emu.url(region)}${region === emu.world.primary ? '  (primary)' : ''}`);
    // Each region's client queries from inside that region, as a worker deployed there would.
    clients.set(
      region,
      new DatabricksClient({ host: emu.url(region), token: emu.token(region), env: {}, clientRegion: region }),
    );
  }
  const good = await rollOut(emu, clients, emu.regions, 'candidate-good');
  const bad = await rollOut(emu, clients, emu.regions, 'candidate-bad');
  console.log('\nSummary');
  for (const row of [...good, ...bad])
    console.log(`  ${row.region.padEnd(15)} v${row.version}  ${row.outcome.padEnd(12)} now serving ${row.serving}`);
  if (keep) {
    console.log(`\nThe emulator keeps running (Ctrl-C stops it). Token: ${emu.token(emu.world.primary)}`);
    return;
  }
  await emu.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
