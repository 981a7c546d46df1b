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
  /** What the decision rested on, as far as the sweep read it (what `mcp-reaper --verbose` shows). */
  evidence?: ProcessEvidence;
}

/** `ProcessEvidence.parent.command` of a parent that had exited when the sweep looked. */
export const GONE = '(gone)';

/**
 * What an owner tag (`MCP_REAPER_OWNER`) meant to the sweep: `untagged` (none), `this run` (the
 * sweeping process's own run, so a leftover of it), `live run` (another run that still runs: kept),
 * `dead run` (a run that is over: a leftover), `unknown` (the registry of runs could not be read).
 */
export type OwnerMeaning = 'untagged' | 'this run' | 'live run' | 'dead run' | 'unknown';

/**
 * The facts behind a process's action. Each part is present only where the sweep read it anyway:
 * a scoped sweep's `reason` names its owner tag instead, and `--include-live-runs` reads no tag.
 */
export interface ProcessEvidence {
  /** Which configured name matched and where: the kernel's name, argv[0], or argv[1] behind an interpreter. */
  match?: { name: string; via: 'kernel name' | 'argv[0]' | 'argv[1]'; subcommand?: string };
  /** Its parent when it was surveyed (command `(gone)` when it had exited), and whether that parent is gone or only adopted it (orphaned). */
  parent?: { pid: number; command: string; orphaned: boolean };
  /** Its owner tag and what the tag meant; `runId` names the live run when `meaning` is `live run`. */
  owner?: { tag?: string; meaning: OwnerMeaning; runId?: string };
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

/**
 * The version of the report's format, in `SweepReport.version` and in every JSON the CLI prints;
 * schema/report.schema.json describes it. Bump it on an incompatible change (a field removed,
 * renamed or retyped, an action's meaning changed); new optional fields and new actions don't.
 */
export const REPORT_VERSION = 1;

export interface SweepReport {
  /** The format's version: {@link REPORT_VERSION}. */
  version: typeof REPORT_VERSION;
  /** True when nothing survived or respawned and nothing had to be skipped for safety. */
  ok: boolean;
  dryRun: boolean;
  durationMs: number;
  processes: ProcessReport[];
  files: FileReport[];
}

/** A report of these results: the version and `ok` are set here, for every producer alike. */
export function sweepReport(parts: { dryRun: boolean; durationMs: number; processes: ProcessReport[]; files: FileReport[] }): SweepReport {
  const { dryRun, durationMs, processes, files } = parts;
  return { version: REPORT_VERSION, ok: isClean(processes, files), dryRun, durationMs, processes, files };
}

/** `ok` is derived in one place so the CLI, adapters and JSON agree. */
export function isClean(processes: readonly ProcessReport[], files: readonly FileReport[]): boolean {
  return (
    processes.every((p) => p.action !== 'survived' && p.action !== 'skipped' && p.action !== 'respawned') &&
    files.every((f) => f.action !== 'skipped')
  );
}
