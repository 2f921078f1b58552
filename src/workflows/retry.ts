import * as wf from '@temporalio/workflow';

/** Attempts at restoring a rollback point before it is handed to an operator, and the durable wait between them. */
export const ROLLBACK_ATTEMPTS = 3;
export const ROLLBACK_BACKOFF_MS = 2000;

/**
 * Runs `attempt` up to `times` times, sleeping (a durable timer) `backoffMs × n` after the n-th failure; rethrows
 * the last failure. Activity retries already cover transient errors; this also retries the ones an activity
 * reports as final for its own purpose, such as an UPDATE_FAILED while restoring a config.
 */
export async function withAttempts<T>(
  times: number,
  backoffMs: number,
  attempt: () => Promise<T>,
  worthRetrying: (err: unknown) => boolean = () => true,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= times || wf.isCancellation(err) || !worthRetrying(err)) throw err;
      await wf.sleep(backoffMs * n);
    }
  }
}
