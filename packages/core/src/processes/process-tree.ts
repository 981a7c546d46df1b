import type { ProcessInfo } from './process-info.js';

/** Parent/child links of one process table snapshot. */
export class ProcessTree {
  readonly byPid = new Map<number, ProcessInfo>();
  private readonly children = new Map<number, ProcessInfo[]>();

  constructor(processes: readonly ProcessInfo[]) {
    for (const info of processes) {
      this.byPid.set(info.pid, info);
      const siblings = this.children.get(info.ppid);
      if (siblings) siblings.push(info);
      else this.children.set(info.ppid, [info]);
    }
  }

  get(pid: number): ProcessInfo | undefined {
    return this.byPid.get(pid);
  }

  /** The pid and every ancestor's pid, nearest first (stops at a pid missing from the table). */
  lineage(pid: number): number[] {
    const chain: number[] = [];
    for (let info = this.byPid.get(pid); info && !chain.includes(info.pid); info = this.byPid.get(info.ppid)) {
      chain.push(info.pid);
    }
    return chain;
  }

  /** Every descendant of `pid`, breadth first. */
  descendants(pid: number): ProcessInfo[] {
    const found: ProcessInfo[] = [];
    const seen = new Set([pid]);
    for (let queue = [pid]; queue.length > 0; ) {
      const next: number[] = [];
      for (const parent of queue) {
        for (const child of this.children.get(parent) ?? []) {
          if (seen.has(child.pid)) continue;
          seen.add(child.pid);
          found.push(child);
          next.push(child.pid);
        }
      }
      queue = next;
    }
    return found;
  }

  /** Members of a process group. */
  group(pgid: number): ProcessInfo[] {
    return [...this.byPid.values()].filter((info) => info.pgid === pgid);
  }
}
