/**
 * The rollout invariant (issue 6), checked against the emulator's state, not against what the workflow says:
 *
 * - every endpoint the rollout covers serves exactly its pre-rollout config or exactly the rollout's target config
 *   (served entities and traffic routes), with no update in progress: never a mixed weight left behind;
 * - the rollout has finished, or every region still running waits for an operator in a state that says why
 *   (`rollback-failed` with its reason, `awaiting-approval`); such a region's endpoint is reported, not judged.
 *
 * - on an endpoint shared with other models, every other model's served entity of the pre-rollout config is served
 *   unchanged, at its traffic percentage, at every observed point: the endpoint now, and every update the rollout
 *   made (`otherModelsProblems`, which knows nothing of how the rollout computes its configs).
 *
 * `checkUpdateLog` reads the emulator's per-endpoint config-update log: the updates a rollout made follow its plan
 * in order (a retried or replayed activity never re-applies an older config over a newer one), and
 * `checkNoInterleaving` proves two rollouts' updates on one endpoint form two blocks, one after the other.
 */
import type { Client } from '@temporalio/client';
import { configOf } from '../../src/activities/databricks';
import type { RunningEmulator } from '../../src/emulator';
import { startRollout as startRolloutOnly, rolloutReport } from '../../src/rollouts';
import { modelNameInRegion } from '../../src/plan/resolve';
import type { Plan } from '../../src/plan/schema';
import {
  challengerName,
  describeConfig,
  inheritedEntity,
  replacedEntity,
  sameConfig,
  shareProblem,
  sharedStageConfig,
} from '../../src/shared/endpoint-config';
import { rolloutStatusQuery } from '../../src/shared/messages';
import type {
  EndpointConfig,
  EndpointSnapshot,
  RegionPhase,
  RegionStatus,
  RolloutInput,
  RolloutReport,
  RolloutStatus,
  ServedEntity,
} from '../../src/shared/types';

export interface LoggedUpdate {
  seq: number;
  config_version: number;
  requested_by: string;
  requested_at: string;
  served_entities: ServedEntity[];
  routes: { served_entity_name: string; traffic_percentage: number }[];
  outcome: 'in-progress' | 'applied' | 'failed' | 'reverted';
}

export interface EndpointState {
  config: EndpointConfig;
  updating: boolean;
  log: LoggedUpdate[];
}

/** Every region's endpoint `name` as the emulator holds it (GET /__emulator/state on any workspace port). */
export async function readEndpoints(emulatorUrl: string, endpoint: string): Promise<Record<string, EndpointState>> {
  const res = await fetch(`${emulatorUrl}/__emulator/state`);
  const state = (await res.json()) as {
    regions: Record<string, { endpoints: any[]; update_log: Record<string, LoggedUpdate[]> }>;
  };
  const out: Record<string, EndpointState> = {};
  for (const [region, r] of Object.entries(state.regions)) {
    const found = r.endpoints.find((e) => e.name === endpoint);
    if (!found) continue;
    out[region] = {
      config: configOf(found.config),
      updating: found.state?.config_update === 'IN_PROGRESS',
      log: r.update_log[endpoint] ?? [],
    };
  }
  return out;
}

export const loggedConfig = (u: LoggedUpdate): EndpointConfig => ({
  servedEntities: u.served_entities,
  routes: u.routes,
});

/**
 * The served entity a rollout of `version` adds in `region`, as the region workflow builds it: the plan's settings
 * over every setting of the entity it replaces at `pre` (none given: the plan's settings alone).
 */
export function challengerFor(plan: Plan, region: string, version: number, pre?: EndpointConfig): ServedEntity {
  const entry = plan.regions.find((r) => r.name === region)!;
  const model = modelNameInRegion(plan, region);
  const identity = { name: challengerName(model, version), entity_name: model, entity_version: String(version) };
  const replaced = pre && replacedEntity(pre, identity, true, entry.replaces);
  return inheritedEntity(identity, replaced, entry.served_entity);
}

/**
 * The configs a rollout sets on one endpoint, in order: each stage's, the promotion's, then the restore. On an
 * endpoint the model cannot share (the others hold all the traffic, or `replaces` is wrong) only `pre`: the region
 * stops untouched.
 */
