import path from 'node:path';
import { debuglog } from 'node:util';
import { checkPidFile, type PidFileVerdict } from '../files/check-pid-file.js';
import { LOG_DIR_ENV, OWNER_ENV, RUN_ENV } from '../config/names.js';
import type { StaleFile } from '../files/stale-files.js';
import { planKills, type KillPlan } from '../kill/kill-plan.js';
import type { ResolvedSweepOptions } from './sweep-options.js';
import { mayBeRestarted } from '../kill/find-respawned.js';
import { findLeftovers, isOrphaned, type LeftAlone, type Leftover } from '../processes/find-leftovers.js';
import { matchDaemon, mayMatch } from '../processes/match.js';
import { GONE, type ProcessEvidence } from '../report.js';
import { commandLine, isDead, isExiting, type ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { ProcessTree } from '../processes/process-tree.js';
import { withoutExiting } from '../processes/without-exiting.js';
import { isOwnedBy } from '../processes/owner-tag.js';
import { protectedSet, type ProtectedSet } from '../processes/protected-set.js';
import { isScoped, scopeReason, type Scope } from '../processes/scope.js';
import { liveRuns, type LiveRuns } from '../registry/runs.js';

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
  /** The daemons of other live runs, which this sweep keeps: pid → run id. */
  liveRunDaemons: ReadonlyMap<number, string>;
  /** What was learned about a surveyed process that its action rests on (name match, parent, owner tag). */
  evidenceOf(pid: number): ProcessEvidence | undefined;
  /**
   * Of daemons that appeared after the stop, the pids another live run's (or, in a scoped sweep,
   * another owner's) tag claims: what this sweep would have left alone had it surveyed them.
   */
  othersOf(infos: readonly ProcessInfo[]): Promise<Set<number>>;
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

/**
 * Without a scope, the matches that belong to another live run: their owner tag names a run whose
 * process still runs (see registry/runs.ts), other than the run this process belongs to. Kept, with
 * the run named; skipped when the registry cannot be read (no run can be proven dead then). Also the
 * matches that began to exit since they were listed (another run stopping its own daemon): an
 * exiting process reads no environment, and must not pass for an untagged leftover.
 */
async function otherLiveRuns(
  matches: readonly ProcessInfo[],
  source: ProcessSource,
): Promise<{ kept: LeftAlone[]; exiting: Set<number>; owners: Map<number, NonNullable<ProcessEvidence['owner']>> }> {
  const ownRun = process.env[RUN_ENV];
  const kept: LeftAlone[] = [];
  // What each tag meant, for the report's evidence: decided here, where the tags are read anyway.
  const owners = new Map<number, NonNullable<ProcessEvidence['owner']>>();
  const tags = new Map<ProcessInfo, string | undefined>();
  for (const info of matches) tags.set(info, await source.readEnv(info.pid, OWNER_ENV));
  // Untagged matches are looked at again in one probe (on macOS a probe runs ps): gone altogether is
  // left in (the stop reports it as exited on its own, and signals nothing).
  const untagged = matches.filter((info) => tags.get(info) === undefined);
  const now = untagged.length === 0 ? new Map<number, ProcessInfo>() : await source.probe(untagged.map((info) => info.pid));
  const exiting = new Set(
    untagged.filter((info) => {
      const current = now.get(info.pid);
      return !isDead(current) && (current!.startKey !== info.startKey || isExiting(current!, source.platform));
    }).map((info) => info.pid),
  );
  let live: LiveRuns | undefined;
  for (const [info, tag] of tags) {
    if (tag === undefined || (ownRun !== undefined && isOwnedBy(tag, ownRun))) {
      owners.set(info.pid, tag === undefined ? { meaning: 'untagged' } : { tag, meaning: 'this run' });
      continue;
    }
    live ??= await liveRuns(source);
    const run = live.runs.find(({ record }) => isOwnedBy(tag, record.runId));
    owners.set(info.pid, run ? { tag, meaning: 'live run', runId: run.record.runId } : { tag, meaning: live.problem ? 'unknown' : 'dead run' });
    if (run) {
      const { runId, pid } = run.record;
      kept.push({
        info,
        action: 'kept',
        reason: `owned by ${tag}: a daemon of live run ${runId}, whose owner pid ${pid} (${run.command.slice(0, 60)}) still runs; --include-live-runs stops it too`,
        liveRun: { runId, pid, command: run.command },
      });
    } else if (live.problem) {
      kept.push({ info, action: 'skipped', reason: `owned by ${tag}, and whether that run is live cannot be told: ${live.problem}` });
    }
  }
  return { kept, exiting, owners };
}

/** Finds the leftover daemons, plans their stop, and reads all that must be read before it. */
export async function survey(opts: ResolvedSweepOptions, source: ProcessSource): Promise<Survey> {
  const ownUid = process.getuid!();
  const names = new Set(opts.names);

  // First only the processes whose kernel name can match (see mayMatch), which is cheap; the whole
  // table (parents, ancestors, descendants, groups) only when one of them does match.
  const found = await withoutExiting(
    (await source.find((kernelName) => mayMatch(kernelName, names))).filter((info) => !isDead(info) && matchDaemon(info, names)),
    source,
  );

  // A scoped sweep (one owner's or one process's daemons) sees nothing else: another worker's
  // daemons are not even reported. A sweep without a scope keeps other live runs' daemons.
  const scope: Scope = { owner: opts.owner, descendantsOf: opts.descendantsOf };
  const scoped = isScoped(scope);
  const { kept: ofLiveRuns, exiting, owners } =
    scoped || opts.includeLiveRuns ? { kept: [], exiting: new Set<number>(), owners: new Map() } : await otherLiveRuns(found, source);
  const matches = found.filter((info) => !exiting.has(info.pid));
  const tree = new ProcessTree(matches.length === 0 ? [] : await source.list(NO_ARGV));
  const liveRunDaemons = new Map(ofLiveRuns.flatMap((l) => (l.liveRun ? [[l.info.pid, l.liveRun.runId] as const] : [])));
  const keep = new Map(ofLiveRuns.map((l) => [l.info.pid, l.liveRun ? `it is a daemon of live run ${l.liveRun.runId}` : l.reason]));
  const guard = protectedSet(tree, process.pid, keep);
  const owned = new Map<number, string>();
  if (scoped) {
    for (const info of matches) {
      const reason = await scopeReason(info, scope, tree, source);
      if (reason !== undefined) owned.set(info.pid, reason);
    }
  }
  const inScope = scoped ? matches.filter((info) => owned.has(info.pid)) : matches.filter((info) => !keep.has(info.pid));
  const { leftovers, leftAlone: alsoLeftAlone } = await findLeftovers(inScope, tree, names, guard, ownUid, source, scoped ? owned : undefined);
  const leftAlone = [...ofLiveRuns, ...alsoLeftAlone];
  const plan = await planKills(leftovers, tree, guard, ownUid, source);
  const stopping = new Set(plan.targets.map((t) => t.pid));

  // Full command lines for the report (the scan skipped most). The reported processes' parents' too,
  // but only as more entries of a probe made anyway (~0.1 ms each on Linux): never a probe of their
  // own (on macOS a probe runs ps), so a sweep that stops nothing shows a parent by its kernel name.
  const reported = [...plan.targets, ...plan.leftAlone.map((l) => l.info)];
  const surveyed = [...reported, ...leftAlone.map((l) => l.info)];
  const toRead = new Map(reported.map((info) => [info.pid, info]));
  if (toRead.size > 0) {
    for (const { ppid } of surveyed) {
      const parent = tree.get(ppid);
      if (parent && !toRead.has(ppid)) toRead.set(ppid, parent);
    }
  }
  const commands = await commandLines([...toRead.values()], source);
  const evidence = new Map<number, ProcessEvidence>();
  // Only for what the report shows: a scoped sweep's other matches are not even reported.
  for (const info of surveyed) {
    if (evidence.has(info.pid)) continue;
    const match = matchDaemon(info, names);
    const parent = tree.get(info.ppid);
    const owner = owners.get(info.pid);
    evidence.set(info.pid, {
      ...(match && { match: { name: match.name, via: match.via, ...(match.subcommand !== undefined && { subcommand: match.subcommand }) } }),
      ...(info.ppid > 0 && {
        parent: { pid: info.ppid, command: parent ? (commands.get(parent.pid) ?? commandLine(parent)) : GONE, orphaned: isOrphaned(info, tree) },
      }),
      ...(owner && { owner }),
    });
  }

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
    liveRunDaemons,
    evidenceOf: (pid) => evidence.get(pid),
    othersOf: async (infos) => {
      if (infos.length === 0) return new Set();
      if (scoped) {
        const later = new ProcessTree(await source.list(NO_ARGV));
        const others = new Set<number>();
        for (const info of infos) if ((await scopeReason(info, scope, later, source)) === undefined) others.add(info.pid);
        return others;
      }
      if (opts.includeLiveRuns) return new Set();
      const { kept } = await otherLiveRuns(infos, source);
      return new Set(kept.filter((k) => k.liveRun).map((k) => k.info.pid));
    },
  };
}
