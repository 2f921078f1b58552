/** Workflows run on the control queue; each region's activities on its own queue, so a worker inside that region's
 * network can serve them. */
export const CONTROL_TASK_QUEUE = 'rollout-control';

export function regionTaskQueue(region: string): string {
  return `rollout-${region}`;
}
