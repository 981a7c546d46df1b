import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { matchDaemon, mayMatch } from '../processes/match.js';
import { commandLine, isDead, type ProcessInfo, type ProcessSource } from '../processes/process-info.js';

export interface Respawned {
  info: ProcessInfo;
  reason: string;
}

/** The systemd unit a process runs in, from /proc/PID/cgroup (`…/app.slice/mcp.service`). */
function systemdUnit(pid: number): { unit: string; user: boolean } | undefined {
  let cgroup: string;
  try {
    cgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const match = /\/([^/\n]+\.service)(?:\/[^\n]*)?$/m.exec(cgroup);
  if (!match?.[1] || /^user@\d+\.service$/.test(match[1])) return undefined;
  return { unit: match[1], user: cgroup.includes('/user@') };
}

/** How to stop whatever restarts the daemon, from where the new one runs. */
async function supervisorFix(info: ProcessInfo, name: string, source: ProcessSource): Promise<string> {
  if (source.platform === 'linux') {
    const unit = systemdUnit(info.pid);
    if (unit) return `systemd restarts it: run \`systemctl ${unit.user ? '--user ' : ''}stop ${unit.unit}\` first`;
  }
  if (source.platform === 'darwin' && info.ppid === 1) {
    return `launchd restarts it (KeepAlive): find its label with \`launchctl list | grep ${name}\`, then run \`launchctl bootout gui/${process.getuid!()}/<label>\``;
  }
  const parent = (await source.probe([info.ppid])).get(info.ppid);
  const parentText = parent ? `\`${commandLine(parent).slice(0, 60)}\`` : 'a process that is gone now';
  return `its parent ${info.ppid} (${parentText}) started it again: stop that supervisor first`;
}

/**
 * After the daemons were stopped: waits until `windowMs` after the first signal, then looks for a
 * matching daemon that came back under the parent of one that was stopped (a supervisor such as
 * launchd's KeepAlive or systemd's Restart=). Those are reported, not killed again: killing them
 * would only start the loop over.
 */
export async function findRespawned(options: {
  stopped: readonly ProcessInfo[];
  names: ReadonlySet<string>;
  source: ProcessSource;
  signalledAt: number;
  windowMs: number;
}): Promise<Respawned[]> {
  const { stopped, names, source } = options;
  const parents = new Set(stopped.map((p) => p.ppid));
  const stoppedPids = new Set(stopped.map((p) => p.pid));
  const left = options.signalledAt + options.windowMs - performance.now();
  if (left > 0) await delay(left);

  const respawned: Respawned[] = [];
  for (const info of await source.find((kernelName) => mayMatch(kernelName, names))) {
    const match = matchDaemon(info, names);
    if (!match || isDead(info) || stoppedPids.has(info.pid) || !parents.has(info.ppid)) continue;
    respawned.push({ info, reason: `came back after the sweep stopped it; ${await supervisorFix(info, match.name, source)}` });
  }
  return respawned;
}
