import * as wf from '@temporalio/workflow';

/** The message that explains a failure: an activity's or child's own error rather than "Activity task failed". */
export function describeFailure(err: unknown): string {
  let current: unknown = err;
  while ((current instanceof wf.ActivityFailure || current instanceof wf.ChildWorkflowFailure) && current.cause)
    current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** The failure type (ApplicationFailure.type) behind activity and child wrappers, if any. */
export function failureType(err: unknown): string | undefined {
  let current: unknown = err;
  while ((current instanceof wf.ActivityFailure || current instanceof wf.ChildWorkflowFailure) && current.cause)
    current = current.cause;
  return current instanceof wf.ApplicationFailure ? (current.type ?? undefined) : undefined;
}
