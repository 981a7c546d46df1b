import { formatTime } from '../files/check-pid-file.js';
import { OWNER_ENV, RUN_ENV } from '../config/names.js';
import { matchDaemon } from '../processes/match.js';
import { isOwnedBy } from '../processes/owner-tag.js';
import { commandLine, isDead, type ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { liveRuns, type LiveRuns } from '../registry/runs.js';
import { portListeners } from './port-listeners.js';

/**
 * A process listening on a port a service needs, judged as a sweep judges a daemon: `leftover` (a
 * swept name, or a tag of a run that is gone, or of this very stack instance) is stopped; `live-run`
 * (tagged by another run that is live, or another instance of this run) and `foreign` (nothing says
 * it is ours) are never signalled.
 */
export interface PortHolder {
  kind: 'leftover' | 'live-run' | 'foreign';
  info: ProcessInfo;
  /** Why it is judged so, in words. */
  reason: string;
}

/** `pid 123 (node …/vite --port 5173, started 2026-12-02 07:51:03 UTC)`. */
export function describeHolder(info: ProcessInfo): string {
  return `pid ${info.pid} (${commandLine(info).slice(0, 80)}, started ${formatTime(info.startedAt)})`;
}

export async function portHolders(port: number, context: { names: ReadonlySet<string>; source: ProcessSource; ownTag: string | undefined }): Promise<PortHolder[]> {
  const { names, source, ownTag } = context;
  const pids = (await portListeners(port, source.platform)).filter((pid) => pid !== process.pid);
  if (pids.length === 0) return [];
  const now = await source.probe(pids);
  const ownRun = process.env[RUN_ENV];
  let live: LiveRuns | undefined;
  const holders: PortHolder[] = [];
  for (const pid of pids) {
    const info = now.get(pid);
    if (isDead(info)) continue;
    const tag = await source.readEnv(pid, OWNER_ENV);
    if (tag !== undefined) {
      // This very instance's (an earlier try of it): a leftover. Another instance of this run (a
      // worker's stack) is as live as the run: never signalled.
      if (ownTag !== undefined && isOwnedBy(tag, ownTag)) {
        holders.push({ kind: 'leftover', info: info!, reason: `tagged ${tag}: started by this stack` });
        continue;
      }
      if (ownRun !== undefined && isOwnedBy(tag, ownRun)) {
        holders.push({ kind: 'live-run', info: info!, reason: `tagged ${tag}: another stack instance of this run` });
        continue;
      }
      live ??= await liveRuns(source);
      const run = live.runs.find(({ record }) => isOwnedBy(tag, record.runId));
      if (run) holders.push({ kind: 'live-run', info: info!, reason: `a process of live run ${run.record.runId} (owner pid ${run.record.pid}: ${run.command.slice(0, 60)})` });
      else if (live.problem) holders.push({ kind: 'foreign', info: info!, reason: `tagged ${tag}, and whether that run is live cannot be told: ${live.problem}` });
      else holders.push({ kind: 'leftover', info: info!, reason: `tagged ${tag}, a run that is gone` });
      continue;
    }
    const match = matchDaemon(info!, names);
    holders.push(
      match
        ? { kind: 'leftover', info: info!, reason: `a leftover \`${match.name}\`` }
        : { kind: 'foreign', info: info!, reason: 'not started by mcp-reaper, nor named in the config' },
    );
  }
  return holders;
}
