import { debuglog } from 'node:util';
import { readPidFile } from '../files/pid-file.js';
import { removeStale } from '../files/stale-files.js';
import { terminate } from '../kill/terminate.js';
import { commandLine, isDead, type ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { sweepReport, type FileReport, type ProcessReport, type SweepReport } from '../report.js';

const debug = debuglog('mcp-reaper');

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupStop {
  /** The daemon we spawned: the leader of its own process group (pgid === pid). */
  pid: number;
  /** Its command line, for the report when it is already gone. */
  command: string;
  /** How it exited, when it already has. */
  exit: DaemonExit | undefined;
  source: ProcessSource;
  graceMs: number;
  killWaitMs: number;
  /** Its socket, removed when it is one and nobody listens on it any more. */
  socketPath?: string;
  /** Its pid file, removed when it names this daemon or a process that is gone. */
  pidFilePath?: string;
}

export function describeExit(exit: DaemonExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * The live members of the daemon's process group. The group id is the daemon's pid, which the kernel
 * does not hand out again while any member of the group lives, so every process with this pgid is
 * ours; the one exception, a new process that got the pid after the whole group was gone, is its own
 * leader, and is excluded once we know our leader has exited.
 */
async function groupMembers(stop: GroupStop, leaderExited: boolean): Promise<ProcessInfo[]> {
  // No command lines in the scan: the group id is all that is needed here.
  const all = await stop.source.list(() => false);
  return all.filter((p) => p.pgid === stop.pid && !isDead(p) && !(leaderExited && p.pid === stop.pid));
}

/** The daemon's pid file is removed only when it names this daemon or a process that is gone. */
async function pidFileCandidate(stop: GroupStop & { pidFilePath: string }): Promise<string | 'absent' | undefined> {
  const state = readPidFile(stop.pidFilePath, stop.source.pidMax);
  if (state.kind === 'absent') return 'absent';
  if (state.kind !== 'valid') return undefined; // absent, or not a pid file we can judge: not ours to remove
  if (state.pid === stop.pid) return `names daemon ${stop.pid}`;
  const now = (await stop.source.probe([state.pid])).get(state.pid);
  return isDead(now) ? `stale: names pid ${state.pid}, which is not running` : undefined;
}

/**
 * Stops the whole process group of a daemon started by `startDaemon()` (SIGTERM, grace, SIGKILL,
 * each verified, through the same engine as `sweep()`), then removes its socket and pid file, and
 * reports it all as a sweep does. Processes the daemon started in a session of their own are not in
 * its group and are not stopped here; a sweep finds them.
 */
export async function stopDaemonGroup(stop: GroupStop): Promise<SweepReport> {
  const startedAt = performance.now();
  const { pid, source } = stop;
  const leaderExited = stop.exit !== undefined;
  const targets = await groupMembers(stop, leaderExited);
  // Command lines for the report, read before any signal.
  const seen = targets.length === 0 ? new Map<number, ProcessInfo>() : await source.probe(targets.map((t) => t.pid));
  const commandOf = (info: ProcessInfo) => {
    const now = seen.get(info.pid);
    return now?.startKey === info.startKey && now.argv.length > 0 ? commandLine(now) : info.pid === pid ? stop.command : commandLine(info);
  };

  const outcomes = await terminate(targets, {
    source,
    graceMs: stop.graceMs,
    killWaitMs: stop.killWaitMs,
    groups: new Set([pid]),
    // The group may have grown during the grace period: whatever is in it now goes too.
    findLate: () => groupMembers(stop, leaderExited),
  });
  debug('stopped group %d: %d processes', pid, outcomes.length);

  const processes: ProcessReport[] = outcomes.map(({ info, action, signal, reason }) => ({
    pid: info.pid,
    command: commandOf(info),
    action,
    ...(signal && { signal }),
    reason: `${info.pid === pid ? 'daemon started by startDaemon()' : `in the process group of daemon ${pid}`}: ${reason}`,
    ...(info.pid !== pid && { parentDaemon: pid }),
  }));
  if (stop.exit && !processes.some((p) => p.pid === pid)) {
    processes.unshift({
      pid,
      command: stop.command,
      action: 'terminated',
      reason: `daemon started by startDaemon(): had already exited (it ${describeExit(stop.exit)})`,
    });
  }

  const context = { dryRun: false, ownUid: process.getuid!() };
  const files: FileReport[] = [];
  // Only a socket: a file of another kind at this path was not made by the daemon.
  if (stop.socketPath !== undefined) {
    files.push(await removeStale({ path: stop.socketPath, reason: `socket of daemon ${pid}`, socketOnly: true }, context));
  }
  if (stop.pidFilePath !== undefined) {
    const pidFilePath = stop.pidFilePath;
    const pidFileReason = await pidFileCandidate({ ...stop, pidFilePath });
    if (pidFileReason === 'absent') files.push({ path: pidFilePath, action: 'absent', reason: 'not there' });
    else if (pidFileReason !== undefined) files.push(await removeStale({ path: pidFilePath, reason: pidFileReason }, context));
  }

  return sweepReport({ dryRun: false, durationMs: Math.round((performance.now() - startedAt) * 10) / 10, processes, files });
}
