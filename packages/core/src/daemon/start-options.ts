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
import type { DaemonOptions } from '../config/daemon-options.js';
import type { ProcessSource } from '../processes/process-source.js';
import { daemonStateDir } from '../state-dir.js';

/** Options of `startDaemon()`: what a config may hold (config/daemon-options.ts), and where process facts come from. */
export interface StartDaemonOptions extends DaemonOptions {
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
export const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;

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
