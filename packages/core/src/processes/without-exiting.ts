import { setTimeout as delay } from 'node:timers/promises';
import { isDead, isExiting, type ProcessInfo } from './process-info.js';
import type { ProcessSource } from './process-source.js';

/**
 * How long to wait before looking again at a zombie leader whose other threads showed no sign of
 * exiting. A thread of a dying process can be caught between taking its SIGKILL and marking itself
 * exiting (1 of 3 catches in a loaded CI run); it is gone, or marked, well within this.
 */
const RECHECK_MS = 50;

/** A zombie leader whose other threads looked alive: serving on (pthread_exit), or caught mid-exit. */
function quietZombieLeader(info: ProcessInfo): boolean {
  return info.state === 'Z' && (info.threads ?? 1) > 1 && info.groupExiting === false;
}

/**
 * `matches` without the processes that are on their way out (see isExiting). A zombie leader whose
 * threads looked alive is looked at once more, a moment later, and kept only if it still looks so:
 * a dying process taken for a live match would be stopped, kept or skipped by a sweep that has no
 * business with it (another run's daemon mid-exit, a launcher leaving the sweep's own group).
 */
export async function withoutExiting(matches: readonly ProcessInfo[], source: ProcessSource): Promise<ProcessInfo[]> {
  const live = matches.filter((info) => !isExiting(info, source.platform));
  const doubtful = live.filter(quietZombieLeader);
  if (doubtful.length === 0) return live;
  await delay(RECHECK_MS);
  const now = await source.probe(doubtful.map((info) => info.pid));
  const ending = new Set(
    doubtful
      .filter((info) => {
        const again = now.get(info.pid);
        return isDead(again) || again!.startKey !== info.startKey || !quietZombieLeader(again!);
      })
      .map((info) => info.pid),
  );
  return live.filter((info) => !ending.has(info.pid));
}
