import path from 'node:path';
import {
  DEFAULT_DRY_RUN,
  DEFAULT_FILES,
  DEFAULT_GRACE_MS,
  DEFAULT_INCLUDE_LIVE_RUNS,
  DEFAULT_KILL_WAIT_MS,
  DEFAULT_NAMES,
  DEFAULT_PID_FILE,
  DEFAULT_RESPAWN_WINDOW_MS,
  SCOPED_RESPAWN_WINDOW_MS,
} from '../config/defaults.js';
import { checkOptions, SWEEP_KEYS } from '../config/rules.js';
import type { ProcessSource } from '../processes/process-source.js';
import { defaultStateDir } from '../state-dir.js';

/** Options of `sweep()`. Every field is optional; the default is in its comment. */
export interface SweepOptions {
  /**
   * The daemon's state directory, where `files` live. A missing directory is not an error and is never
   * created. Default: macOS `~/Library/Application Support/AIAgentPM`; Linux `$XDG_DATA_HOME/AIAgentPM`
   * or `~/.local/share/AIAgentPM`.
   */
  dir?: string;
  /**
   * Executable names of the daemon. A process matches when its kernel name, its argv[0]'s basename, or
   * (when argv[0] is an interpreter such as node, python or sh) its argv[1]'s basename is exactly one of
   * these. Default: `['mcp-server-pm']`.
   */
  names?: readonly string[];
  /** File names inside `dir` to remove when stale. Default: `['mcp.sock', 'daemon.pid']`. */
  files?: readonly string[];
  /** The entry of `files` holding the daemon's pid, read strictly and checked for pid reuse. Default: `'daemon.pid'`. */
  pidFile?: string;
  /** How long to wait after SIGTERM before SIGKILL, in ms. Default: `500`. */
  graceMs?: number;
  /** How long to wait for SIGKILL to take effect before reporting a survivor, in ms. Default: `2000`. */
  killWaitMs?: number;
  /** Change nothing; report what would happen. Default: `false`. */
  dryRun?: boolean;
  /**
   * Scope the sweep to one owner: only daemons whose `MCP_REAPER_OWNER` tag is this or below it
   * (`run-1` covers `run-1/w3/test-7`). Other matches are left alone without a word, and a live
   * socket that is not theirs is `kept`. Default: none (every leftover, as before a test run).
   */
  owner?: string;
  /** Scope the sweep to daemons descended from this pid (alone, or in addition to `owner`). Default: none. */
  descendantsOf?: number;
  /**
   * How long after the first signal to watch for a daemon that a supervisor (launchd KeepAlive,
   * systemd Restart=) starts again; it is reported as `respawned`. 0 turns the check off. Default:
   * `300`, or `0` in a scoped sweep (a test's own daemons have no supervisor, and hooks stay fast).
   */
  respawnWindowMs?: number;
  /**
   * A sweep without a scope keeps the daemons of every live run but its own (their owner tag names a
   * run whose process still runs: another terminal's, another worktree's, another CI job's) and
   * reports them as `kept`. `true` stops them too. Default: `false`.
   */
  includeLiveRuns?: boolean;
  /** Where process facts come from. Default: /proc on Linux, `ps` on macOS. For tests. */
  source?: ProcessSource;
  /**
   * Called while the sweep waits for the processes it signalled to exit, after each look (every few
   * ms): how many still run and how long since the first signal; once more with `waiting: 0` when
   * the wait is over. For a progress line (the CLI shows one on a terminal after a second). It must
   * return at once; what it throws is ignored. Default: none.
   */
  onWait?: (wait: SweepWait) => void;
}

/** What `onWait` is told. */
export interface SweepWait {
  /** Signalled processes still running; 0 when the wait is over. */
  waiting: number;
  /** Since the first SIGTERM. */
  elapsedMs: number;
}

export interface ResolvedSweepOptions {
  dir: string;
  names: string[];
  files: string[];
  pidFile: string;
  graceMs: number;
  killWaitMs: number;
  dryRun: boolean;
  owner: string | undefined;
  descendantsOf: number | undefined;
  respawnWindowMs: number;
  includeLiveRuns: boolean;
  source: ProcessSource | undefined;
  onWait: ((wait: SweepWait) => void) | undefined;
}

/** Defaults and validation in one place; everything downstream reads only the resolved object. */
export function resolveSweepOptions(options: SweepOptions = {}): ResolvedSweepOptions {
  checkOptions(options, SWEEP_KEYS, 'sweep() options');
  const scoped = options.owner !== undefined || options.descendantsOf !== undefined;
  return {
    dir: path.resolve(options.dir ?? defaultStateDir()),
    names: [...new Set(options.names ?? DEFAULT_NAMES)],
    files: [...new Set(options.files ?? DEFAULT_FILES)],
    pidFile: options.pidFile ?? DEFAULT_PID_FILE,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    killWaitMs: options.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
    dryRun: options.dryRun ?? DEFAULT_DRY_RUN,
    owner: options.owner,
    descendantsOf: options.descendantsOf,
    respawnWindowMs: options.respawnWindowMs ?? (scoped ? SCOPED_RESPAWN_WINDOW_MS : DEFAULT_RESPAWN_WINDOW_MS),
    includeLiveRuns: options.includeLiveRuns ?? DEFAULT_INCLUDE_LIVE_RUNS,
    source: options.source,
    onWait: options.onWait,
  };
}
