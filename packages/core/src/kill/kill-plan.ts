import type { Leftover, LeftAlone } from '../processes/find-leftovers.js';
import { otherUserReason, uidOf } from '../processes/find-leftovers.js';
import { isDead, type ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import type { ProcessTree } from '../processes/process-tree.js';
import type { ProtectedSet } from '../processes/protected-set.js';

export interface KillPlan {
  /** Every process to stop: the leftover daemons first, then their descendants and group members. */
  targets: ProcessInfo[];
  /** For each target that is not itself a leftover daemon: the daemon it belongs to. */
  parentDaemon: Map<number, number>;
  /** Daemon groups that may be signalled whole. */
  groups: Set<number>;
  /** Descendants left alone for safety. */
  leftAlone: LeftAlone[];
}

/**
 * What stopping the leftovers means: each daemon, its descendants and the members of its own process
 * group (children it forked may have been re-parented away but stay in its group). A group is
 * signalled whole only when it is the daemon's own (pgid == pid), not ours, and every member is a
 * target: otherwise each process is signalled alone.
 */
export async function planKills(
  leftovers: readonly Leftover[],
  tree: ProcessTree,
  guard: ProtectedSet,
  ownUid: number,
  source: ProcessSource,
): Promise<KillPlan> {
  const plan: KillPlan = { targets: [], parentDaemon: new Map(), groups: new Set(), leftAlone: [] };
  const planned = new Set(leftovers.map((l) => l.info.pid));
  const refused = new Set<number>();
  plan.targets.push(...leftovers.map((l) => l.info));

  for (const { info: daemon } of leftovers) {
    const ownGroup = daemon.pgid === daemon.pid;
    const members = [...tree.descendants(daemon.pid), ...(ownGroup ? tree.group(daemon.pid) : [])];
    for (const member of members) {
      if (planned.has(member.pid) || refused.has(member.pid) || isDead(member)) continue;
      const protectedReason = guard.reasonFor(member.pid, member.pgid);
      const uid = protectedReason ? undefined : await uidOf(member, source);
      const reason = protectedReason ?? (uid !== undefined && uid !== ownUid ? otherUserReason(uid, ownUid) : undefined);
      if (reason) {
        refused.add(member.pid);
        plan.leftAlone.push({ info: member, action: 'skipped', reason: `descendant of daemon ${daemon.pid}, but ${reason}` });
        continue;
      }
      if (uid === undefined) continue; // exited since the listing
      planned.add(member.pid);
      plan.targets.push(member);
      plan.parentDaemon.set(member.pid, daemon.pid);
    }
  }

  for (const { info: daemon } of leftovers) {
    if (daemon.pgid !== daemon.pid || daemon.pgid === guard.selfPgid) continue;
    const members = tree.group(daemon.pgid).filter((m) => !isDead(m));
    if (members.every((m) => planned.has(m.pid))) plan.groups.add(daemon.pgid);
  }
  return plan;
}
