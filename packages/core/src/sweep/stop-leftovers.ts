import { findRespawned } from '../kill/find-respawned.js';
import { planKills } from '../kill/kill-plan.js';
import { terminate } from '../kill/terminate.js';
import type { ResolvedSweepOptions } from './sweep-options.js';
import { commandLine } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { ProcessTree } from '../processes/process-tree.js';
import type { ProcessReport } from '../report.js';
import { NO_ARGV, type Survey } from './survey.js';

/**
 * Stops what the survey planned (or, in a dry run, says it would), watches for respawns, and reports
 * every process: stopped, survived, respawned, kept or skipped.
 */
export async function stopLeftovers(survey: Survey, opts: ResolvedSweepOptions, source: ProcessSource): Promise<ProcessReport[]> {
  const { leftovers, plan, stopping, guard, ownUid, commandOf } = survey;
  const reasons = new Map<number, string>(leftovers.map((l) => [l.info.pid, l.reason]));
  const describe = (pid: number, fallback: string) =>
    reasons.get(pid) ?? (plan.parentDaemon.has(pid) ? `descendant of daemon ${plan.parentDaemon.get(pid)}` : fallback);

  const processes: ProcessReport[] = [];
  if (opts.dryRun) {
    for (const info of plan.targets) {
      processes.push({ pid: info.pid, command: commandOf(info), action: 'would-kill', reason: describe(info.pid, '') });
    }
  } else {
    const signalledAt = performance.now();
    const outcomes = await terminate(plan.targets, {
      source,
      graceMs: opts.graceMs,
      killWaitMs: opts.killWaitMs,
      groups: plan.groups,
      ...(opts.onWait && { onWait: (waiting: number, elapsedMs: number) => opts.onWait!({ waiting, elapsedMs }) }),
      findLate: async () => {
        // Whatever joined a daemon's group or tree after the scan is stopped with it.
        const later = new ProcessTree(await source.list(NO_ARGV));
        const late = await planKills(leftovers, later, guard, ownUid, source);
        return late.targets.filter((t) => !stopping.has(t.pid));
      },
    });
    for (const outcome of outcomes) {
      const { info } = outcome;
      processes.push({
        pid: info.pid,
        command: commandOf(info),
        action: outcome.action,
        ...(outcome.signal && { signal: outcome.signal }),
        reason: `${describe(info.pid, 'joined a daemon group during the sweep')}: ${outcome.reason}`,
      });
    }
    const stoppedPids = new Set(outcomes.filter((o) => o.action !== 'survived').map((o) => o.info.pid));
    const watched = survey.respawnWatch.filter((info) => stoppedPids.has(info.pid));
    if (watched.length > 0) {
      const respawned = await findRespawned({
        stopped: watched,
        names: survey.names,
        source,
        signalledAt,
        windowMs: opts.respawnWindowMs,
      });
      // A daemon that another live run started under the same parent meanwhile (a holder of runs in
      // turn, a runner's worker) is that run's: not a respawn, and not this sweep's to report.
      const others = await survey.othersOf(respawned.map((r) => r.info));
      for (const { info, reason } of respawned) {
        if (others.has(info.pid)) continue;
        processes.push({ pid: info.pid, command: commandLine(info), action: 'respawned', reason });
      }
    }
  }
  const reported = new Set(processes.map((p) => p.pid));
  for (const { info, action, reason, liveRun } of [...survey.leftAlone, ...plan.leftAlone]) {
    // A match that descends from a stopped daemon (a helper of the same binary) was stopped with it;
    // one left alone both as a match and as a descendant is reported once.
    if (stopping.has(info.pid) || reported.has(info.pid)) continue;
    reported.add(info.pid);
    processes.push({ pid: info.pid, command: commandOf(info), action, reason, ...(liveRun && { liveRun }) });
  }
  for (const report of processes) {
    const daemon = plan.parentDaemon.get(report.pid);
    if (daemon !== undefined) report.parentDaemon = daemon;
    // A respawned daemon is a new process, surveyed by no one: it has none.
    const evidence = report.action === 'respawned' ? undefined : survey.evidenceOf(report.pid);
    if (evidence) report.evidence = evidence;
  }
  return processes;
}
