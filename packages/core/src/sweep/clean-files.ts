import path from 'node:path';
import { removeDaemonLog } from '../files/daemon-log.js';
import { holdsSocket, listeningInodes } from '../files/socket-listener.js';
import { removeStale, type RemoveContext, type StaleFile } from '../files/stale-files.js';
import type { ResolvedSweepOptions } from './sweep-options.js';
import type { FileReport, ProcessReport } from '../report.js';
import type { Survey } from './survey.js';

/**
 * Once the daemons are stopped: removes the stale files (`files` in `dir`, the daemons' own sockets)
 * and the temporary logs of the daemons that are gone, each only if it is safe (see removeStale).
 */
export async function cleanFiles(survey: Survey, processes: readonly ProcessReport[], opts: ResolvedSweepOptions): Promise<FileReport[]> {
  const { pidFile, stopping, ownUid } = survey;
  const candidates: StaleFile[] = [];
  const files: FileReport[] = [];
  for (const name of opts.files) {
    if (name === pidFile?.name) {
      if ('keep' in pidFile.verdict) files.push(pidFile.verdict.keep);
      else candidates.push(pidFile.verdict.remove);
    } else {
      candidates.push({ path: path.join(opts.dir, name), reason: name.endsWith('.sock') ? 'stale socket' : 'stale state file' });
    }
  }
  const seen = new Set(candidates.map((c) => c.path));
  candidates.push(...survey.sockets.filter((s) => !seen.has(s.path) && seen.add(s.path)));

  const context: RemoveContext = {
    dryRun: opts.dryRun,
    ownUid,
    scoped: survey.scoped,
    listenerWillStop: (socketPath) => {
      const inodes = listeningInodes(socketPath);
      return inodes && [...stopping].some((pid) => holdsSocket(pid, inodes));
    },
    keptListener: (socketPath) => {
      if (survey.liveRunDaemons.size === 0) return undefined;
      const inodes = listeningInodes(socketPath);
      if (inodes === undefined) return 'in use: a daemon of a live run this sweep keeps may listen on it (this platform cannot tell which process does)';
      const holder = [...survey.liveRunDaemons].find(([pid]) => holdsSocket(pid, inodes));
      return holder && `in use by daemon ${holder[0]} of live run ${holder[1]}`;
    },
  };
  for (const candidate of candidates) files.push(await removeStale(candidate, context));

  const gone = new Set(processes.filter((p) => p.action === 'terminated' || p.action === 'killed').map((p) => p.pid));
  for (const { pid, dir } of survey.logDirs) {
    if (!opts.dryRun && !gone.has(pid)) continue; // still running, and still writing there
    const report = removeDaemonLog(dir, pid, { dryRun: opts.dryRun, ownUid });
    if (report) files.push(report);
  }
  return files;
}
