/**
 * The Markdown report `rollout start --wait` appends to GitHub's step summary (the file GITHUB_STEP_SUMMARY names):
 * the outcome, a table of regions (stages, weight, checks, approvals, duration), the Temporal UI link, and a Mermaid
 * Gantt chart of every region's timeline.
 *
 * Pure and deterministic: it reads only the report (and the plan, for stage counts), never the clock, the
 * environment or credentials. Every free text it prints (errors, check summaries, approvers, reasons) goes through the
 * Databricks client's `redact` and is escaped for Markdown or Mermaid, so a token echoed into an error message, or a
 * reason such as `[x](javascript:...)`, comes out as inert text.
 */
import { redact } from '../databricks/secret';
import { markdownText } from '../shared/untrusted-text';
import type { Plan } from '../plan/schema';
import { CRITICAL_PHASES, ENDED_REGION_PHASES, STAGE_PHASES } from '../shared/phases';
import { describeRegistryRecord } from '../shared/registry-outcome';
import { describeRelease, weightWithRelease } from '../shared/release';
import type { CheckResult, RefusedApproval, RegionReport, RolloutOutcome, RolloutReport } from '../shared/types';

export interface StepSummaryOptions {
  /** The Temporal Web UI's base URL, e.g. http://localhost:8233 or https://cloud.temporal.io (not a workflow link). */
  uiUrl?: string;
  /** The namespace the rollout runs in, for the UI link (default "default"). */
  namespace?: string;
  /** The plan the rollout ran: the table then counts stages out of the plan's and marks the primary. */
  plan?: Plan;
}

const OUTCOME_WORDS: Record<RolloutOutcome, string> = {
  succeeded: 'SUCCEEDED',
  'rolled-back': 'ROLLED BACK',
  'partially-failed': 'PARTIALLY FAILED',
  failed: 'FAILED',
  aborted: 'ABORTED',
  superseded: 'SUPERSEDED',
  refused: 'REFUSED',
};

// ---- Markdown ---------------------------------------------------------------------------------------------------

/** Free text as inert Markdown on one line: credentials redacted, controls and markup characters escaped. */
function text(value: string): string {
  return markdownText(redact(value));
}

