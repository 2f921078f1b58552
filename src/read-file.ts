/**
 * Reading a file a user names (a plan, its edge-case file, its bundle) without trusting what the path leads to:
 * /dev/zero or a symlink to it never ends, a FIFO blocks forever on open, /proc files report size 0. So the file is
 * opened without blocking (O_NONBLOCK: a FIFO with no writer opens at once), checked on the opened handle (fstat, so
 * a swapped symlink cannot slip between check and read), refused unless it is a regular file, and read for at most
 * `limit + 1` bytes whatever its reported size.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export type BoundedRead =
  | { ok: true; bytes: Buffer }
  | {
      ok: false;
      reason: 'too-big';
      size: number;
      /** false: the file said less, and held at least `size` */ exact: boolean;
    }
  | { ok: false; reason: 'not-regular'; kind: string }
  | { ok: false; reason: 'unreadable'; message: string; code?: string };

/** What a non-regular file is, in words. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Reads at most `limit` bytes of the regular file at `path` (following symlinks); never blocks, never reads more. */
export function readBounded(path: string, limit: number): BoundedRead {
  let fd: number;
  try {
    // O_NONBLOCK is 0 where the platform has none (Windows), which has no FIFOs to block on either.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return {
      ok: false,
      reason: 'unreadable',
      message: (err as Error).message,
      code: (err as NodeJS.ErrnoException).code,
    };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, reason: 'not-regular', kind: kindOf(stats) };
    // Checked before reading, so a huge file is not read; the read is bounded too (it may grow, or lie: /proc).
    if (stats.size > limit) return { ok: false, reason: 'too-big', size: stats.size, exact: true };
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > limit) return { ok: false, reason: 'too-big', size: length, exact: false };
    }
    return { ok: true, bytes: buffer.subarray(0, length) };
  } catch (err) {
    return { ok: false, reason: 'unreadable', message: (err as Error).message };
  } finally {
    closeSync(fd);
  }
}
