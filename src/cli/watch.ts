/**
 * Showing a rollout's progress: in a terminal a compact table redrawn in place; elsewhere (CI logs) one plain line
 * per change, with no escape codes.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { describeChanges } from '../follow';
import { rolloutReport } from '../rollouts';
import { formatDurationMs } from '../shared/duration';
import { rolloutStatusQuery } from '../shared/messages';
import { failedNotifications } from '../shared/notifications';
import { describeRegistryRecord } from '../shared/registry-outcome';
import { describeRelease, weightWithRelease } from '../shared/release';
import type { RolloutReport, RolloutStatus } from '../shared/types';
import type { rolloutWorkflow } from '../workflows';
import type { Io } from './command';
import { textTable } from './table';
import { terminalLine } from '../shared/untrusted-text';

/** Rows of a compact per-region table. */
export function statusTable(status: RolloutStatus, now: number): string[] {
  const rows = status.regions.map((r) => {
    const lastCheck = r.checks.at(-1);
    return [
      r.region,
      r.phase + (r.paused ? ' (paused)' : ''),
      r.stage ?? '',
      weightWithRelease(r),
      formatDurationMs(Math.max(0, now - Date.parse(r.phaseSince))),
      lastCheck ? `${lastCheck.check}: ${lastCheck.passed ? 'ok' : 'FAILED'} (${lastCheck.summary})` : '',
    ];
  });
  const header = ['region', 'phase', 'stage', 'new', 'in phase', 'last check'];
  // Escaped cell by cell (before widths are measured): check summaries and errors come from endpoints and people.
  return [
    terminalLine(
      `${status.rolloutId}  ${status.phase}${status.outcome ? ` (${status.outcome})` : ''}${status.wave ? `  wave ${status.wave}` : ''}${status.paused ? '  PAUSED' : ''}`,
    ),
    ...textTable(
      header,
      rows.map((row) => row.map(terminalLine)),
    ),
    ...(status.release ? [terminalLine(describeRelease(status)!)] : []),
    ...(status.warnings ?? []).map((warning) => terminalLine(`warning: ${warning}`)),
    ...status.regions.flatMap((r) =>
      (r.warnings ?? []).map((warning) => terminalLine(`warning: ${r.region}: ${warning}`)),
    ),
    ...failedNotifications(status).map((failed) => terminalLine(failed)),
    ...(status.registry ? [terminalLine(describeRegistryRecord(status.registry, status.version))] : []),
    ...(status.error ? [terminalLine(`error: ${status.error}`)] : []),
  ];
}

/** When finished, `report` is the rollout's result (rejecting as the workflow failed), fetched once. */
export type WatchResult =
  | { finished: true; status?: RolloutStatus; report: Promise<RolloutReport> }
  | { finished: false; status?: RolloutStatus };

/**
 * Follows a rollout until it finishes or `deadline` (epoch ms) passes. In a terminal the table is redrawn in place;
 * otherwise each change is printed as a line.
 */
export async function watchRollout(
  handle: WorkflowHandle<typeof rolloutWorkflow>,
  io: Io,
  options: { deadline?: number; intervalMs?: number; onStatus?: (status: RolloutStatus) => Promise<void> | void } = {},
): Promise<WatchResult> {
  const tty = io.isTTY ?? !!process.stdout.isTTY;
  const result = rolloutReport(handle);
  let finished = false;
  void result.then(
    () => (finished = true),
    () => (finished = true),
  );
  let previous: RolloutStatus | undefined;
  let drawn = 0;
  for (;;) {
    let status: RolloutStatus | undefined;
    try {
      status = await handle.query(rolloutStatusQuery);
    } catch {
      // Closing between checks, or no worker to answer right now: try again.
    }
    if (status) {
      if (tty) {
        const lines = statusTable(status, Date.now());
        // Move up over the previous drawing and clear it, then draw anew.
        io.out(`${drawn ? `\x1b[${drawn}A\x1b[0J` : ''}${lines.join('\n')}\n`);
        drawn = lines.length;
      } else for (const line of describeChanges(previous, status)) io.out(`${line}\n`);
      previous = status;
      // After the lines: what the caller does about this status (the demo's approval) is told after what it saw.
      await options.onStatus?.(status);
    }
    if (finished) return { finished: true, status, report: result };
    if (options.deadline !== undefined && Date.now() >= options.deadline) return { finished: false, status };
    const wait = Math.min(
      options.intervalMs ?? 1000,
      options.deadline !== undefined ? Math.max(0, options.deadline - Date.now()) : Infinity,
    );
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, wait))]);
  }
}