export function plannedConfigs(plan: Plan, region: string, version: number, pre: EndpointConfig): EndpointConfig[] {
  const challenger = challengerFor(plan, region, version, pre);
  const { replaces } = plan.regions.find((r) => r.name === region)!;
  if (shareProblem(pre, challenger, replaces, region)) return [pre];
  const at = (weight: number) => sharedStageConfig(pre, challenger, weight, replaces);
  return [...plan.stages.map((s) => at(s.traffic)), at(100), pre];
}

/** The config a region of the rollout ends with when it goes well (`pre` when it cannot share the endpoint). */
export function targetConfig(plan: Plan, region: string, version: number, pre: EndpointConfig): EndpointConfig {
  const planned = plannedConfigs(plan, region, version, pre);
  return planned[planned.length - 2] ?? pre;
}

/** Another model on a shared endpoint, as the pre-rollout config served it: what a rollout of `model` must keep. */
export interface OtherModels {
  pre: EndpointConfig;
  /** The model's name in the region (other models are served entities with another entity_name). */
  model: string;
}

const entityLine = (e: ServedEntity) =>
  [e.name, e.entity_name, e.entity_version, e.workload_size, e.workload_type ?? 'CPU', e.scale_to_zero_enabled].join(
    ' ',
  );
const trafficIn = (config: EndpointConfig, name: string) =>
  config.routes.find((r) => r.served_entity_name === name)?.traffic_percentage ?? 0;

/**
 * What `config` did to other models' served entities (entity_name other than `model`) of `pre`: each must be served
 * exactly as it was (name, model, version, size, type, scale to zero) at the same traffic percentage, and no other
 * model's entity may appear. Empty when it left them alone.
 */
export function otherModelsProblems(config: EndpointConfig, { pre, model }: OtherModels): string[] {
  const problems: string[] = [];
  const theirs = (c: EndpointConfig) => c.servedEntities.filter((e) => e.entity_name !== model);
  for (const before of theirs(pre)) {
    const now = config.servedEntities.find((e) => e.name === before.name);
    if (!now)
      problems.push(`removed ${before.name} (${before.entity_name} v${before.entity_version}), another model's`);
    else if (entityLine(now) !== entityLine(before))
      problems.push(`changed ${before.name}, another model's: ${entityLine(before)} became ${entityLine(now)}`);
    else if (trafficIn(config, before.name) !== trafficIn(pre, before.name))
      problems.push(
        `moved traffic of ${before.name}, another model's: ${trafficIn(pre, before.name)}% became ${trafficIn(config, before.name)}%`,
      );
  }
  for (const added of theirs(config))
    if (!pre.servedEntities.some((e) => e.name === added.name))
      problems.push(`added ${added.name} (${added.entity_name}), another model's`);
  return problems;
}

/** Phases in which a running region waits for a person, and says why. */
const OPERATOR_WAITS: RegionPhase[] = ['rollback-failed', 'awaiting-approval'];

export interface InvariantResult {
  held: boolean;
  /** What was found wrong; empty when the invariant holds. */
  problems: string[];
  /** One line per region: what it serves and how the rollout left it. */
  regions: string[];
  /** `done: <outcome>` or `waiting: <region> <phase>: <reason>`. */
  state: string;
}

export interface RolloutUnderCheck {
  client: Client;
  rolloutId: string;
  plan: Plan;
  version: number;
  /** Each region's endpoint config before the rollout (read from the emulator by the test). */
  before: Record<string, EndpointConfig>;
  emulatorUrl: string;
}

