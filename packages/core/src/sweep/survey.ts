import path from 'node:path';
import { debuglog } from 'node:util';
import { checkPidFile, type PidFileVerdict } from '../files/check-pid-file.js';
import { LOG_DIR_ENV } from '../files/daemon-log.js';
import type { StaleFile } from '../files/stale-files.js';
import { planKills, type KillPlan } from '../kill/kill-plan.js';
import type { ResolvedSweepOptions } from '../options.js';
import { mayBeRestarted } from '../kill/find-respawned.js';
import { findLeftovers, isOrphaned, type LeftAlone, type Leftover } from '../processes/find-leftovers.js';
import { matchDaemon, mayMatch } from '../processes/match.js';
import { commandLine, isDead, type ProcessInfo, type ProcessSource } from '../processes/process-info.js';
import { ProcessTree } from '../processes/process-tree.js';
import { protectedSet, type ProtectedSet } from '../processes/protected-set.js';
import { isScoped, scopeReason, type Scope } from '../processes/scope.js';

const debug = debuglog('mcp-reaper');

// The whole table is for relations (parents, descendants, groups): the command lines that matter
// were read with the candidates, and reports re-read the rest for what they show.
export const NO_ARGV = () => false;

/**
 * Everything a sweep learns before it sends any signal. What a daemon was started with (its socket,
 * cwd, environment, full command line) and what the pid file names can only be read while it runs.
 */
export interface Survey {
  names: Set<string>;
  ownUid: number;
  /** One owner's or one process's daemons only: nothing outside the scope is touched or reported. */
  scoped: boolean;
  guard: ProtectedSet;
  leftovers: Leftover[];
  /** Matches that are not leftovers (kept) or may not be touched (skipped). */
  leftAlone: LeftAlone[];
  plan: KillPlan;
  /** Pids of every process the plan stops. */
  stopping: Set<number>;
  /** The leftovers' --socket-path sockets, resolved to absolute paths. */
  sockets: StaleFile[];
  /** Temporary log directories of leftovers that `startDaemon()` started. */
  logDirs: Array<{ pid: number; dir: string }>;
  /** The leftovers something could restart (see mayBeRestarted): watched for a respawn after the stop. */
  respawnWatch: ProcessInfo[];
  /** The pid file (when it is one of `files`) and what to do with it. */
  pidFile: { name: string; verdict: PidFileVerdict } | undefined;
  /** The full command line of a process, as read before any signal. */
  commandOf(info: ProcessInfo): string;
}

/** Command lines of these processes, re-read in full where they are still the same processes. */
async function commandLines(processes: readonly ProcessInfo[], source: ProcessSource): Promise<Map<number, string>> {
  const now = processes.length === 0 ? new Map<number, ProcessInfo>() : await source.probe(processes.map((p) => p.pid));
  const lines = new Map<number, string>();
  for (const info of processes) {
    const current = now.get(info.pid);
    lines.set(info.pid, commandLine(current?.startKey === info.startKey && current.argv.length > 0 ? current : info));
  }
  return lines;
}

/** The sockets the leftover daemons were started with, resolved now: their cwd is gone once they are. */
async function daemonSockets(leftovers: readonly Leftover[], source: ProcessSource): Promise<StaleFile[]> {
  const sockets: StaleFile[] = [];
  for (const { info, match } of leftovers) {
    if (!match.socketPath) continue;
    const cwd = path.isAbsolute(match.socketPath) ? '/' : await source.readCwd(info.pid);
    if (cwd === undefined) {
      debug('cannot resolve relative --socket-path %s of %d: cwd unknown', match.socketPath, info.pid);
      continue;
    }
    sockets.push({
      path: path.resolve(cwd, match.socketPath),
      reason: `--socket-path of daemon ${info.pid}`,
      socketOnly: true,
    });
  }
  return sockets;
}

/** The temporary log directories of daemons that `startDaemon()` started, read while they still run. */
async function daemonLogDirs(leftovers: readonly Leftover[], source: ProcessSource): Promise<Array<{ pid: number; dir: string }>> {
  const dirs: Array<{ pid: number; dir: string }> = [];
  for (const { info } of leftovers) {
    const dir = await source.readEnv(info.pid, LOG_DIR_ENV);
    if (dir) dirs.push({ pid: info.pid, dir });
  }
  return dirs;
}

/** Finds the leftover daemons, plans their stop, and reads all that must be read before it. */
export async function survey(opts: ResolvedSweepOptions, source: ProcessSource): Promise<Survey> {
  const ownUid = process.getuid!();
  const names = new Set(opts.names);

  // First only the processes whose kernel name can match (see mayMatch), which is cheap; the whole
  // table (parents, ancestors, descendants, groups) only when one of them does match.
  const matches = (await source.find((kernelName) => mayMatch(kernelName, names))).filter(
    (info) => !isDead(info) && matchDaemon(info, names),
  );
  const tree = new ProcessTree(matches.length === 0 ? [] : await source.list(NO_ARGV));
  const guard = protectedSet(tree);

  // A scoped sweep (one owner's or one process's daemons) sees nothing else: another worker's
  // daemons are not even reported.
  const scope: Scope = { owner: opts.owner, descendantsOf: opts.descendantsOf };
  const scoped = isScoped(scope);
  const owned = new Map<number, string>();
  if (scoped) {
    for (const info of matches) {
      const reason = await scopeReason(info, scope, tree, source);
      if (reason !== undefined) owned.set(info.pid, reason);
    }
  }
  const inScope = scoped ? matches.filter((info) => owned.has(info.pid)) : matches;
  const { leftovers, leftAlone } = await findLeftovers(inScope, tree, names, guard, ownUid, source, scoped ? owned : undefined);
  const plan = await planKills(leftovers, tree, guard, ownUid, source);
  const stopping = new Set(plan.targets.map((t) => t.pid));

  // Full command lines for the report (the scan skipped most).
  const commands = await commandLines([...plan.targets, ...plan.leftAlone.map((l) => l.info)], source);

  const pidFileName = opts.files.includes(opts.pidFile) ? opts.pidFile : undefined;
  const pidFile =
    pidFileName === undefined
      ? undefined
      : {
          name: pidFileName,
          verdict: await checkPidFile(path.join(opts.dir, pidFileName), {
            pidMax: source.pidMax,
            names,
            lookup: async (pid) => (await source.probe([pid])).get(pid),
            stopping,
            leftAlone: new Map(leftAlone.map((l) => [l.info.pid, l.reason])),
          }),
        };

  return {
    names,
    ownUid,
    scoped,
    guard,
    leftovers,
    leftAlone,
    plan,
    stopping,
    sockets: await daemonSockets(leftovers, source),
    logDirs: await daemonLogDirs(leftovers, source),
    // Judged now: an orphan's cgroup (a systemd unit?) cannot be read once it is gone.
    respawnWatch:
      opts.respawnWindowMs > 0 ? leftovers.map((l) => l.info).filter((info) => mayBeRestarted(info, isOrphaned(info, tree), source.platform)) : [],
    pidFile,
    commandOf: (info) => commands.get(info.pid) ?? commandLine(info),
  };
}
