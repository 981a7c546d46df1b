import type { ProcessTree } from './process-tree.js';

/**
 * What a sweep never signals: pid 0 and 1, itself, its ancestors and its own process group, and the
 * processes it keeps for another reason (another live run's daemons), with that reason.
 */
export interface ProtectedSet {
  selfPid: number;
  selfPgid: number | undefined;
  /** Ourselves and our ancestors. */
  lineage: ReadonlySet<number>;
  /** Why `pid` must not be touched, or undefined when it may be. */
  reasonFor(pid: number, pgid: number): string | undefined;
}

export function protectedSet(tree: ProcessTree, selfPid = process.pid, kept: ReadonlyMap<number, string> = new Map()): ProtectedSet {
  const lineage = new Set(tree.lineage(selfPid));
  // If the table does not show us (another pid namespace), still never touch our own pid and parent.
  lineage.add(selfPid);
  if (selfPid === process.pid) lineage.add(process.ppid);
  const selfPgid = tree.get(selfPid)?.pgid;
  return {
    selfPid,
    selfPgid,
    lineage,
    reasonFor(pid, pgid) {
      if (pid <= 1) return `pid ${pid} is the system's init; it is never signalled`;
      if (pid === selfPid) return 'it is this mcp-reaper process itself';
      if (lineage.has(pid)) return 'it is an ancestor of this mcp-reaper process (killing it would kill the sweep)';
      const keptBecause = kept.get(pid);
      if (keptBecause !== undefined) return keptBecause;
      if (selfPgid !== undefined && pgid === selfPgid) {
        return `it is in mcp-reaper's own process group ${pgid}; run mcp-reaper from another shell or process group`;
      }
      return undefined;
    },
  };
}
