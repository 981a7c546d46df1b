// A stack's services as a run's record lists them, for the watchdog: when the runner is killed, no
// teardown runs, and services started through an interpreter or a launcher have no name a sweep
// could find them by. The record names each service's process group leader and its start time.
import { LOG_DIR_ENV } from '../config/names.js';
import { stopDaemonGroup } from '../daemon/stop-group.js';
import { removeDaemonLog } from '../files/daemon-log.js';
import { isDead } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import type { SweepReport } from '../report.js';

export interface RecordedService {
  name: string;
  pid: number;
  startKey: string;
  graceMs: number;
  killWaitMs: number;
  socket?: string;
}

/**
 * Stops a recorded service's process group, verified, and removes its temporary log (read from its
 * environment before the stop, as a sweep does). Its leader running with another start time is
 * another process that got the pid, so the group is gone: nothing is signalled. (The kernel hands
 * out no pid that is still a live group's id.)
 */
export async function stopRecordedService(service: RecordedService, source: ProcessSource): Promise<SweepReport | undefined> {
  const now = (await source.probe([service.pid])).get(service.pid);
  if (!isDead(now) && now!.startKey !== service.startKey) return undefined;
  const logDir = isDead(now) ? undefined : await source.readEnv(service.pid, LOG_DIR_ENV);
  const report = await stopDaemonGroup({
    pid: service.pid,
    command: `stack service ${service.name}`,
    exit: isDead(now) ? { code: null, signal: null } : undefined,
    source,
    graceMs: service.graceMs,
    killWaitMs: service.killWaitMs,
    ...(service.socket !== undefined && { socketPath: service.socket }),
  });
  if (logDir && report.ok) removeDaemonLog(logDir, service.pid, { dryRun: false, ownUid: process.getuid!() });
  return report;
}
