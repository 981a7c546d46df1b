import path from 'node:path';
import { ReaperError } from './errors.js';
import type { ProcessSource } from './processes/process-info.js';
import { defaultStateDir } from './state-dir.js';
import { describe, ownerProblem, unknownOption, waitProblem } from './validate.js';

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
  /** Where process facts come from. Default: /proc on Linux, `ps` on macOS. For tests. */
  source?: ProcessSource;
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
  source: ProcessSource | undefined;
}

export const DEFAULT_NAMES: readonly string[] = ['mcp-server-pm'];
export const DEFAULT_SOCKET_NAME = 'mcp.sock';
export const DEFAULT_FILES: readonly string[] = [DEFAULT_SOCKET_NAME, 'daemon.pid'];
export const DEFAULT_PID_FILE = 'daemon.pid';
export const DEFAULT_GRACE_MS = 500;
export const DEFAULT_KILL_WAIT_MS = 2000;
// systemd restarts after RestartSec (100 ms by default) and launchd restarts a long-running job at
// once: 300 ms after the first signal sees both, and costs a cooperative sweep little.
export const DEFAULT_RESPAWN_WINDOW_MS = 300;
export { MAX_WAIT_MS } from './validate.js';

const KNOWN_KEYS = ['dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'dryRun', 'owner', 'descendantsOf', 'respawnWindowMs', 'source'] as const;

/** The keys a user may set in a config file or the environment (the rest are programmatic seams). */
export const USER_KEYS = ['dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'respawnWindowMs', 'dryRun'] as const;

/** A name of a file inside `dir`, or an executable name: one path segment. */
function badSegment(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'expected a non-empty string';
  if (value.includes('/') || value.includes('\0')) return 'expected a plain name without "/"';
  if (value === '.' || value === '..') return 'expected a file name, not "." or ".."';
  return undefined;
}

/**
 * Checks the options a user gave (programmatically, in a config file, in the environment or as flags)
 * and throws one `EINVALIDOPTION` error listing every problem. `where` names the source for the message.
 */
export function validateSweepOptions(options: unknown, where = 'sweep() options'): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ReaperError('EINVALIDOPTION', `${where}: expected an object of options, got ${describe(options)}.`);
  }
  const problems: string[] = [];
  const record = options as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    switch (key) {
      case 'dir':
        if (typeof value !== 'string' || value.length === 0) problems.push(`"dir" must be a non-empty path, got ${describe(value)}`);
        break;
      case 'names':
      case 'files': {
        if (!Array.isArray(value) || value.length === 0) {
          problems.push(`"${key}" must be a non-empty array of names, got ${describe(value)}`);
          break;
        }
        for (const item of value) {
          const bad = badSegment(item);
          if (bad) problems.push(`"${key}" entry ${describe(item)}: ${bad}`);
        }
        break;
      }
      case 'pidFile': {
        const bad = badSegment(value);
        if (bad) problems.push(`"pidFile" ${describe(value)}: ${bad}`);
        break;
      }
      case 'graceMs':
      case 'killWaitMs':
      case 'respawnWindowMs': {
        const problem = waitProblem(key, value);
        if (problem) problems.push(problem);
        break;
      }
      case 'dryRun':
        if (typeof value !== 'boolean') problems.push(`"dryRun" must be true or false, got ${describe(value)}`);
        break;
      case 'owner': {
        const problem = ownerProblem(value);
        if (problem) problems.push(problem);
        break;
      }
      case 'descendantsOf':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
          problems.push(`"descendantsOf" must be a pid (a whole number above 0), got ${describe(value)}`);
        }
        break;
      case 'source':
        if (typeof value !== 'object' || value === null) problems.push(`"source" must be a ProcessSource object, got ${describe(value)}`);
        break;
      default:
        problems.push(unknownOption(key, KNOWN_KEYS, USER_KEYS));
    }
  }
  if (problems.length > 0) {
    throw new ReaperError('EINVALIDOPTION', `Invalid ${where}:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Defaults and validation in one place; everything downstream reads only the resolved object. */
export function resolveSweepOptions(options: SweepOptions = {}): ResolvedSweepOptions {
  validateSweepOptions(options);
  return {
    dir: path.resolve(options.dir ?? defaultStateDir()),
    names: [...new Set(options.names ?? DEFAULT_NAMES)],
    files: [...new Set(options.files ?? DEFAULT_FILES)],
    pidFile: options.pidFile ?? DEFAULT_PID_FILE,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    killWaitMs: options.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
    dryRun: options.dryRun ?? false,
    owner: options.owner,
    descendantsOf: options.descendantsOf,
    respawnWindowMs:
      options.respawnWindowMs ?? (options.owner === undefined && options.descendantsOf === undefined ? DEFAULT_RESPAWN_WINDOW_MS : 0),
    source: options.source,
  };
}
