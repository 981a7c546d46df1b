import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOG_DIR_PREFIX, LOG_FILE_NAME } from '../config/names.js';

/** How much of the end of the log is read for the last lines (a daemon's lines are short). */
const TAIL_BYTES = 16 * 1024;
const MAX_LINE_LENGTH = 400;

/**
 * Where a daemon's stdout and stderr go: a file, not a pipe. A pipe nobody drains fills up and blocks
 * the daemon, and an open pipe keeps the caller's event loop alive; a file descriptor handed to the
 * child costs the parent nothing once it is closed on our side.
 */
export interface OutputLog {
  readonly path: string;
  /** The temporary directory holding it, or undefined for a log the user named. */
  readonly tempDir: string | undefined;
  /** Where this process's output starts: a log the user named may hold earlier runs. */
  readonly start: number;
  /** Open for appending; give it to the child as stdout and stderr, then call `closeFd()`. */
  readonly fd: number;
  closeFd(): void;
  /** The last `count` non-empty lines written since the log was opened. */
  tail(count?: number): string[];
  /** What was written from byte `offset` on, and the offset it ends at; nothing when it cannot be read. */
  readFrom(offset: number): { text: string; end: number };
  /** Removes a temporary log (and its directory); a log the user named is kept. Idempotent. */
  dispose(): void;
}

/** Opens `userPath` for appending, or a fresh temporary file that `dispose()` removes. */
export function openOutputLog(userPath: string | undefined): OutputLog {
  const tempDir = userPath === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), LOG_DIR_PREFIX)) : undefined;
  const logPath = userPath ?? path.join(tempDir!, LOG_FILE_NAME);
  let fd: number | undefined;
  try {
    fd = fs.openSync(logPath, 'a', 0o600);
  } catch (error) {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    throw error;
  }
  // Only what this daemon writes: a kept log may hold earlier runs.
  const start = fs.fstatSync(fd).size;
  const openFd = fd;

  const closeFd = () => {
    if (fd === undefined) return;
    fs.closeSync(fd);
    fd = undefined;
  };

  const readFrom = (offset: number): { text: string; end: number } => {
    try {
      const size = fs.statSync(logPath).size;
      if (size <= offset) return { text: '', end: offset };
      const buffer = Buffer.alloc(size - offset);
      const readFd = fs.openSync(logPath, 'r');
      try {
        fs.readSync(readFd, buffer, 0, buffer.length, offset);
      } finally {
        fs.closeSync(readFd);
      }
      return { text: buffer.toString('utf8'), end: size };
    } catch {
      return { text: '', end: offset };
    }
  };

  return {
    path: logPath,
    start,
    readFrom,
    tempDir,
    fd: openFd,
    closeFd,
    tail(count = 20) {
      let size: number;
      try {
        size = fs.statSync(logPath).size;
      } catch {
        return []; // removed or unreadable: no lines to show, and no reason to hide the real error
      }
      const from = Math.max(start, size - TAIL_BYTES);
      const { text } = readFrom(from);
      const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
      // A read that started mid-file starts mid-line: drop that partial first line.
      if (from > start && lines.length > 1) lines.shift();
      return lines.slice(-count).map((line) => (line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}…` : line));
    },
    dispose() {
      closeFd();
      if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