/** The rollout's report when it has closed, else its live status. */
async function rolloutState(r: RolloutUnderCheck): Promise<{ closed: boolean; status: RolloutStatus | RolloutReport }> {
  const handle = r.client.workflow.getHandle(r.rolloutId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') return { closed: false, status: await handle.query(rolloutStatusQuery) };
  // An unsuccessful rollout fails its workflow with the report in the failure; anything else has none.
  if (description.status.name !== 'COMPLETED' && description.status.name !== 'FAILED')
    throw new Error(`rollout ${r.rolloutId} closed as ${description.status.name}, not with a report`);
  return { closed: true, status: await rolloutReport(handle) };
}

export async function checkRolloutInvariant(r: RolloutUnderCheck): Promise<InvariantResult> {
  const problems: string[] = [];
  const lines: string[] = [];
  let closed: boolean;
  let status: RolloutStatus | RolloutReport;
  try {
    ({ closed, status } = await rolloutState(r));
  } catch (err) {
    return { held: false, problems: [(err as Error).message], regions: [], state: 'unknown' };
  }
  const waiting: string[] = [];
  if (!closed) {
    for (const region of status.regions) {
      if (['promoted', 'unchanged', 'rolled-back', 'failed', 'skipped'].includes(region.phase)) continue;
      if (OPERATOR_WAITS.includes(region.phase) && (region.phase !== 'rollback-failed' || region.error?.trim()))
        waiting.push(`${region.region} ${region.phase}${region.error ? `: ${region.error}` : ''}`);
      else problems.push(`${region.region} is in ${region.phase}: neither finished nor waiting for an operator`);
    }
    if (waiting.length === 0 && problems.length === 0)
      problems.push(`the rollout is still running (${status.phase}) although no region waits for an operator`);
  }
  const endpoints = new Map<string, Record<string, EndpointState>>();
  for (const region of r.plan.regions) {
    if (!endpoints.has(region.endpoint))
      endpoints.set(region.endpoint, await readEndpoints(r.emulatorUrl, region.endpoint));
    const now = endpoints.get(region.endpoint)![region.name];
    const regionStatus = status.regions.find((x) => x.region === region.name) as RegionStatus & {
      outcome?: string;
      rollbackPoint?: EndpointConfig;
    };
    if (!now) {
      // A missing endpoint fails pre-flight: nothing was touched, so there is nothing to hold an invariant for.
      if (regionStatus.rollbackPoint)
        problems.push(`${region.name}/${region.endpoint} was touched but no longer exists in the emulator`);
      else lines.push(`${region.name}: ${region.endpoint} does not exist (untouched)`);
      continue;
    }
    const pre = regionStatus.rollbackPoint ?? r.before[region.name];
    const target = targetConfig(r.plan, region.name, r.version, pre);
    const others = { pre, model: modelNameInRegion(r.plan, region.name) };
    // Every update this rollout made here (after its rollback point, up to its last change) left other models alone.
    const rollbackPoint = regionStatus.rollbackPoint as EndpointSnapshot | undefined;
    for (const update of now.log)
      if (
        rollbackPoint &&
        regionStatus.configVersion !== undefined &&
        update.config_version > rollbackPoint.configVersion &&
        update.config_version <= regionStatus.configVersion
      )
        problems.push(
          ...otherModelsProblems(loggedConfig(update), others).map(
            (p) => `${region.name}/${region.endpoint}: update #${update.seq} ${p}`,
          ),
        );
    const serves = sameConfig(now.config, target) ? 'target' : sameConfig(now.config, pre) ? 'pre-rollout' : 'other';
    lines.push(
      `${region.name}: ${serves} (${describeConfig(now.config)}), ${regionStatus.outcome ?? regionStatus.phase}`,
    );
    if (!closed && OPERATOR_WAITS.includes(regionStatus.phase)) continue;
    problems.push(...otherModelsProblems(now.config, others).map((p) => `${region.name}/${region.endpoint} ${p}`));
    if (now.updating) problems.push(`${region.name}/${region.endpoint} still has a config update in progress`);
    if (serves === 'other')
      problems.push(
        `${region.name}/${region.endpoint} serves ${describeConfig(now.config)}: neither the pre-rollout config (${describeConfig(pre)}) nor the target (${describeConfig(target)})`,
      );
    const expected =
      regionStatus.outcome === 'promoted' || regionStatus.outcome === 'unchanged'
        ? 'target'
        : regionStatus.outcome
          ? 'pre-rollout'
          : undefined;
    // Where the rollout cannot share the endpoint its target is the pre-rollout config: either name fits.
    if (closed && expected && serves !== 'other' && serves !== expected && !sameConfig(target, pre))
      problems.push(`${region.name} reports ${regionStatus.outcome} but its endpoint serves the ${serves} config`);
  }
  return {
    held: problems.length === 0,
    problems,
    regions: lines,
    state: closed ? `done: ${(status as RolloutReport).outcome}` : `waiting: ${waiting.join('; ')}`,
  };
}

/**
 * Whether `updates` (one endpoint's log, in order) are a run of one rollout's planned configs that never goes back:
 * stage configs in plan order, then the promotion, then restores. A config re-applied after it was applied, or an
 * older stage's config after a newer one, is a problem; a retry after a failed or reverted update is not. With
 * `others`, an update that touched another model's served entity is one too.
 */
export function checkUpdateLog(updates: LoggedUpdate[], planned: EndpointConfig[], others?: OtherModels): string[] {
  const problems: string[] = [];
  let position = 0;
  let previous: LoggedUpdate | undefined;
  for (const update of updates) {
    const config = loggedConfig(update);
    if (others) problems.push(...otherModelsProblems(config, others).map((p) => `update #${update.seq} ${p}`));
    const matches = planned.map((p, i) => (sameConfig(p, config) ? i : -1)).filter((i) => i >= 0);
    const next = matches.find((i) => i >= position);
    if (next === undefined) {
      problems.push(
        `update #${update.seq} (${describeConfig(config)}) is ${matches.length ? 'an older step applied again after a newer one' : 'not one of the rollout’s configs'}`,
      );
      continue;
    }
    if (
      previous &&
      previous.outcome === 'applied' &&
      sameConfig(loggedConfig(previous), config) &&
      next < planned.length - 1
    )
      problems.push(`update #${update.seq} re-applies ${describeConfig(config)}, which #${previous.seq} had applied`);
    position = next;
    previous = update;
  }
  return problems;
}

/**
 * Two rollouts' updates on one endpoint never interleave: the log splits into a run that fits the first one's plan,
 * then a run that fits the second one's (in one of the two orders). Returns the problems of the best split.
 */
export function checkNoInterleaving(
  updates: LoggedUpdate[],
  a: { name: string; planned: EndpointConfig[]; others?: OtherModels },
  b: { name: string; planned: EndpointConfig[]; others?: OtherModels },
): string[] {
  let best: string[] | undefined;
  for (const [first, second] of [
    [a, b],
    [b, a],
  ])
    for (let k = 0; k <= updates.length; k++) {
      const problems = [
        ...checkUpdateLog(updates.slice(0, k), first.planned, first.others).map((p) => `${first.name}: ${p}`),
        ...checkUpdateLog(updates.slice(k), second.planned, second.others).map((p) => `${second.name}: ${p}`),
      ];
      if (!best || problems.length < best.length) best = problems;
      if (problems.length === 0) return [];
    }
  return best ?? [];
}

/**
 * For workflow tests on a rig: `startRollout` as in src/rollouts.ts, remembering each region's config before the
 * rollout; `invariantHolds()` then checks every rollout the test started since its last call (call it once they have ended).
 */
export function checkedRollouts(rig: () => { emu: RunningEmulator }) {
  const pending: (() => Promise<void>)[] = [];
  // Each test's rollouts are checked against that test's emulator only.
  beforeEach(() => {
    pending.length = 0;
  });
  return {
    startRollout: async (client: Client, input: RolloutInput) => {
      const { emu } = rig();
      const emulatorUrl = emu.url(emu.world.primary);
      const endpoints = await readEndpoints(emulatorUrl, input.plan.regions[0].endpoint);
      const before = Object.fromEntries(Object.entries(endpoints).map(([region, e]) => [region, e.config]));
      const started = await startRolloutOnly(client, input);
      pending.push(async () => {
        const { plan, version } = input;
        const result = await checkRolloutInvariant({
          client,
          rolloutId: started.workflowId,
          plan,
          version,
          before,
          emulatorUrl,
        });
        expect(result.problems).toEqual([]);
      });
      return started;
    },
    invariantHolds: async () => {
      for (const check of pending.splice(0)) await check();
    },
  };
}
