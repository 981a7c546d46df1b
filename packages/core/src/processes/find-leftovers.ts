import { matchDaemon, type DaemonMatch } from './match.js';
import { commandLine, isDead, type ProcessInfo } from './process-info.js';
import type { ProcessSource } from './process-source.js';
import type { ProcessTree } from './process-tree.js';
import type { ProtectedSet } from './protected-set.js';

/**
 * Processes that adopt orphans: pid 1 under another name, or a subreaper (PR_SET_CHILD_SUBREAPER)
 * such as `systemd --user` or a container init. A child of one of these has lost its real parent.
 */
const ORPHAN_ADOPTERS = new Set(['systemd', 'init', 'launchd', 'tini', 'dumb-init', 'docker-init', 'catatonit', 's6-svscan', 'runit']);

export interface Leftover {
  info: ProcessInfo;
  match: DaemonMatch;
  reason: string;
}

export interface LeftAlone {
  info: ProcessInfo;
  action: 'kept' | 'skipped';
  reason: string;
  /** Kept because it is a daemon of another live run: that run. */
  liveRun?: { runId: string; pid: number; command: string };
}

export interface Discovery {
  leftovers: Leftover[];
  leftAlone: LeftAlone[];
}

/** Why a process counts as orphaned (its parent is gone or only adopted it), or undefined while its parent lives. */
function orphanReason(info: ProcessInfo, tree: ProcessTree): string | undefined {
  if (info.ppid <= 1) return 'its parent is gone (it was adopted by init)';
  const parent = tree.get(info.ppid);
  if (!parent || isDead(parent)) return `its parent ${info.ppid} is gone`;
  if (ORPHAN_ADOPTERS.has(parent.name)) return `its parent is gone (it was adopted by ${parent.name}, pid ${parent.pid})`;
  return undefined;
}

/** True when the process lost the parent that started it: its parent is gone, or only adopted it. */
export function isOrphaned(info: ProcessInfo, tree: ProcessTree): boolean {
  return orphanReason(info, tree) !== undefined;
}

/** The real uid, read on demand where the listing did not include it (Linux). */
export async function uidOf(info: ProcessInfo, source: ProcessSource): Promise<number | undefined> {
  return info.uid ?? (await source.readUid(info.pid));
}

export function otherUserReason(uid: number, ownUid: number): string {
  return `it belongs to uid ${uid}, not to this user (uid ${ownUid}); run mcp-reaper as that user to sweep it`;
}

/**
 * Step 1 and 2 of a sweep: which of the candidates (with command lines) are the named daemons, and of those which are
 * leftovers to stop, which are kept on purpose (a `serve` its client still owns) and which are
 * skipped for safety (ourselves, our ancestors, our group, pid 1, another user's).
 */
export async function findLeftovers(
  candidates: readonly ProcessInfo[],
  tree: ProcessTree,
  names: ReadonlySet<string>,
  guard: ProtectedSet,
  ownUid: number,
  source: ProcessSource,
  /** For a scoped sweep: why each candidate in scope belongs to it. Every such match is a leftover. */
  owned?: ReadonlyMap<number, string>,
): Promise<Discovery> {
  const discovery: Discovery = { leftovers: [], leftAlone: [] };
  for (const info of candidates) {
    const match = matchDaemon(info, names);
    // A zombie has already exited: there is nothing left to stop.
    if (!match || isDead(info)) continue;

    // First whether it is a leftover at all: one that is not is kept, whoever's and wherever it is.
    const invocation = match.subcommand ?? '(no subcommand)';
    let reason: string;
    const ownedBecause = owned?.get(info.pid);
    if (ownedBecause !== undefined) {
      // Its owner tag proves who started it: in a scoped sweep that settles it, live parent or not.
      reason = `\`${match.name} ${invocation}\` ${ownedBecause}`;
    } else if (match.subcommand === 'daemon') {
      reason = `leftover \`${match.name} daemon\``;
    } else {
      const orphaned = orphanReason(info, tree);
      if (!orphaned) {
        // The scan skipped most command lines: read the parent's for the report.
        const parent = (await source.probe([info.ppid])).get(info.ppid) ?? tree.get(info.ppid);
        const parentText = parent ? `${parent.pid} (${commandLine(parent).slice(0, 60)})` : String(info.ppid);
        discovery.leftAlone.push({
          info,
          action: 'kept',
          reason: `\`${invocation}\` owned by a live parent ${parentText}; only \`daemon\` invocations and orphans are leftovers`,
        });
        continue;
      }
      reason = `orphaned \`${match.name} ${invocation}\`: ${orphaned}`;
    }

    // Then whether it is safe to stop.
    const protectedReason = guard.reasonFor(info.pid, info.pgid);
    if (protectedReason) {
      discovery.leftAlone.push({ info, action: 'skipped', reason: protectedReason });
      continue;
    }
    const uid = await uidOf(info, source);
    if (uid === undefined) continue; // exited since the listing
    if (uid !== ownUid) {
      discovery.leftAlone.push({ info, action: 'skipped', reason: otherUserReason(uid, ownUid) });
      continue;
    }
    discovery.leftovers.push({ info, match, reason });
  }
  return discovery;
}
