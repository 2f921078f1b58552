/** Workflows run on the control queue; each region's activities on its own queue, so a worker inside that region's
 * network can serve them. */
export const CONTROL_TASK_QUEUE = 'rollout-control';

export function regionTaskQueue(region: string): string {
  return `rollout-${region}`;
}

/** The region a region queue serves; undefined for the control queue and any other. */
export function regionOfTaskQueue(taskQueue: string): string | undefined {
  return taskQueue !== CONTROL_TASK_QUEUE && taskQueue.startsWith('rollout-')
    ? taskQueue.slice('rollout-'.length)
    : undefined;
}