/** An identifier (model, rollout id, region) in a code span, or as escaped text if it could break out of one. */
function code(value: string): string {
  return /^[^`|\n\r]+$/.test(value) ? `\`${value}\`` : text(value);
}

function duration(ms: number): string {
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/** Milliseconds since the epoch of a report timestamp; a clear error naming the field when it is not one. */
function time(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new Error(`${field}: "${value}" is not an ISO 8601 time; the report must come from the rollout workflow`);
  return ms;
}

function span(from: string | undefined, to: string | undefined, field: string): string {
  if (from === undefined || to === undefined) return 'n/a';
  return duration(Math.max(0, time(to, `${field}.finishedAt`) - time(from, `${field}.startedAt`)));
}

/** Stages the region entered, in order, from its timeline. */
function stagesWalked(region: RegionReport): string[] {
  const stages: string[] = [];
  for (const entry of region.timeline)
    if (entry.stage !== undefined && STAGE_PHASES.has(entry.phase) && !stages.includes(entry.stage))
      stages.push(entry.stage);
  return stages;
}

function checkLine(check: CheckResult): string {
  const where = check.stage ? ` (${text(check.stage)})` : '';
  const shown = check.failures.slice(0, 3).map(text).join(', ');
  const more = check.failures.length > 3 ? ` (+${check.failures.length - 3} more)` : '';
  const failures = check.failures.length ? `; failing: ${shown}${more}` : '';
  return `${check.passed ? 'PASS' : 'FAIL'} ${text(check.check)}${where}: ${text(check.summary)}${failures}`;
}

function approvalLine(approval: RegionReport['approvals'][number]): string {
  if (approval.decision === 'timed-out') return `${text(approval.stage)}: timed out without a decision`;
  const reason = approval.reason ? `: ${text(approval.reason)}` : '';
  return `${text(approval.stage)}: ${approval.decision} by ${text(approval.by)}${reason}`;
}

function refusedLine(refused: RefusedApproval): string {
  return `refused: ${text(refused.by)}${refused.stage ? ` (${text(refused.stage)})` : ''}: ${text(refused.why)}`;
}

function regionRow(
  region: RegionReport,
  index: number,
  plan: Plan | undefined,
  refusedByParent: RefusedApproval[],
): string {
  const field = `report.regions[${index}]`;
  const name = `${code(region.region)}${plan?.primary === region.region ? ' (primary)' : ''}`;
  const outcome = `${text(region.outcome)}${region.error ? `<br>${text(region.error)}` : ''}`;
  const walked = stagesWalked(region);
  const stages =
    (walked.length ? walked.map(text).join(' → ') : 'none') +
    (plan ? ` (${walked.length} of ${plan.stages.length})` : '');
  const checks = region.checks.length ? region.checks.map(checkLine).join('<br>') : 'none';
  // Approvals refused by the allow-list, sent to this region directly or to the whole rollout for it.
  const refused = [...(region.refusedApprovals ?? []), ...refusedByParent.filter((r) => r.region === region.region)];
  const lines = [...region.approvals.map(approvalLine), ...refused.map(refusedLine)];
  const approvals = lines.length ? lines.join('<br>') : 'none';
  const cells = [
    name,
    outcome,
    stages,
    text(weightWithRelease(region)),
    checks,
    approvals,
    span(region.startedAt, region.finishedAt, field),
  ];
  return `| ${cells.join(' | ')} |`;
}

function uiLink(report: RolloutReport, options: StepSummaryOptions): string | undefined {
  if (options.uiUrl === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(options.uiUrl);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.username || url.password)
    throw new Error(
      `options.uiUrl: "${options.uiUrl}" is not an http(s) URL without credentials; pass the Temporal Web UI's base, e.g. http://localhost:8233`,
    );
  if (/\/namespaces\//.test(url.pathname))
    throw new Error(
      `options.uiUrl: "${options.uiUrl}" is a page of the UI; pass the UI's base (e.g. ${url.origin}) and the namespace in options.namespace`,
    );
  const namespace = options.namespace ?? 'default';
  if (!namespace.trim())
    throw new Error('options.namespace: is empty; pass the rollout\'s Temporal namespace or omit it for "default"');
  const base = options.uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(report.rolloutId)}`;
}

// ---- Mermaid ----------------------------------------------------------------------------------------------------

/**
 * Words the Gantt lexer (case-insensitive, first matching rule wins) takes as a keyword at the start of a line, even
 * inside a longer word; a label starting with one gets its first character written as an entity.
 */
const GANTT_KEYWORDS =
  /^(gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes|todaymarker|weekday|title|accdescription|acctitle|accdescr|section|click|href|call|\d{4}-\d{2}-\d{2})/i;

/**
 * Text for a Gantt task label or section name. The Gantt lexer ends a label at `:` (task data follows), `#` (a
 * comment) and `;` (a statement separator), reads `%` after a first character as a comment, and a backtick could close
 * the Markdown fence; each of these is written as a Mermaid entity (`#58;` for `:`), which Mermaid decodes after
 * parsing. Newlines become spaces.
 */
export function mermaidText(value: string): string {
  const escaped = redact(value)
    .replace(/\s*\r?\n\s*/g, ' ')
    .trim()
    .replace(/[#:;%`]/g, (c) => `#${c.charCodeAt(0)};`);
  if (!escaped) return '#45;';
  return GANTT_KEYWORDS.test(escaped) ? `#${escaped.charCodeAt(0)};${escaped.slice(1)}` : escaped;
}

interface Task {
  label: string;
  start: number;
  end: number;
  milestone: boolean;
  critical: boolean;
}

/** One task per run of consecutive timeline entries with the same phase (and stage, for stage phases). */
function regionTasks(region: RegionReport, index: number, report: RolloutReport): Task[] {
  const field = `report.regions[${index}]`;
  const entries = region.timeline.map((entry, i) => ({
    ...entry,
    stage: STAGE_PHASES.has(entry.phase) ? entry.stage : undefined,
    ms: time(entry.at, `${field}.timeline[${i}].at`),
  }));
  const tasks: Task[] = [];
  entries.forEach((entry, i) => {
    const previous = entries[i - 1];
    if (previous && previous.phase === entry.phase && previous.stage === entry.stage) return;
    let next = i + 1;
    while (next < entries.length && entries[next].phase === entry.phase && entries[next].stage === entry.stage) next++;
    const last = next === entries.length;
    const milestone = last && ENDED_REGION_PHASES.has(entry.phase);
    const end = milestone
      ? entry.ms
      : last
        ? region.finishedAt !== undefined
          ? time(region.finishedAt, `${field}.finishedAt`)
          : time(report.finishedAt, 'report.finishedAt')
        : entries[next].ms;
    tasks.push({
      label: entry.stage !== undefined ? `${entry.stage}: ${entry.phase}` : entry.phase,
      start: entry.ms,
      // Times come from different workflows (a region's end from the parent's report): never draw a negative span.
      end: Math.max(entry.ms, end),
      milestone,
      critical: CRITICAL_PHASES.has(entry.phase),
    });
  });
  return tasks;
}

/** The Mermaid Gantt chart's lines (without the fence), or undefined when no region has a timeline. */
export function ganttLines(report: RolloutReport): string[] | undefined {
  const sections = report.regions.map((region, i) => ({ region, index: i, tasks: regionTasks(region, i, report) }));
  if (sections.every((s) => s.tasks.length === 0)) return undefined;
  const lines = ['gantt', '    dateFormat x', '    axisFormat %H:%M:%S', '    todayMarker off'];
  for (const { region, index, tasks } of sections) {
    if (!tasks.length) continue;
    lines.push(`    section ${mermaidText(region.region)}`);
    tasks.forEach((task, t) => {
      const tags = [task.critical ? 'crit' : '', task.milestone ? 'milestone' : ''].filter(Boolean);
      const data = [...tags, `r${index}t${t}`, String(task.start), String(task.end)].join(', ');
      lines.push(`    ${mermaidText(task.label)} :${data}`);
    });
  }
  return lines;
}

// ---- the report -------------------------------------------------------------------------------------------------

/** The Markdown step summary of a finished rollout (ends with a newline). */
export function renderStepSummary(report: RolloutReport, options: StepSummaryOptions = {}): string {
  const { plan } = options;
  const link = uiLink(report, options);
  const out: string[] = [];
  out.push(`## Rollout of ${code(report.model)} v${report.version}: ${OUTCOME_WORDS[report.outcome]}`, '');
  out.push(`- Rollout: ${code(report.rolloutId)}${link ? ` ([Temporal UI](${link}))` : ''}`);
  out.push(
    `- Started ${report.startedAt}, finished ${report.finishedAt}: ${span(report.startedAt, report.finishedAt, 'report')}`,
  );
  const counts = new Map<string, number>();
  for (const region of report.regions) counts.set(region.outcome, (counts.get(region.outcome) ?? 0) + 1);
  const n = report.regions.length;
  out.push(
    `- ${n} ${n === 1 ? 'region' : 'regions'}${n ? `: ${[...counts].map(([outcome, count]) => `${count} ${outcome}`).join(', ')}` : ''}`,
  );
  const release = describeRelease(report);
  if (release) out.push(`- ${text(release[0].toUpperCase() + release.slice(1))}`);
  for (const warning of report.warnings ?? []) out.push(`- Warning: ${text(warning)}`);
  // A region's own findings that did not stop it (e.g. a regression found after the rollback window of after_promotion).
  for (const region of report.regions)
    for (const warning of region.warnings ?? []) out.push(`- Warning (${code(region.region)}): ${text(warning)}`);
  if (report.registry) out.push(`- ${text(describeRegistryRecord(report.registry, report.version))}`);
  if (report.error) out.push(`- Error: ${text(report.error)}`);
  const refusedForAll = (report.refusedApprovals ?? []).filter((r) => r.region === undefined);
  if (refusedForAll.length)
    out.push(`- Approvals refused (not in the plan's approvals.allowed): ${refusedForAll.map(refusedLine).join('; ')}`);
  out.push('');

  if (n) {
    out.push(`| Region | Outcome | Stages | v${report.version} weight | Checks | Approvals | Duration |`);
    out.push('| --- | --- | --- | --- | --- | --- | --- |');
    report.regions.forEach((region, i) => out.push(regionRow(region, i, plan, report.refusedApprovals ?? [])));
    out.push('');
  }

  const gantt = ganttLines(report);
  out.push('### Timeline', '');
  if (gantt) out.push('```mermaid', ...gantt, '```');
  else out.push('No region started, so there is no timeline.');
  return out.join('\n') + '\n';
}
