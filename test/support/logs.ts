/**
 * Log lines a test expects: kept (for it to assert) instead of printed, so a passing run prints no alarming
 * `[ERROR] rollback failed` for a rollback the test made fail on purpose.
 */
import { Runtime, type LogLevel } from '@temporalio/worker';

export interface ExpectedLogs {
  /** The messages kept, in order. */
  readonly kept: string[];
  /** Hands the logger back. */
  restore(): void;
}

/** From now until `restore()`, the runtime logger's messages at `level` that start with `prefix` are kept. */
export function keepExpectedLogs(level: LogLevel, prefix: string): ExpectedLogs {
  const logger = Runtime.instance().logger;
  const log = logger.log.bind(logger);
  const kept: string[] = [];
  logger.log = (at, message, meta) =>
    at === level && message.startsWith(prefix) ? void kept.push(message) : log(at, message, meta);
  return { kept, restore: () => (logger.log = log) };
}
