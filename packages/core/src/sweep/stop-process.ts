import { LOG_DIR_ENV } from '../config/names.js';
import { removeDaemonLog } from '../files/daemon-log.js';
import { planKills } from '../kill/kill-plan.js';
import { terminate } from '../kill/terminate.js';
import type { DaemonMatch } from '../processes/match.js';
import { commandLine, type ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { ProcessTree } from '../processes/process-tree.js';
import { protectedSet } from '../processes/protected-set.js';
import type { ProcessReport } from '../report.js';
import { NO_ARGV } from './survey.js';

/**
 * Stops one process known to be a leftover (a port's holder from an earlier run), as a sweep stops a
 * leftover daemon: with its descendants and its own process group, never ourselves, our ancestors or
 * our group, SIGTERM, grace, SIGKILL, each verified. What was signalled is reported as a sweep does.
 */
export async function stopProcess(
  info: ProcessInfo,
  reason: string,
  options: { source: ProcessSource; graceMs: number; killWaitMs: number },
): Promise<ProcessReport[]> {
  const { source } = options;
  const tree = new ProcessTree(await source.list(NO_ARGV));
  const guard = protectedSet(tree);
  const refused = guard.reasonFor(info.pid, info.pgid);
  if (refused) return [{ pid: info.pid, command: commandLine(info), action: 'skipped', reason: refused }];
  const match: DaemonMatch = { name: info.name, via: 'kernel name', subcommand: undefined, socketPath: undefined };
  const plan = await planKills([{ info, match, reason }], tree, guard, process.getuid!(), source);
  // Read while it runs, as a sweep does: a service started by a stack has a temporary log to remove.
  const logDir = await source.readEnv(info.pid, LOG_DIR_ENV);
  const outcomes = await terminate(plan.targets, {
    source,
    graceMs: options.graceMs,
    killWaitMs: options.killWaitMs,
    groups: plan.groups,
    findLate: async () => [],
  });
  if (logDir && outcomes.some((o) => o.info.pid === info.pid && o.action !== 'survived')) {
    removeDaemonLog(logDir, info.pid, { dryRun: false, ownUid: process.getuid!() });
  }
  return [
    ...outcomes.map((outcome) => ({
      pid: outcome.info.pid,
      command: commandLine(outcome.info),
      action: outcome.action,
      ...(outcome.signal && { signal: outcome.signal }),
      reason: `${outcome.info.pid === info.pid ? reason : `descendant of ${info.pid}`}: ${outcome.reason}`,
      ...(outcome.info.pid !== info.pid && { parentDaemon: info.pid }),
    })),
    ...plan.leftAlone.map((left) => ({ pid: left.info.pid, command: commandLine(left.info), action: left.action, reason: left.reason, parentDaemon: info.pid })),
  ];
}
