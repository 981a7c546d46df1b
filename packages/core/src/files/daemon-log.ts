import fs from 'node:fs';
import path from 'node:path';
import { debuglog } from 'node:util';
import { LOG_DIR_ENV, LOG_DIR_PREFIX, LOG_FILE_NAME } from '../config/names.js';
import type { FileReport } from '../report.js';

const debug = debuglog('mcp-reaper');

const TEMP_DIR_NAME = new RegExp(`^${LOG_DIR_PREFIX}[A-Za-z0-9]{6}$`);

// `startDaemon()` sets LOG_DIR_ENV on a daemon whose output goes to a temporary log. A daemon stopped by
// something other than its handle (a leak check's sweep, the watchdog after the runner was killed)
// would otherwise leave that directory in the temp dir forever, so the sweep that stops it reads the
// variable (before the kill, as it reads the owner tag) and removes the directory after.

/**
 * Removes a daemon's temporary log directory, once the daemon is gone. The path comes from a
 * process's environment, which anyone can set, so only exactly what `startDaemon()` makes is removed:
 * an absolute path named like its temp dirs, a real directory (not a link) of this user's, holding
 * nothing but the log file. Anything else is left alone and not reported: it is not a stale file the
 * user asked about, and a daemon stopped by its handle has no directory left by now.
 */
export function removeDaemonLog(dir: string, daemonPid: number, context: { dryRun: boolean; ownUid: number }): FileReport | undefined {
  const notOurs = (why: string) => {
    debug('leaving %s (%s of daemon %d) alone: %s', dir, LOG_DIR_ENV, daemonPid, why);
    return undefined;
  };
  if (!path.isAbsolute(dir) || !TEMP_DIR_NAME.test(path.basename(dir))) return notOurs('not a startDaemon() temp dir name');
  let entries: fs.Dirent[];
  try {
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory()) return notOurs('not a directory');
    if (stat.uid !== context.ownUid) return notOurs(`owned by uid ${stat.uid}`);
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined; // gone already (its handle stopped it), or unreadable: nothing to clean
  }
  if (entries.some((e) => e.name !== LOG_FILE_NAME || !e.isFile())) return notOurs('holds more than its output log');

  const reason = `temporary output log of daemon ${daemonPid} (started by startDaemon)`;
  if (context.dryRun) return { path: dir, action: 'would-remove', reason };
  try {
    fs.rmSync(path.join(dir, LOG_FILE_NAME), { force: true });
    fs.rmdirSync(dir); // not recursive: a file that appeared meanwhile keeps the directory
  } catch (error) {
    return notOurs(`could not remove it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return { path: dir, action: 'removed', reason };
}
