import { setTimeout as delay } from 'node:timers/promises';
import { isDead, type ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';

/** Still the process we saw: alive, not a zombie, and not a new process that reused the pid. */
export function isSameLiveProcess(seen: ProcessInfo, now: ProcessInfo | undefined): boolean {
  return !isDead(now) && now!.startKey === seen.startKey;
}

/** Which of `processes` still run, by one probe. */
export async function stillRunning(processes: readonly ProcessInfo[], source: ProcessSource): Promise<ProcessInfo[]> {
  if (processes.length === 0) return [];
  const now = await source.probe(processes.map((p) => p.pid));
  return processes.filter((p) => isSameLiveProcess(p, now.get(p.pid)));
}

/**
 * Polls until every process has exited or `timeoutMs` passed; resolves to those still running.
 * No pid can be waited on for an event here (they are not our children), so it polls, starting at
 * 1 ms and doubling: a process that exits at once is noticed at once, a slow one costs little. The
 * longest pause grows with how many are polled (one read each), from 4 ms for a few, as a test
 * hook's leak check has, to 20 ms for a sweep of dozens: a leak check's daemon that exits 15 ms after
 * its SIGTERM used to be noticed at 31 ms.
 */
export async function waitForExit(
  processes: readonly ProcessInfo[],
  source: ProcessSource,
  timeoutMs: number,
  /** Told after each look how many still run (for a progress line). */
  onLook?: (running: number) => void,
): Promise<ProcessInfo[]> {
  const deadline = performance.now() + timeoutMs;
  let running = await stillRunning(processes, source);
  onLook?.(running.length);
  for (let interval = 1; running.length > 0; interval = Math.min(interval * 2, Math.min(20, Math.max(4, running.length)))) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    await delay(Math.min(interval, left));
    running = await stillRunning(running, source);
    onLook?.(running.length);
  }
  return running;
}
