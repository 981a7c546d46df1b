import type { FileReport } from '../report.js';
import { matchDaemon } from '../processes/match.js';
import { commandLine, isDead, type ProcessInfo } from '../processes/process-info.js';
import { readPidFile } from './pid-file.js';
import type { StaleFile } from './stale-files.js';

export interface PidFileContext {
  pidMax: number;
  names: ReadonlySet<string>;
  /** The process with this pid, command line included, or undefined when there is none. */
  lookup: (pid: number) => Promise<ProcessInfo | undefined>;
  /** Pids this sweep stops. */
  stopping: ReadonlySet<number>;
  /** Why a matching process is left alone (kept or skipped), by pid. */
  leftAlone: ReadonlyMap<number, string>;
}

/** Either the pid file should go (with why), or a report saying why it stays. */
export type PidFileVerdict = { remove: StaleFile } | { keep: FileReport };

// A process that started more than this after its pid file was written cannot be the one that wrote
// it. The slack absorbs clock granularity: Linux knows boot time to the second, macOS `ps` start times too.
const START_SLACK_MS = 1000;

/** Whether the process at a pid file's pid started too late to have written the file: the pid was reused. */
export function startedAfterPidFile(info: Pick<ProcessInfo, 'startedAt'>, mtimeMs: number): boolean {
  return info.startedAt > mtimeMs + START_SLACK_MS;
}

/** A time for reports: `2026-11-25 11:42:04 UTC`. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/**
 * Step 3 of a sweep: what the pid file says and whether it is still true. A pid file is believed only
 * when the pid it names is a matching daemon that started before the file was written; anything else
 * (corrupt, dead pid, pid now used by another process) makes it stale.
 */
export async function checkPidFile(path: string, context: PidFileContext): Promise<PidFileVerdict> {
  const state = readPidFile(path, context.pidMax);
  // Removed only if it still says the same when its turn comes: a daemon that starts meanwhile
  // (or a supervisor's respawn) writes a fresh pid file that is not ours to delete.
  const seen = state.kind === 'corrupt' || state.kind === 'valid' ? state.fingerprint : undefined;
  const remove = (reason: string): PidFileVerdict => ({ remove: { path, reason, ...(seen !== undefined && { unchangedSince: seen }) } });
  switch (state.kind) {
    case 'absent':
      return { keep: { path, action: 'absent', reason: 'not there' } };
    case 'unreadable':
      // Which pid it names cannot be told, so neither can whether it is stale: it stays.
      return { keep: { path, action: 'skipped', reason: `cannot be read (uid ${state.uid} owns it); check its permissions, or run mcp-reaper as its owner` } };
    case 'not-a-file':
      // A symlink is removed as a link below; a directory or device is refused there.
      return remove(`a ${state.type} where the pid file should be`);
    case 'corrupt':
      return remove(
        `corrupt pid file (${JSON.stringify(state.content.slice(0, 40))}, expected a pid from 2 to ${context.pidMax})`,
      );
    case 'valid':
      break;
  }

  const { pid, mtimeMs } = state;
  const info = await context.lookup(pid);
  if (isDead(info)) return remove(`stale: names pid ${pid}, which is not running`);
  const now = `\`${commandLine(info!).slice(0, 80)}\``;
  if (!matchDaemon(info!, context.names)) {
    return remove(`stale: names pid ${pid}, which is now ${now}, not a daemon (the pid was reused)`);
  }
  if (startedAfterPidFile(info!, mtimeMs)) {
    return remove(
      `stale: names pid ${pid}, now ${now} started ${formatTime(info!.startedAt)}, after the pid file was written ${formatTime(mtimeMs)} (the pid was reused)`,
    );
  }
  if (context.stopping.has(pid)) return remove(`names daemon ${pid}, stopped by this sweep`);
  // Not stale: it names a live daemon this sweep leaves alone (kept, skipped, or outside its scope).
  const why = context.leftAlone.get(pid) ?? "it is outside this sweep's scope";
  return { keep: { path, action: 'kept', reason: `names live daemon ${pid}, left alone because ${why}` } };
}
