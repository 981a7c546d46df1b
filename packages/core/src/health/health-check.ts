import fs from 'node:fs';
import path from 'node:path';
import { formatTime, startedAfterPidFile } from '../files/check-pid-file.js';
import { fileType, readPidFile, type PidFileState } from '../files/pid-file.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_NAMES, DEFAULT_PID_FILE, DEFAULT_SOCKET_NAME } from '../config/defaults.js';
import { checkOptions, HEALTH_KEYS } from '../config/rules.js';
import { matchDaemon } from '../processes/match.js';
import { commandLine, isDead, type ProcessInfo } from '../processes/process-info.js';
import { defaultProcessSource, type ProcessSource } from '../processes/process-source.js';
import { defaultStateDir } from '../state-dir.js';
import { pingSocket } from './rpc-ping.js';

/** Options of `healthCheck()`; names and defaults shared with `sweep()` where they mean the same. */
export interface HealthCheckOptions {
  /** The daemon's state directory (holds the pid file). Default: as for `sweep()`. */
  dir?: string;
  /** Executable names of the daemon. Default: `['mcp-server-pm']`. */
  names?: readonly string[];
  /** The pid file's name inside `dir`. Default: `'daemon.pid'`. */
  pidFile?: string;
  /** The daemon's socket. Default: `<dir>/mcp.sock`. */
  socketPath?: string;
  /** How long the JSON-RPC request may take, in ms. Default: `1000`. */
  timeoutMs?: number;
  /**
   * The daemon's own pid, when it is known (a `startDaemon()` handle's `health()` passes it): the pid
   * file must name exactly this pid. Default: any pid, as long as it is a running daemon.
   */
  pid?: number;
  /** Where process facts come from (tests). */
  source?: ProcessSource;
}

export type HealthCheckName = 'pid-file' | 'process' | 'socket' | 'rpc';

export interface HealthCheckResult {
  name: HealthCheckName;
  ok: boolean;
  /** Why, in words a person can act on. */
  reason: string;
  /** For `rpc`: the round trip in ms. */
  latencyMs?: number;
}

export interface HealthReport {
  /** Every check passed. */
  healthy: boolean;
  /** The pid the pid file names, when it is well-formed. */
  pid?: number;
  socketPath: string;
  checks: HealthCheckResult[];
  durationMs: number;
}

interface ResolvedHealthOptions {
  dir: string;
  names: ReadonlySet<string>;
  pidFilePath: string;
  socketPath: string;
  timeoutMs: number;
  pid: number | undefined;
  source: ProcessSource;
}

/** Defaults and validation in one place; every problem is reported at once, as sweep() does. */
function resolveHealthOptions(options: HealthCheckOptions): ResolvedHealthOptions {
  checkOptions(options, HEALTH_KEYS, 'healthCheck() options');
  const dir = path.resolve(options.dir ?? defaultStateDir());
  return {
    dir,
    names: new Set(options.names ?? DEFAULT_NAMES),
    pidFilePath: path.join(dir, options.pidFile ?? DEFAULT_PID_FILE),
    socketPath: path.resolve(options.socketPath ?? path.join(dir, DEFAULT_SOCKET_NAME)),
    timeoutMs: options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
    pid: options.pid,
    source: options.source ?? defaultProcessSource(),
  };
}

function quoted(info: ProcessInfo): string {
  return `\`${commandLine(info).slice(0, 80)}\``;
}

const CLEAN_UP = 'run `mcp-reaper` to clean up, then start the daemon again';

function checkPidFile(file: string, state: PidFileState, pidMax: number, expected: number | undefined): HealthCheckResult {
  const name = 'pid-file';
  switch (state.kind) {
    case 'absent':
      return { name, ok: false, reason: `no ${file}: the daemon is not running, or it did not write its pid file` };
    case 'not-a-file':
      return { name, ok: false, reason: `${file} is a ${state.type}, not a pid file: remove it, then start the daemon again` };
    case 'unreadable':
      return { name, ok: false, reason: `${file} cannot be read (uid ${state.uid} owns it): check its permissions, or run as its owner` };
    case 'corrupt':
      return {
        name,
        ok: false,
        reason: `${file} holds ${JSON.stringify(state.content.slice(0, 40))}, not a pid from 2 to ${pidMax}: ${CLEAN_UP}`,
      };
    case 'valid':
      if (expected !== undefined && state.pid !== expected) {
        // Parallel daemons in one state dir overwrite each other's pid file; a stop or a sweep that
        // goes by the file would then find the wrong daemon.
        return {
          name,
          ok: false,
          reason:
            `${file} names pid ${state.pid}, not this daemon's pid ${expected}: another daemon wrote it. ` +
            'Daemons that run at once need a state dir each (`dir`, and the `env` that moves the daemon\'s state there)',
        };
      }
      return { name, ok: true, reason: `${file} names pid ${state.pid}` };
  }
}

