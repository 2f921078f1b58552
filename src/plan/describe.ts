/**
 * `rollout plan`: what a plan will do, region by region and stage by stage, and how long it can take.
 */
import { formatDurationMs } from '../shared/duration';
import { entitySettingSources, type EntitySetting } from '../shared/endpoint-config';
import type { BundleSource, WorkspaceSources } from './bundle';
import type { EdgeCase } from './edge-cases';
import { describeStageForecast, type StageForecast } from './judge-forecast';
import { estimateDuration, modelNameInRegion, resolveWaves, selectVersion, type VersionOverride } from './resolve';
import type { Plan, PlanRegion } from './schema';
import { describeRegistrySettings } from '../shared/registry-outcome';

export { estimateDuration, modelNameInRegion, resolveWaves, selectVersion } from './resolve';
export type { DurationEstimate, ResolvedWave, VersionOverride, VersionSelection } from './resolve';

const FAILURE_POLICIES: Record<Plan['failure_policy'], string> = {
  'rollback-region': 'only a region that fails is restored to the endpoint config recorded before the rollout',
  'rollback-all': 'when a region fails, every region this rollout touched is restored to its recorded config',
};

const CONCURRENT_POLICIES: Record<Plan['on_concurrent_rollout'], string> = {
  queue: 'wait until the other rollout of this model ends, then start',
  supersede: 'replace the other rollout of this model',
  refuse: 'refuse to start while another rollout of this model runs',
};

function workspace(region: PlanRegion, source: BundleSource | undefined): string {
  const from = !source
    ? ''
    : source.from === 'target'
      ? `; from target ${source.target} of the bundle ${source.bundle}`
      : `; from the top-level workspace of the bundle ${source.bundle} (its target ${source.target} sets none)`;
  if (region.workspace.profile !== undefined) return `profile ${region.workspace.profile} (~/.databrickscfg${from})`;
  // The schema refuses credentials in the URL, so it is safe to print.
  return `host ${region.workspace.host} (credentials from the worker's DATABRICKS_* environment${from})`;
}

const SETTING_LABELS: Record<EntitySetting, string> = {
  workload_size: 'workload size',
  workload_type: 'workload type',
  scale_to_zero_enabled: 'scale to zero',
  environment_vars: 'environment variables (secret references as written)',
  instance_profile_arn: 'instance profile',
  min_provisioned_concurrency: 'min/max provisioned concurrency',
  max_provisioned_concurrency: 'min/max provisioned concurrency',
  min_provisioned_throughput: 'min/max provisioned throughput',
  max_provisioned_throughput: 'min/max provisioned throughput',
  provisioned_model_units: 'provisioned model units',
  burst_scaling_enabled: 'burst scaling',
};

/**
 * What the new version's served entity carries: the settings the plan sets, then those it inherits from the entity
 * it replaces on the endpoint (the workspace is not read here; the rollout reads them from its rollback point).
 */
function servedEntity(region: PlanRegion): string[] {
  const entity = region.served_entity;
  const set = [
    entity.workload_size !== undefined && `workload size ${entity.workload_size}`,
    entity.workload_type !== undefined && `workload type ${entity.workload_type}`,
    entity.scale_to_zero_enabled !== undefined && `scale to zero ${entity.scale_to_zero_enabled ? 'on' : 'off'}`,
  ].filter((text): text is string => !!text);
  const inherited = [...new Set(entitySettingSources(entity).inherited.map((key) => SETTING_LABELS[key]))];
  return [
    set.length ? `the plan sets ${set.join(', ')}` : 'the plan sets nothing: every setting is inherited',
    `inherits from the entity it replaces: ${inherited.join(', ')}`,
    'with nothing to inherit from: workload size Small, workload type CPU, scale to zero off unless the plan sets them',
  ];
}

function versionLine(plan: Plan, override: VersionOverride): string {
  const selection = selectVersion(plan, override);
  if (!selection) return 'none chosen: the plan sets neither version nor alias; pass --version N or --alias A';
  const what =
    selection.kind === 'version' ? `${selection.version}` : `the version the alias "${selection.alias}" names`;
  return `${what} (from the ${selection.from})`;
}

const fmt = formatDurationMs;

/**
 * The text `rollout plan` prints: model and version, regions (and the bundle target a workspace came from, given
 * loadPlan's `workspaceSources`), waves, stages (with the canary judge's forecast, given `forecastStages`' result),
 * tests, policies, and the worst-case and expected durations with their arithmetic.
 */
