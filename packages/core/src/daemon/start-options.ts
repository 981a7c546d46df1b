import path from 'node:path';
import {
  DEFAULT_COMMAND,
  DEFAULT_GRACE_MS,
  DEFAULT_KILL_WAIT_MS,
  DEFAULT_PID_FILE,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_SOCKET_NAME,
  defaultDaemonArgs,
} from '../config/defaults.js';
import { OWNER_ENV } from '../config/names.js';
import { checkOptions, invalidOptions, START_KEYS } from '../config/rules.js';
import type { ProcessSource } from '../processes/process-source.js';
import { daemonStateDir } from '../state-dir.js';

/**
 * Options of `startDaemon()`. Every field is optional; the default is in its comment. Names and
 * defaults are those of `sweep()` where they mean the same (`dir`, `pidFile`, `graceMs`,
 * `killWaitMs`, `source`).
 */
export interface StartDaemonOptions {
  /** The executable, a path or a name looked up on PATH. Never run through a shell. Default: `'mcp-server-pm'`. */
  command?: string;
  /**
   * Its arguments. Default: `['daemon', '--foreground', '--socket-path', socketPath]`. Arguments of
   * your own must keep the daemon in the foreground (a forking daemon leaves the handle holding an
   * exited parent) and make it listen on `socketPath`, which is what readiness is checked on.
   */
  args?: readonly string[];
  /** Environment variables merged over `process.env`; `undefined` removes one. Default: `{}`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Working directory of the daemon. Default: `process.cwd()`. */
  cwd?: string;
  /**
   * The daemon's state directory, where it writes `pidFile`. Default: as for `sweep()`, computed from
   * the daemon's environment (so `env: { XDG_DATA_HOME }` moves it, as it moves the real daemon's).
   */
  dir?: string;
  /** The socket the daemon listens on; a relative path is resolved against `cwd`. Default: `<dir>/mcp.sock`. */
  socketPath?: string;
  /** The pid file's name inside `dir`, removed on stop when it names this daemon or is stale. Default: `'daemon.pid'`. */
  pidFile?: string;
  /** How long to wait after SIGTERM before SIGKILL, in ms (stop and failed starts). Default: `500`. */
  graceMs?: number;
  /** How long to wait for SIGKILL to take effect before reporting a survivor, in ms. Default: `2000`. */
  killWaitMs?: number;
  /** How long the daemon may take to answer on its socket, in ms. Default: `10000`. */
  readyTimeoutMs?: number;
  /** Tag set as `MCP_REAPER_OWNER` in the daemon's environment, so sweeps can tell whose it is. Default: none (a tag inherited from `process.env` passes through). */
  owner?: string;
  /**
   * File the daemon's stdout and stderr are appended to, kept after stop. Default: a temporary file,
   * removed when the daemon is stopped (its last lines are in the error of a failed start).
   */
  logFile?: string;
  /** Where process facts come from. Default: /proc on Linux, `ps` on macOS. For tests. */
  source?: ProcessSource;
}

export interface ResolvedStartOptions {
  command: string;
  args: string[];
  /** The variables to set or remove over `process.env` (owner tag included). */
  env: Record<string, string | undefined>;
  cwd: string;
  dir: string;
  socketPath: string;
  pidFile: string;
  graceMs: number;
  killWaitMs: number;
  readyTimeoutMs: number;
  owner: string | undefined;
  logFile: string | undefined;
  source: ProcessSource | undefined;
}

// sun_path holds 108 bytes on Linux and 104 on macOS, the final NUL included: a longer path cannot
// be listened on, and the daemon would fail with an error far from its cause.
const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;

/** Defaults and validation in one place: one `EINVALIDOPTION` error lists every problem. */
export function resolveStartOptions(options: StartDaemonOptions = {}): ResolvedStartOptions {
  const where = 'startDaemon() options';
  checkOptions(options, START_KEYS, where);
  const env: Record<string, string | undefined> = { ...options.env };
  if (options.owner !== undefined) env[OWNER_ENV] = options.owner;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const dir = path.resolve(options.dir ?? daemonStateDir(env));
  // Resolved against the daemon's cwd, where the daemon itself resolves it.
  const socketPath = path.resolve(cwd, options.socketPath ?? path.join(dir, DEFAULT_SOCKET_NAME));
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw invalidOptions(where, [
      `"socketPath" ${JSON.stringify(socketPath)} is ${Buffer.byteLength(socketPath)} bytes; a Unix socket path may have at most ${MAX_SOCKET_PATH_BYTES}: choose a shorter dir or socketPath`,
    ]);
  }
  return {
    command: options.command ?? DEFAULT_COMMAND,
    args: [...(options.args ?? defaultDaemonArgs(socketPath))],
    env,
    cwd,
    dir,
    socketPath,
    pidFile: options.pidFile ?? DEFAULT_PID_FILE,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    killWaitMs: options.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
    readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    owner: options.owner,
    logFile: options.logFile === undefined ? undefined : path.resolve(options.logFile),
    source: options.source,
  };
}
