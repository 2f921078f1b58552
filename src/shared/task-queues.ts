/** Workflows run on the control queue; each region's activities on its own queue, so a worker inside that region's
 * network can serve them. */
export const CONTROL_TASK_QUEUE = 'rollout-control';

export function regionTaskQueue(region: string): string {
  return `rollout-${region}`;
}

/** The region whose queue this is, or undefined for the control queue (and any other). */
export function regionOfTaskQueue(taskQueue: string): string | undefined {
  if (taskQueue === CONTROL_TASK_QUEUE || !taskQueue.startsWith('rollout-')) return undefined;
  return taskQueue.slice('rollout-'.length);
}
