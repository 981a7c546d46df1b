import fs from 'node:fs';
import path from 'node:path';
import { removeDaemonLog } from '../files/daemon-log.js';
import { socketHolders, type SocketHolders } from '../files/socket-listener.js';
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

  const holders = await listenerHolders(candidates, survey, opts);
  const context: RemoveContext = {
    dryRun: opts.dryRun,
    ownUid,
    scoped: survey.scoped,
    listenerWillStop: (socketPath) => holders && [...(holders.get(socketPath) ?? [])].some((pid) => stopping.has(pid)),
    keptListener: (socketPath) => {
      if (survey.liveRunDaemons.size === 0) return undefined;
      if (holders === undefined) return 'in use: a daemon of a live run this sweep keeps may listen on it (this platform cannot tell which process does)';
      const holder = [...(holders.get(socketPath) ?? [])].find((pid) => survey.liveRunDaemons.has(pid));
      return holder === undefined ? undefined : `in use by daemon ${holder} of live run ${survey.liveRunDaemons.get(holder)}`;
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

/**
 * Which of the daemons the sweep stops (for a dry run) or keeps (other live runs) hold the candidate
 * sockets, asked once for all of them: on macOS that is one `lsof`, and only when there is a socket
 * file and a daemon to ask about. Undefined when the platform cannot tell.
 */
async function listenerHolders(candidates: readonly StaleFile[], survey: Survey, opts: ResolvedSweepOptions): Promise<SocketHolders | undefined> {
  const pids = [...(opts.dryRun ? survey.stopping : []), ...survey.liveRunDaemons.keys()];
  const sockets = candidates.map((c) => c.path).filter(isSocket);
  if (pids.length === 0 || sockets.length === 0) return new Map();
  // The platform of the process facts in use: a source given for tests says which one it is.
  return socketHolders(sockets, pids, opts.source?.platform ?? process.platform);
}

function isSocket(file: string): boolean {
  try {
    return fs.lstatSync(file).isSocket();
  } catch {
    return false;
  }
}
