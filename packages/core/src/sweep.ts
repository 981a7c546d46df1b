import path from 'node:path';
import { debuglog } from 'node:util';
import { checkPidFile } from './files/check-pid-file.js';
import { LOG_DIR_ENV, removeDaemonLog } from './files/daemon-log.js';
import { holdsSocket, listeningInodes } from './files/socket-listener.js';
import { removeStale, type RemoveContext, type StaleFile } from './files/stale-files.js';
import { planKills } from './kill/kill-plan.js';
import { findRespawned } from './kill/find-respawned.js';
import { terminate } from './kill/terminate.js';
import { resolveSweepOptions, type SweepOptions } from './options.js';
import { findLeftovers, type Leftover } from './processes/find-leftovers.js';
import { matchDaemon, mayMatch } from './processes/match.js';
import { commandLine, isDead, type ProcessInfo, type ProcessSource } from './processes/process-info.js';
import { defaultProcessSource } from './processes/process-source.js';
import { ProcessTree } from './processes/process-tree.js';
import { protectedSet } from './processes/protected-set.js';
import { isScoped, scopeReason, type Scope } from './processes/scope.js';
import { isClean, type FileReport, type ProcessReport, type SweepReport } from './report.js';

const debug = debuglog('mcp-reaper');

// The whole table is for relations (parents, descendants, groups): the command lines that matter
// were read with the candidates, and reports re-read the rest for what they show.
const NO_ARGV = () => false;

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

/**
 * Finds the leftover daemons, stops them (SIGTERM, grace, SIGKILL, verified) with their descendants,
 * and removes their stale socket and pid files. Never touches pid 1, itself, its ancestors, its own
 * process group or another user's processes and files. Resolves to a report of everything it did or,
 * with `dryRun`, would do.
 */
export async function sweep(options: SweepOptions = {}): Promise<SweepReport> {
  const startedAt = performance.now();
  const opts = resolveSweepOptions(options);
  const source = opts.source ?? defaultProcessSource();
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
  const sockets = await daemonSockets(leftovers, source);
  const logDirs = await daemonLogDirs(leftovers, source);

  // Full command lines for the report, read before anything is stopped (the scan skipped most).
  const commands = await commandLines([...plan.targets, ...plan.leftAlone.map((l) => l.info)], source);
  const commandOf = (info: ProcessInfo) => commands.get(info.pid) ?? commandLine(info);

  // Read the pid file before anything is stopped, so the report says what it named.
  const pidFileName = opts.files.includes(opts.pidFile) ? opts.pidFile : undefined;
  const pidVerdict =
    pidFileName === undefined
      ? undefined
      : await checkPidFile(path.join(opts.dir, pidFileName), {
          pidMax: source.pidMax,
          names,
          lookup: async (pid) => (await source.probe([pid])).get(pid),
          stopping,
          leftAlone: new Map(leftAlone.map((l) => [l.info.pid, l.reason])),
        });

  const reasons = new Map<number, string>(leftovers.map((l) => [l.info.pid, l.reason]));
  const describe = (pid: number, fallback: string) =>
    reasons.get(pid) ?? (plan.parentDaemon.has(pid) ? `descendant of daemon ${plan.parentDaemon.get(pid)}` : fallback);

  const processes: ProcessReport[] = [];
  if (opts.dryRun) {
    for (const info of plan.targets) {
      processes.push({ pid: info.pid, command: commandOf(info), action: 'would-kill', reason: describe(info.pid, '') });
    }
  } else {
    const signalledAt = performance.now();
    const outcomes = await terminate(plan.targets, {
      source,
      graceMs: opts.graceMs,
      killWaitMs: opts.killWaitMs,
      groups: plan.groups,
      findLate: async () => {
        // Whatever joined a daemon's group or tree after the scan is stopped with it.
        const later = new ProcessTree(await source.list(NO_ARGV));
        const late = await planKills(leftovers, later, guard, ownUid, source);
        return late.targets.filter((t) => !stopping.has(t.pid));
      },
    });
    for (const outcome of outcomes) {
      const { info } = outcome;
      processes.push({
        pid: info.pid,
        command: commandOf(info),
        action: outcome.action,
        ...(outcome.signal && { signal: outcome.signal }),
        reason: `${describe(info.pid, 'joined a daemon group during the sweep')}: ${outcome.reason}`,
      });
    }
    if (opts.respawnWindowMs > 0 && leftovers.length > 0) {
      const stoppedPids = new Set(outcomes.filter((o) => o.action !== 'survived').map((o) => o.info.pid));
      const respawned = await findRespawned({
        stopped: leftovers.map((l) => l.info).filter((info) => stoppedPids.has(info.pid)),
        names,
        source,
        signalledAt,
        windowMs: opts.respawnWindowMs,
      });
      for (const { info, reason } of respawned) {
        processes.push({ pid: info.pid, command: commandLine(info), action: 'respawned', reason });
      }
    }
  }
  const reported = new Set(processes.map((p) => p.pid));
  for (const { info, action, reason } of [...leftAlone, ...plan.leftAlone]) {
    // A match that descends from a stopped daemon (a helper of the same binary) was stopped with it;
    // one left alone both as a match and as a descendant is reported once.
    if (stopping.has(info.pid) || reported.has(info.pid)) continue;
    reported.add(info.pid);
    processes.push({ pid: info.pid, command: commandOf(info), action, reason });
  }
  for (const report of processes) {
    const daemon = plan.parentDaemon.get(report.pid);
    if (daemon !== undefined) report.parentDaemon = daemon;
  }

  const candidates: StaleFile[] = [];
  const files: FileReport[] = [];
  for (const name of opts.files) {
    const filePath = path.join(opts.dir, name);
    if (name === pidFileName && pidVerdict) {
      if ('keep' in pidVerdict) files.push(pidVerdict.keep);
      else candidates.push(pidVerdict.remove);
    } else {
      candidates.push({ path: filePath, reason: name.endsWith('.sock') ? 'stale socket' : 'stale state file' });
    }
  }
  const seen = new Set(candidates.map((c) => c.path));
  candidates.push(...sockets.filter((s) => !seen.has(s.path) && seen.add(s.path)));

  const context: RemoveContext = {
    dryRun: opts.dryRun,
    ownUid,
    scoped,
    listenerWillStop: (socketPath) => {
      const inodes = listeningInodes(socketPath);
      return inodes && [...stopping].some((pid) => holdsSocket(pid, inodes));
    },
  };
  for (const candidate of candidates) files.push(await removeStale(candidate, context));
  const gone = new Set(processes.filter((p) => p.action === 'terminated' || p.action === 'killed').map((p) => p.pid));
  for (const { pid, dir } of logDirs) {
    if (!opts.dryRun && !gone.has(pid)) continue; // still running, and still writing there
    const report = removeDaemonLog(dir, pid, { dryRun: opts.dryRun, ownUid });
    if (report) files.push(report);
  }

  return {
    ok: isClean(processes, files),
    dryRun: opts.dryRun,
    durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
    processes,
    files,
  };
}
