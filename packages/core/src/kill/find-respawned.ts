import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { matchDaemon, mayMatch } from '../processes/match.js';
import { commandLine, isDead, type ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';

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

/**
 * Whether anything could start this daemon again once it is stopped, judged while it still runs.
 * A parent that started it and still lives could (a supervisor script, pm2, runsv). An orphan has
 * only the process that adopted it, which restarts nothing, with two exceptions: a systemd service
 * (its cgroup names the unit), and on macOS launchd, which adopts every orphan and also keeps
 * LaunchAgents alive: the two cannot be told apart without root.
 */
export function mayBeRestarted(info: ProcessInfo, orphaned: boolean, platform: ProcessSource['platform']): boolean {
  if (!orphaned) return true;
  if (platform === 'darwin') return info.ppid === 1;
  return systemdUnit(info.pid) !== undefined;
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
 * would only start the loop over. `stopped` holds only daemons that could be restarted
 * (mayBeRestarted): when there is none, there is nothing to wait for.
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
