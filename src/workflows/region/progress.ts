/**
 * How a region tells what it is doing: the Temporal UI's Current Details, and a progress signal to the parent (which
 * keeps the newest by revision). Changes `status.phase`, `phaseSince`, `stage`, `timeline` and `revision`.
 */
import * as wf from '@temporalio/workflow';
import { regionStatusSignal } from '../../shared/messages';
import type { RegionPhase, RegionRolloutInput, RegionStatus } from '../../shared/types';
import { nowIso } from '../time';

const PROGRESS_SIGNALS_NOT_AWAITED = 'progress-signals-not-awaited';

export interface Progress {
  /** Shows the status in the UI and sends it to the parent. */
  publish(): Promise<void>;
  /** Enters a phase (and a stage, when given), recorded in the timeline, and publishes it. */
  setPhase(phase: RegionPhase, stage?: string): Promise<void>;
  /** Resolves when every progress signal sent so far has been delivered, or has failed. */
  settled(): Promise<unknown>;
}

export function createProgress(input: RegionRolloutInput, status: RegionStatus): Progress {
  const { region, version } = input;
  /** The progress signals to the parent still in flight. */
  const inFlight = new Set<Promise<unknown>>();

  async function publish() {
    wf.setCurrentDetails(
      [
        `**${region.name}** · ${status.phase}${status.stage ? ` · stage **${status.stage}**` : ''}`,
        `new version v${version} at **${status.challengerWeight}%** on \`${region.endpoint}\``,
        status.paused ? '⏸ paused' : '',
        status.error ? `error: ${status.error}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    status.revision = (status.revision ?? 0) + 1;
    // Run on its own (no parent), or the parent has closed: the signal fails and the query still answers.
    const sent: Promise<unknown> = wf
      .getExternalWorkflowHandle(input.parentWorkflowId)
      .signal(regionStatusSignal, { ...status }, ...(input.messageKey !== undefined ? [input.messageKey] : []))
      .catch(() => undefined)
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
    // Awaiting the signal cost a workflow task per phase change; the next command now leaves in the same task.
    // Rollouts started before this awaited it, and replay that way.
    if (!wf.patched(PROGRESS_SIGNALS_NOT_AWAITED)) await sent;
  }

  async function setPhase(phase: RegionPhase, stage?: string) {
    status.phase = phase;
    status.phaseSince = nowIso();
    if (stage !== undefined) status.stage = stage;
    status.timeline.push({ phase, stage: status.stage, at: status.phaseSince, weight: status.challengerWeight });
    await publish();
  }

  // The parent takes a stopped region's last state from these signals: they must arrive before the region closes.
  const settled = () => Promise.all(inFlight);

  return { publish, setPhase, settled };
}
