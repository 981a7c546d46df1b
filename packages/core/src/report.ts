/** What a sweep did, or would do (`dryRun`), to one process. */
export type ProcessAction =
  /** Exited after SIGTERM. */
  | 'terminated'
  /** Needed SIGKILL and is gone. */
  | 'killed'
  /** Still alive after SIGKILL: `reason` says what to check. */
  | 'survived'
  /** Dry run: would be signalled. */
  | 'would-kill'
  /** A match that is not a leftover (another live run's daemon, an owned `serve`): left alone on purpose. */
  | 'kept'
  /** A match left alone for safety (another user's, ourselves, an ancestor, pid 1): `reason` says why. */
  | 'skipped'
  /** Came back right after being stopped (a supervisor restarts it): `reason` says how to stop that. */
  | 'respawned';

export interface ProcessReport {
  pid: number;
  /** The command line as read before any signal. */
  command: string;
  action: ProcessAction;
  /** The last signal sent (absent when none was sent). */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** Why this action, in words a person can act on. */
  reason: string;
  /** For a descendant of a leftover daemon: that daemon's pid. */
  parentDaemon?: number;
  /** For a daemon kept because its owner tag names another run that is live: that run. */
  liveRun?: { runId: string; pid: number; command: string };
}

/**
 * `kept`: in use, so not stale (a pid file naming a live daemon the sweep leaves alone, or in a scoped
 * sweep a socket another owner's daemon listens on). `skipped`: left alone for safety, needs a look.
 */
export type FileAction = 'removed' | 'would-remove' | 'kept' | 'skipped' | 'absent';

export interface FileReport {
  path: string;
  action: FileAction;
  reason: string;
}

export interface SweepReport {
  /** True when nothing survived or respawned and nothing had to be skipped for safety. */
  ok: boolean;
  dryRun: boolean;
  durationMs: number;
  processes: ProcessReport[];
  files: FileReport[];
}

/** `ok` is derived in one place so the CLI, adapters and JSON agree. */
export function isClean(processes: readonly ProcessReport[], files: readonly FileReport[]): boolean {
  return (
    processes.every((p) => p.action !== 'survived' && p.action !== 'skipped' && p.action !== 'respawned') &&
    files.every((f) => f.action !== 'skipped')
  );
}
