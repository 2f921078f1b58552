/** Workflow time: Date is deterministic (replayed from history) inside the workflow sandbox. */
export const nowIso = () => new Date().toISOString();
export const nowMs = () => new Date().getTime();
