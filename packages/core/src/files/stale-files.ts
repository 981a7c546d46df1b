import fs from 'node:fs';
import type { FileReport } from '../report.js';
import { fileType, fingerprint } from './pid-file.js';
import { hasListener } from './socket-listener.js';

export interface StaleFile {
  path: string;
  /** Why it is a candidate, for the report ("stale socket", "corrupt pid file …"). */
  reason: string;
  /** Only a socket may be removed (a path taken from a daemon's --socket-path argument). */
  socketOnly?: boolean;
  /** Remove only while the file's `fingerprint()` is still this (what it was when judged stale). */
  unchangedSince?: string;
}

export interface RemoveContext {
  dryRun: boolean;
  ownUid: number;
  /**
   * For a dry run: whether the live listener on this socket is a daemon the sweep would stop (then the
   * socket would be stale afterwards). Undefined when the platform cannot tell.
   */
  listenerWillStop?: (path: string) => boolean | undefined;
  /** A scoped sweep: a live listener is another owner's daemon, expected, so the socket is `kept`. */
  scoped?: boolean;
  /** Why a live listener on this socket is one the sweep keeps (another live run's daemon), if it is. */
  keptListener?: (path: string) => string | undefined;
}

/**
 * Removes one file if it is safe: only a socket, regular file or symlink (a link is removed as a
 * link, never followed), never a directory, never another user's, never a socket someone still
 * listens on. A missing file is `absent`, not an error.
 */
export async function removeStale(file: StaleFile, context: RemoveContext): Promise<FileReport> {
  const { path } = file;
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(path);
  } catch {
    return { path, action: 'absent', reason: 'not there' };
  }
  const type = fileType(stat);
  const skip = (reason: string): FileReport => ({ path, action: 'skipped', reason });

  if (type === 'directory') return skip('is a directory; mcp-reaper never removes directories: check the name in `files`');
  if (file.socketOnly && type !== 'socket') {
    return skip(`is a ${type}, not a socket; a daemon's --socket-path is removed only when it is a socket`);
  }
  if (type !== 'socket' && type !== 'file' && type !== 'symlink') return skip(`is a ${type}; only sockets, files and symlinks are removed`);
  if (stat.uid !== context.ownUid) {
    return skip(`owned by uid ${stat.uid}, not by this user (uid ${context.ownUid}); remove it as that user`);
  }

  let reason = file.reason;
  if (type === 'socket' && (await hasListener(path))) {
    const willStop = context.dryRun ? context.listenerWillStop?.(path) : false;
    if (willStop === false) {
      if (context.scoped) return { path, action: 'kept', reason: "in use: a live process outside this sweep's scope listens on it" };
      const kept = context.keptListener?.(path);
      if (kept !== undefined) return { path, action: 'kept', reason: kept };
      return skip('a live process that is not a swept daemon listens on it; stop that process first, or sweep another --dir');
    }
    reason =
      willStop === true
        ? `${reason}; its listener is a daemon above`
        : `${reason}; it has a live listener now, and is removed only if none is left once the daemons above stop`;
  }
  if (context.dryRun) return { path, action: 'would-remove', reason };
  if (file.unchangedSince !== undefined && type === 'file' && fingerprint(path) !== file.unchangedSince) {
    return { path, action: 'kept', reason: 'rewritten during the sweep (a daemon started meanwhile): it is not stale any more' };
  }

  try {
    fs.unlinkSync(path); // unlink never follows a symlink: the link goes, its target stays
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, action: 'absent', reason: 'removed meanwhile (the daemon cleans up on exit)' };
    return skip(`could not remove it (${code ?? (error as Error).message}); check the directory's permissions`);
  }
  return { path, action: 'removed', reason };
}
