/**
 * The `rollout` command run in-process against a test rig (its dev server and emulator profiles), as CI runs it,
 * and a rig's plan written to a YAML file the way a user writes one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import type { Plan } from '../../src/plan/schema';
import type { Rig } from './temporal';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** `rollout <args>` with only the rig's Temporal address and Databricks profiles (and `env`) in its environment. */
export async function runCli(
  rig: Rig,
  args: string[],
  env: Record<string, string> = {},
  isTTY = false,
): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    isTTY,
    env: {
      TEMPORAL_ADDRESS: rig.env.address,
      TEMPORAL_NAMESPACE: 'default',
      DATABRICKS_CONFIG_FILE: rig.configFile,
      HOME: tmpdir(),
      ...env,
    },
  });
  return { code, out, err };
}

/** Writes `plan` as YAML (durations as text, generous timeouts) to `<temporary dir>/<name>`; returns the path. */
export function writePlanFile(plan: Plan, name = 'plan.yaml', extra: Record<string, unknown> = {}): string {
  const path = join(mkdtempSync(join(tmpdir(), 'plan-')), name);
  writeFileSync(
    path,
    stringify({
      ...plan,
      stages: plan.stages.map((s) => ({ ...s, bake: `${s.bake}ms` })),
      timeouts: { replication: '10s', config_update: '10s', approval: '30s' },
      ...extra,
    }),
  );
  return path;
}
