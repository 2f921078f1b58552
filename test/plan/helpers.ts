import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSchema, type Plan, type PlanInput } from '../../src/plan/schema';

/** A small valid plan: a primary and two replicas, two stages, no waves. */
export function planInput(): PlanInput {
  return {
    model: 'main.ml.churn',
    primary: 'us-east-1',
    regions: [
      { name: 'us-east-1', workspace: { profile: 'us-east-1' }, endpoint: 'churn' },
      { name: 'eu-west-1', workspace: { profile: 'eu-west-1' }, shared_catalog: 'ml_shared', endpoint: 'churn' },
      {
        name: 'ap-south-1',
        workspace: { host: 'https://adb-1.2.azuredatabricks.net' },
        shared_catalog: 'shared_ap',
        endpoint: 'churn-ap',
      },
    ],
    stages: [
      { name: 'canary', traffic: 10, bake: '1m' },
      { name: 'half', traffic: 50, bake: '2m', approval: true },
    ],
  };
}

export function parsePlan(input: unknown): Plan {
  return planSchema.parse(input);
}

/** A fresh temporary directory holding the given files. */
export function tempFiles(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'plan-test-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
