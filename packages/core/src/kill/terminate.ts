import { debuglog } from 'node:util';
import type { ProcessInfo } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { sendSignal } from './send-signal.js';
import { stillRunning, waitForExit } from './wait-for-exit.js';

const debug = debuglog('mcp-reaper');

export interface TerminateOptions {
  source: ProcessSource;
  /** Wait after SIGTERM before SIGKILL. */
  graceMs: number;
  /** Wait after SIGKILL before calling a process a survivor. */
  killWaitMs: number;
  /**
   * Process groups that may be signalled whole (`kill(-pgid)`): each is a daemon's own group whose
   * leader is among the targets, holding nothing protected and nothing of another user.
   */
  groups: ReadonlySet<number>;
  /**
   * Finds processes that joined the targets' groups or trees after the scan, for the SIGKILL round
   * (a daemon may fork while it shuts down). Returns only processes it is safe to kill.
   */
  findLate: (survivors: readonly ProcessInfo[]) => Promise<ProcessInfo[]>;
  /** Told while it waits: how many still run and the ms since SIGTERM; `0` once when it is done. */
  onWait?: (waiting: number, elapsedMs: number) => void;
}

export interface TerminateOutcome {
  info: ProcessInfo;
  action: 'terminated' | 'killed' | 'survived';
  signal?: 'SIGTERM' | 'SIGKILL';
  reason: string;
}

interface SignalRound {
  /** Errors per pid (EPERM and the like). */
  errors: Map<number, string>;
  /** Targets that had already exited (or whose pid now belongs to another process): not signalled. */
  gone: Set<number>;
}

/**
 * Sends `signal` to the targets that are still the processes we scanned: to a whole group where
 * allowed, else one by one.
 */
async function signalTargets(
  targets: readonly ProcessInfo[],
  signal: 'SIGTERM' | 'SIGKILL',
  options: TerminateOptions,
): Promise<SignalRound> {
  const errors = new Map<number, string>();
  // Re-check identity right before signalling: a pid that was reused since the scan is not ours.
  const live = await stillRunning(targets, options.source);
  const livePids = new Set(live.map((p) => p.pid));
  const signalledGroups = new Set<number>();
  for (const pgid of options.groups) {
    // Only while its leader is alive is the group id certain to still be that daemon's group.
    if (!livePids.has(pgid)) continue;
    const result = sendSignal(-pgid, signal);
    if (result === 'sent') signalledGroups.add(pgid);
  }
  for (const info of live) {
    if (signalledGroups.has(info.pgid)) continue;
    const result = sendSignal(info.pid, signal);
    if (typeof result === 'object') errors.set(info.pid, result.error);
  }
  debug('%s: %d groups, %d processes', signal, signalledGroups.size, live.length);
  return { errors, gone: new Set(targets.filter((t) => !livePids.has(t.pid)).map((t) => t.pid)) };
}

function survivorReason(info: ProcessInfo, now: ProcessInfo | undefined, waitedMs: number): string {
  const state = now?.state ?? info.state;
  // Uninterruptible sleep is D on Linux and U on macOS (BSD ps).
  const hint =
    state === 'D' || state === 'U'
      ? `it is in uninterruptible sleep (state ${state}), usually stuck on disk or network I/O: it exits when that returns`
      : `check it with: ps -o pid,stat,wchan,command -p ${info.pid}`;
  return `still running ${waitedMs} ms after SIGKILL; ${hint}`;
}

/**
 * Graceful first, forced after the grace period, verified both times: SIGTERM, poll until exit or
 * `graceMs`, SIGKILL what is left (and what joined meanwhile), poll up to `killWaitMs`, report.
 */
export async function terminate(targets: readonly ProcessInfo[], options: TerminateOptions): Promise<TerminateOutcome[]> {
  if (targets.length === 0) return [];
  const startedAt = performance.now();
  const onLook = (running: number): void => {
    try {
      options.onWait?.(running, performance.now() - startedAt);
    } catch (error) {
      // A progress display's failure must not stop a sweep half way.
      debug('onWait threw: %s', error);
    }
  };
  try {
    return await signalAndWait(targets, options, onLook);
  } finally {
    onLook(0);
  }
}

async function signalAndWait(targets: readonly ProcessInfo[], options: TerminateOptions, onLook: (running: number) => void): Promise<TerminateOutcome[]> {
  const outcomes = new Map<number, TerminateOutcome>();
  const term = await signalTargets(targets, 'SIGTERM', options);
  let left = await waitForExit(targets, options.source, options.graceMs, onLook);
  const leftPids = new Set(left.map((p) => p.pid));
  for (const info of targets) {
    if (leftPids.has(info.pid)) continue;
    outcomes.set(
      info.pid,
      term.gone.has(info.pid)
        ? { info, action: 'terminated', reason: 'exited on its own before it was signalled' }
        : { info, action: 'terminated', signal: 'SIGTERM', reason: 'exited after SIGTERM' },
    );
  }
  if (left.length === 0) return [...outcomes.values()];

  // SIGKILL what is known to be left at once (a group signal also hits whatever joined the group);
  // only then look for processes that joined the trees meanwhile, so the rescan is not on the path.
  const kill = await signalTargets(left, 'SIGKILL', options);
  const late = (await options.findLate(left)).filter((p) => !outcomes.has(p.pid) && !leftPids.has(p.pid));
  if (late.length > 0) {
    for (const [pid, error] of (await signalTargets(late, 'SIGKILL', options)).errors) kill.errors.set(pid, error);
    left = [...left, ...late];
  }
  const survivors = await waitForExit(left, options.source, options.killWaitMs, onLook);
  const survivorPids = new Set(survivors.map((p) => p.pid));
  const now = await options.source.probe([...survivorPids]);
  for (const info of left) {
    if (survivorPids.has(info.pid)) {
      const error = kill.errors.get(info.pid) ?? term.errors.get(info.pid);
      const reason = error ?? survivorReason(info, now.get(info.pid), options.killWaitMs);
      outcomes.set(info.pid, { info, action: 'survived', signal: 'SIGKILL', reason });
    } else {
      const late = !targets.includes(info);
      const reason = late
        ? 'started during the shutdown; killed with SIGKILL'
        : `ignored SIGTERM for ${options.graceMs} ms; killed with SIGKILL`;
      outcomes.set(info.pid, { info, action: 'killed', signal: 'SIGKILL', reason });
    }
  }
  return [...outcomes.values()];
}
