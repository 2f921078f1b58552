/**
 * Generates a world with N regions for benchmarks and scale tests:
 *   npm run world:generate -- --regions 20 [--seed 1] [--replication 2s] [--update 3s] [--route-optimized]
 *     [--out worlds/generated-20.yaml]
 * The first region is the primary; every other region mounts the share as catalog `ml_shared`. Every region serves
 * v1 of main.ml.fraud_detector on endpoint `fraud-detector` (route-optimized with --route-optimized: queried at its
 * data-plane URL with OAuth, docs/emulator.md).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseDurationMs } from '../shared/duration';
import type { WorldInput } from './world';
import { parseWorld } from './world';

/** Real cloud region names, used in order; past the list, names get a numeric suffix (us-east-1-2). */
const REGION_NAMES = [
  'us-east-1',
  'eu-west-1',
  'ap-southeast-1',
  'us-west-2',
  'eu-central-1',
  'ap-northeast-1',
  'us-east-2',
  'eu-west-2',
  'ap-south-1',
  'ca-central-1',
  'sa-east-1',
  'eu-north-1',
  'ap-southeast-2',
  'us-west-1',
  'eu-west-3',
  'ap-northeast-2',
  'me-central-1',
  'af-south-1',
  'eu-south-1',
  'ap-east-1',
];

export interface GeneratedWorldOptions {
  regions: number;
  seed?: number;
  replicationDelay?: string | number;
  configUpdateDuration?: string | number;
  /** Extra model behaviors (e.g. candidates for benchmarks). */
  behaviors?: WorldInput['behaviors'];
  /** Every region's endpoint is route-optimized. */
  routeOptimized?: boolean;
}

export function regionNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const base = REGION_NAMES[i % REGION_NAMES.length];
    const round = Math.floor(i / REGION_NAMES.length);
    return round === 0 ? base : `${base}-${round + 1}`;
  });
}

export function generateWorld(options: GeneratedWorldOptions): WorldInput {
  if (!Number.isInteger(options.regions) || options.regions < 1 || options.regions > 500)
    throw new Error('--regions must be an integer from 1 to 500');
  const names = regionNames(options.regions);
  const model = 'main.ml.fraud_detector';
  return {
    seed: options.seed ?? 1,
    primary: names[0],
    defaults: {
      replication_delay: options.replicationDelay ?? { distribution: 'lognormal', median: '1500ms', p99: '4s' },
      config_update_duration: options.configUpdateDuration ?? '2s',
      registration_duration: '500ms',
    },
    principals: [
      {
        name: 'rollout-bot',
        token: 'dapi-rollout-bot-0001',
        client_id: 'rollout-bot',
        client_secret: 'secret-rollout-bot-0001',
      },
    ],
    behaviors: {
      champion: {
        latency: { distribution: 'lognormal', median: '20ms', p99: '60ms' },
        error_rate: 0.002,
        prediction: { formula: 'round(sigmoid(0.004 * amount - 2), 4)' },
      },
      'candidate-good': {
        latency: { distribution: 'lognormal', median: '18ms', p99: '55ms' },
        error_rate: 0.002,
        prediction: { formula: 'round(sigmoid(0.0041 * amount - 2), 4)' },
      },
      'candidate-bad': {
        latency: { distribution: 'lognormal', median: '30ms', p99: '120ms' },
        error_rate: 0.06,
        prediction: { formula: 'round(sigmoid(0.009 * amount - 1), 4)' },
      },
      ...options.behaviors,
    },
    models: [{ name: model, versions: [{ version: 1, behavior: 'champion', aliases: ['champion'] }] }],
    sharing: { shares: [{ name: 'ml_models', objects: [{ name: model }], recipients: names.slice(1) }] },
    regions: names.map((name, i) => {
      const entityName = i === 0 ? model : 'ml_shared.ml.fraud_detector';
      return {
        name,
        shared_catalogs: i === 0 ? [] : [{ name: 'ml_shared', share: 'ml_models' }],
        endpoints: [
          {
            name: 'fraud-detector',
            ...(options.routeOptimized ? { route_optimized: true } : {}),
            served_entities: [
              { entity_name: entityName, entity_version: '1', workload_size: 'Small', scale_to_zero_enabled: false },
            ],
          },
        ],
      };
    }),
  };
}

function main() {
  const { values } = parseArgs({
    options: {
      regions: { type: 'string' },
      seed: { type: 'string', default: '1' },
      replication: { type: 'string' },
      update: { type: 'string' },
      out: { type: 'string' },
      'route-optimized': { type: 'boolean', default: false },
    },
  });
  const regions = Number(values.regions);
  for (const [flag, value] of [
    ['--replication', values.replication],
    ['--update', values.update],
  ] as const)
    if (value !== undefined && parseDurationMs(value) === undefined)
      throw new Error(`${flag} "${value}" is not a duration; write e.g. 500ms, 2s or 1m`);
  if (!Number.isInteger(Number(values.seed))) throw new Error(`--seed must be an integer, got "${values.seed}"`);
  const world = generateWorld({
    regions,
    seed: Number(values.seed),
    replicationDelay: values.replication,
    configUpdateDuration: values.update,
    routeOptimized: values['route-optimized'],
  });
  parseWorld(world, 'generated world'); // what we write must load
  const text = `# Generated by npm run world:generate -- --regions ${regions}\n${stringify(world)}`;
  if (values.out) {
    writeFileSync(values.out, text);
    console.log(`wrote ${values.out} (${regions} regions)`);
  } else process.stdout.write(text);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}