/** Believes the pid file only as the sweep does: a matching daemon that started before it was written. */
async function checkProcess(
  file: string,
  state: PidFileState,
  options: ResolvedHealthOptions,
): Promise<HealthCheckResult> {
  const name = 'process';
  const base = path.basename(file);
  if (state.kind !== 'valid') return { name, ok: false, reason: `no pid to check: ${base} holds none (see the pid-file check)` };
  const { pid, mtimeMs } = state;
  const info = (await options.source.probe([pid])).get(pid);
  if (info === undefined) return { name, ok: false, reason: `${base} names pid ${pid}, which is not running: ${CLEAN_UP}` };
  // Stricter than isDead(), which waits for a zombie's last thread because those still hold its
  // files: a zombie whose threads are still exiting is no daemon that can serve.
  if (isDead(info) || info.state === 'Z' || info.state === 'X') {
    return { name, ok: false, reason: `${base} names pid ${pid}, which has exited (a zombie not yet reaped): ${CLEAN_UP}` };
  }
  const match = matchDaemon(info, options.names);
  if (!match) {
    const wanted = [...options.names].join(' or ');
    return {
      name,
      ok: false,
      reason: `${base} names pid ${pid}, which is now ${quoted(info)}, not a ${wanted} daemon (the pid was reused): ${CLEAN_UP}`,
    };
  }
  if (startedAfterPidFile(info, mtimeMs)) {
    return {
      name,
      ok: false,
      reason:
        `${base} names pid ${pid}, ${quoted(info)}, which started ${formatTime(info.startedAt)}, after ${base} was written ` +
        `${formatTime(mtimeMs)}: the pid was reused (or the daemon did not rewrite its pid file): ${CLEAN_UP}`,
    };
  }
  return { name, ok: true, reason: `pid ${pid} is a running ${match.name} daemon, ${quoted(info)}` };
}

function checkSocketFile(socketPath: string): HealthCheckResult {
  const name = 'socket';
  let stat: fs.Stats;
  try {
    // Follows a symlink on purpose: connecting does too, and a link to the socket works.
    stat = fs.statSync(socketPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { name, ok: false, reason: `no socket at ${socketPath}: the daemon is not listening (or was started with another --socket-path)` };
    }
    return { name, ok: false, reason: `cannot inspect ${socketPath}: ${code ?? String(error)}` };
  }
  if (!stat.isSocket()) {
    const type = fileType(stat);
    return { name, ok: false, reason: `${socketPath} is a ${type === 'file' ? 'regular file' : type}, not a socket: remove it, then start the daemon again` };
  }
  return { name, ok: true, reason: `${socketPath} is a socket` };
}

/** What to do about a failed connect, by errno; a timeout or bad reply has no code. */
function pingHint(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing listens on it (a stale socket): ${CLEAN_UP}`;
    case 'ECONNRESET':
      return `the listener dropped the connection (is the daemon exiting?): ${CLEAN_UP}`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: run as the user who started the daemon';
    case undefined:
      return `the daemon is hung, or something else holds the socket: ${CLEAN_UP}`;
    default:
      return 'check the socket path';
  }
}

async function checkRpc(socket: HealthCheckResult, socketPath: string, timeoutMs: number): Promise<HealthCheckResult> {
  const name = 'rpc';
  // A connect to a missing path or a regular file only fails again, less clearly than the socket check did.
  if (!socket.ok) return { name, ok: false, reason: 'no request sent: there is no socket to send it to (see the socket check)' };
  const reply = await pingSocket(socketPath, { timeoutMs });
  if (reply.ok) {
    return { name, ok: true, reason: 'answered a JSON-RPC request', latencyMs: reply.latencyMs };
  }
  const reason = reply.reason.replace('no reply to a JSON-RPC request within', 'no reply within');
  return { name, ok: false, reason: `${reason}: ${pingHint(reply.code)}` };
}

/**
 * Checks the daemon the way a person would, each check with its own verdict and reason: the pid file
 * is there and well-formed; the process it names is alive and a matching daemon that started before the
 * file was written; the socket is there and is a socket; it answers a JSON-RPC request. Reads only:
 * it never signals a process or removes a file.
 */
export async function healthCheck(options: HealthCheckOptions = {}): Promise<HealthReport> {
  const started = performance.now();
  const opts = resolveHealthOptions(options);
  const state = readPidFile(opts.pidFilePath, opts.source.pidMax);

  // The two chains are independent: a slow ping need not wait for the process table, nor the reverse.
  const [processChecks, socketChecks] = await Promise.all([
    (async () => [
      checkPidFile(opts.pidFilePath, state, opts.source.pidMax, opts.pid),
      await checkProcess(opts.pidFilePath, state, opts),
    ])(),
    (async () => {
      const socket = checkSocketFile(opts.socketPath);
      return [socket, await checkRpc(socket, opts.socketPath, opts.timeoutMs)];
    })(),
  ]);
  const checks = [...processChecks, ...socketChecks];
  return {
    healthy: checks.every((c) => c.ok),
    ...(state.kind === 'valid' && { pid: state.pid }),
    socketPath: opts.socketPath,
    checks,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  };
}