export function describePlan(
  plan: Plan,
  edgeCases: EdgeCase[],
  override: VersionOverride = {},
  workspaceSources: WorkspaceSources = {},
  judgeForecasts: readonly StageForecast[] = [],
): string {
  const out: string[] = [];
  const line = (text = '') => out.push(text);

  line(`Rollout of ${plan.model}`);
  line(`  version: ${versionLine(plan, override)}`);
  line();

  line(`Regions (${plan.regions.length}; the model is registered in the primary, ${plan.primary})`);
  const label = Math.max(...['workspace', 'model', 'endpoint', 'served entity'].map((s) => s.length)) + 1;
  const field = (name: string, value: string) => line(`    ${`${name}:`.padEnd(label)} ${value}`);
  for (const region of plan.regions) {
    line(`  ${region.name}${region.name === plan.primary ? ' (primary)' : ''}`);
    field('workspace', workspace(region, workspaceSources[region.name]));
    const model = modelNameInRegion(plan, region.name);
    field(
      'model',
      region.name === plan.primary
        ? `${model} (registered here)`
        : `${model} (through the Delta Sharing catalog ${region.shared_catalog ?? ''})`,
    );
    field(
      'endpoint',
      region.replaces
        ? `${region.endpoint}, replacing its served entity ${region.replaces} (the others keep their traffic)`
        : region.endpoint,
    );
    const [first, ...more] = servedEntity(region);
    field('served entity', first);
    for (const text of more) line(`    ${' '.repeat(label)} ${text}`);
  }
  line();

  if (plan.release) {
    line(
      `Release: ${plan.release.length + 1} endpoints per region move together, stage by stage; if any fails, every one of them in that region is restored`,
    );
    line(`  ${plan.model}: the version rolled out, on each region's endpoint above`);
    for (const member of plan.release) {
      const model = member.model ?? plan.model;
      const version =
        member.alias !== undefined
          ? `the version alias ${member.alias} names in ${plan.primary}, read at pre-flight`
          : member.version !== undefined
            ? `v${member.version}`
            : 'the version rolled out';
      const probe = member.health ? `; health: ${member.health.queries} queries of its own input` : '';
      line(`  ${member.name}: ${model}, ${version}, on endpoint ${member.endpoint} in every region${probe}`);
    }
    line();
  }

  const waves = resolveWaves(plan);
  line(
    plan.waves
      ? 'Waves, in order (each starts when the one before has finished)'
      : 'Waves (the plan gives none: one wave of every region, in plan order)',
  );
  waves.forEach((wave, i) => {
    const at = wave.parallelism === wave.regions.length ? 'all at once' : `${wave.parallelism} at a time`;
    line(`  ${i + 1}. ${wave.name}: ${wave.regions.join(', ')} (${at})`);
  });
  line();

  line('Stages, in every region, once the version is READY there (replicas wait for Delta Sharing)');
  plan.stages.forEach((stage, i) => {
    line(`  ${i + 1}. ${stage.name}: ${stage.traffic}% of traffic to the new version, bake ${fmt(stage.bake)}`);
    line(`     gate: ${stage.gate.length > 0 ? stage.gate.join(', ') : 'none'}`);
    if (stage.ab) {
      const { metric, decide_by: decideBy, on_tie: onTie, alpha, probe_rps: probeRps } = stage.ab;
      line(
        `     A/B: the split stays fixed for ${fmt(stage.bake)}; compared on ${metric} (two-sided, α=${alpha}), ` +
          `probes ${probeRps} rps per version`,
      );
      line(
        decideBy === 'approval'
          ? '     winner: a person decides with the per-version report (approve: new version, reject: current)'
          : `     winner: the better version by the rule; on a tie: ${onTie}`,
      );
    }
    const judged = judgeForecasts.find((f) => f.index === i);
    if (judged) for (const text of describeStageForecast(judged)) line(`     ${text}`);
    if (stage.approval)
      line(`     approval: waits up to ${fmt(plan.timeouts.approval)} for a person; without one the region rolls back`);
  });
  line(`  then: promote to 100% (the new version alone; the previous one is removed)`);
  if (plan.after_promotion) for (const text of describeAfterPromotion(plan)) line(`  ${text}`);
  line();

  line('Tests');
  const { health, edge_cases: cases } = plan.tests;
  line(
    health
      ? `  health: ${health.queries} ${health.queries === 1 ? 'query' : 'queries'} straight to the new version with ${JSON.stringify(health.input)}`
      : '  health: none',
  );
  line(
    cases
      ? `  edge cases: ${edgeCases.length} from ${cases.file} (default tolerance ${cases.tolerance})`
      : '  edge cases: none',
  );
  const shadow = plan.tests.shadow;
  line(
    shadow
      ? `  shadow: before any user traffic, the new version at 0% scores the same inputs as the current one; ` +
          `at most ${(100 * shadow.max_disagreement).toFixed(1)}% may differ by more than ${shadow.tolerance}`
      : '  shadow: none',
  );
  line();

  line(`On failure: ${plan.failure_policy}: ${FAILURE_POLICIES[plan.failure_policy]}`);
  line(
    `If another version of ${plan.model} is rolling out: ${plan.on_concurrent_rollout}: ${CONCURRENT_POLICIES[plan.on_concurrent_rollout]}`,
  );
  line(`At the end: ${describeRegistrySettings(plan.registry, plan.primary)}`);
  line();

  const estimate = estimateDuration(plan);
  const { region } = estimate;
  line(`Worst-case duration: ${fmt(estimate.worstMs)} (every wait runs to its timeout)`);
  const stageTerms = region.stages.map((stage) => {
    const parts = [`config update ${fmt(stage.configUpdateMs)}`, `bake ${fmt(stage.bakeMs)}`];
    if (stage.approvalMs > 0) parts.push(`approval ${fmt(stage.approvalMs)}`);
    return `${stage.name} (${parts.join(' + ')})`;
  });
  const after = region.afterPromotion;
  const waitTerm = after
    ? `max(replication ${fmt(region.replicationMs)}, baseline ${fmt(after.baselineMs)})`
    : `replication ${fmt(region.replicationMs)}`;
  line(
    `  per region: ${waitTerm} + ${stageTerms.join(' + ')} + promotion config update ${fmt(region.promotionMs)}${after ? ` + watch ${fmt(after.watchMs)}` : ''} = ${fmt(region.worstMs)}`,
  );
  for (const wave of estimate.waves)
    line(
      `  wave ${wave.name}: ceil(${wave.regions} ${wave.regions === 1 ? 'region' : 'regions'} / ${wave.parallelism} at a time) = ${wave.batches} × ${fmt(region.worstMs)} = ${fmt(wave.worstMs)}`,
    );
  line(`  total: ${estimate.waves.map((wave) => fmt(wave.worstMs)).join(' + ')} = ${fmt(estimate.worstMs)}`);
  line('  (gate checks have no timeout in the plan and are not counted)');
  line(`Expected if nothing waits for a timeout: ${fmt(estimate.expectedMs)} (the bakes alone)`);
  const measured = [
    ...(after ? [`baseline ${fmt(after.baselineMs)}`] : []),
    ...region.stages.map((stage) => `${stage.name} ${fmt(stage.bakeMs)}`),
    ...(after ? [`watch ${fmt(after.watchMs)}`] : []),
  ];
  line(`  per region: ${measured.join(' + ')} = ${fmt(region.bakeMs)}`);
  line(
    `  total: ${estimate.waves.map((wave) => `${wave.name} ${wave.batches} × ${fmt(region.bakeMs)}`).join(' + ')} = ${fmt(estimate.expectedMs)}`,
  );
  return out.join('\n') + '\n';
}

/** The watch after promotion, for `rollout plan`: what is judged, against what, and what a regression does. */
function describeAfterPromotion(plan: Plan): string[] {
  const after = plan.after_promotion!;
  const margins = plan.tests.canary
    ? "tests.canary's margins"
    : "the canary judge's default margins (errors ×2 and +0.5 points, latency +10% at p50 and p99)";
  const window =
    after.rollback_window === after.watch
      ? `a clear regression restores the rollback point automatically at any time during the watch`
      : `a clear regression found within ${fmt(after.rollback_window)} of the promotion restores the rollback point automatically; one found later is reported as a warning and the version stays`;
  return [
    `then: watch ${fmt(after.watch)} at 100%: the new version's live traffic, minute by minute, against the current version's own ${fmt(after.baseline)} recorded before the first change (while the region waits for replication), judged with ${margins}`,
    `  ${window}; the region keeps the endpoint until the watch ends (the next wave waits for it)`,
  ];
}
