/**
 * after_promotion's baseline: the current version's own live minutes from before the rollout changes anything, which
 * the watch after promotion judges the new version against. The metrics export shows only the last minute, so the
 * region records them itself: an activity on its queue, started with the region, reads the export each metric minute
 * while the region waits for replication (and the endpoint), and the region waits for it before its first change
 * (`recording-baseline` while it still runs; no extra wait when replication took longer than the baseline). Changes
 * `baseline.minutes`. Plans without after_promotion record nothing and run no command here.
 */
import * as wf from '@temporalio/workflow';
import type { RecordedMinute } from '../../activities/live-minutes';
import type { RegionContext } from './context';

export interface BaselineRecording {
  readonly done: Promise<RecordedMinute[]>;
  settled: boolean;
  /** Stops the recording (the region ends before it needs it). */
  cancel(): void;
}

/** Starts recording, when the plan watches after promotion; not awaited here. */
export function startBaseline({
  input,
  target,
  activities,
}: Pick<RegionContext, 'input' | 'target' | 'activities'>): BaselineRecording | undefined {
  const after = input.afterPromotion;
  if (!after) return undefined;
  const scope = new wf.CancellationScope();
  const done = scope.run(() =>
    activities.longRunning(after.baseline).recordBaseline.executeWithOptions(
      {
        summary: `${target.region}: record ${Math.round(after.baseline / 60_000)} minutes of live traffic before the rollout`,
      },
      [{ ...target, durationMs: after.baseline }],
    ),
  );
  const recording: BaselineRecording = { done, settled: false, cancel: () => scope.cancel() };
  // Awaited by `awaitBaseline`; until then a failure must not be an unhandled rejection.
  done.then(
    () => (recording.settled = true),
    () => (recording.settled = true),
  );
  return recording;
}

/** Waits for the recording (showing `recording-baseline` while it runs) and keeps its minutes. */
export async function awaitBaseline(
  { baseline, progress }: Pick<RegionContext, 'baseline' | 'progress'>,
  recording: BaselineRecording | undefined,
): Promise<void> {
  if (!recording) return;
  if (!recording.settled) await progress.setPhase('recording-baseline');
  baseline.minutes = await recording.done;
}
