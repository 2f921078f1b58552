/**
 * Messages refused because they did not come from the workflow that owns them (no message key, a wrong one): each is
 * recorded where a person looks (the status, the workflow's log), and only the newest few are kept so that a flood
 * of forgeries cannot grow the history without bound.
 */
import * as wf from '@temporalio/workflow';
import type { RefusedMessages } from '../shared/types';
import { nowIso } from './time';

const KEEP = 20;

export class MessageRefusals {
  constructor(private readonly holder: { refusedMessages?: RefusedMessages } = {}) {}

  record(message: string, why: string): void {
    const refused = (this.holder.refusedMessages ??= { count: 0, newest: [] });
    refused.count++;
    refused.newest = [...refused.newest, { message, at: nowIso(), why }].slice(-KEEP);
    wf.log.warn(`refused a ${message} message: ${why}`);
  }

  summary(): RefusedMessages {
    return this.holder.refusedMessages ?? { count: 0, newest: [] };
  }
}

/** Whether a message carries the expected key. Without an expected key (a workflow from before keys) all pass. */
export function carriesKey(expected: string | undefined, keyed: boolean, key: unknown): boolean {
  return !keyed || (expected !== undefined && key === expected);
}
