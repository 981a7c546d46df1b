import path from 'node:path';
import { debuglog } from 'node:util';
import { ReaperError } from '../errors.js';
import { healthCheck, type HealthReport } from '../health/health-check.js';
import { defaultProcessSource } from '../processes/process-source.js';
import { socketIdentity, socketProbe } from '../ready/probes.js';
import { waitReady } from '../ready/wait-ready.js';
import type { SweepReport } from '../report.js';
import { openOutputLog, type OutputLog } from '../files/output-log.js';
import { resolveStartOptions, type ResolvedStartOptions, type StartDaemonOptions } from './start-options.js';
import { spawnDetached } from './spawn-detached.js';
import { describeExit, stopDaemonGroup } from './stop-group.js';

const debug = debuglog('mcp-reaper');

/** How many of the daemon's last output lines a failed start shows. */
const OUTPUT_LINES = 20;

/** A daemon started by `startDaemon()`, ready: its socket answered. */
export interface DaemonHandle extends AsyncDisposable {
  /** The daemon itself (started with --foreground: no fork), leader of its own process group. */
  readonly pid: number;
  /** The socket it answered on, absolute. */
  readonly socketPath: string;
  /** Its state directory, where it writes the pid file. */
  readonly dir: string;
  /**
   * Where its stdout and stderr go: the `logFile` option, or a temporary file removed by `stop()` (or by
   * the sweep that stops the daemon, e.g. a leak check: the daemon carries MCP_REAPER_LOG_DIR for it).
   */
  readonly logFile: string;
  /**
   * Stops the whole process group (SIGTERM, `graceMs`, SIGKILL, verified), removes its socket and its
   * pid file, and resolves to a report like a sweep's. Every call returns the same promise.
   */
  stop(): Promise<SweepReport>;
  /** `healthCheck()` of this daemon: its dir, socket, pid file (which must name its pid) and command name. */
  health(options?: { timeoutMs?: number }): Promise<HealthReport>;
}

/** Why a start failed, what was cleaned up after it, and what the daemon last wrote. */
export class DaemonStartError extends ReaperError {
  /** What was stopped and removed after the failure: `cleanup.ok` is false if anything survived. */
  readonly cleanup: SweepReport | undefined;
  /** The daemon's last lines of stdout and stderr. */
  readonly output: string[];
  /** The pid it had, when it ran at all. */
  readonly pid: number | undefined;

  constructor(
    code: 'EDAEMONEXIT' | 'EDAEMONTIMEOUT',
    message: string,
    details: { pid?: number; cleanup?: SweepReport; output?: string[]; cause?: unknown },
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.cleanup = details.cleanup;
    this.output = details.output ?? [];
    this.pid = details.pid;
  }
}

function hints(opts: ResolvedStartOptions, kind: 'exit' | 'timeout'): string {
  const lines = [`- the daemon runs by hand: ${[opts.command, ...opts.args].join(' ')}`];
  if (kind === 'timeout') {
    lines.push(`- it listens on ${opts.socketPath} (its --socket-path) and answers JSON-RPC there`);
    lines.push(`- it is not just slow: readyTimeoutMs is ${opts.readyTimeoutMs}`);
  }
  lines.push(`- ${path.dirname(opts.socketPath)} exists and is writable, as is ${opts.dir}`);
  lines.push('- no leftover daemon holds the socket or the database: run `npx mcp-reaper`');
  return `Check that:\n  ${lines.join('\n  ')}`;
}

function cleanupSummary(report: SweepReport): string {
  const stopped = report.processes.filter((p) => p.action === 'terminated' || p.action === 'killed').length;
  const removed = report.files.filter((f) => f.action === 'removed').map((f) => f.path);
  const trouble = [...report.processes, ...report.files].filter((e) => e.action === 'survived' || e.action === 'skipped');
  let text = `Cleaned up: ${stopped} process${stopped === 1 ? '' : 'es'} stopped, ${removed.length === 0 ? 'no files removed' : `removed ${removed.join(', ')}`}.`;
  for (const entry of trouble) text += `\nNOT cleaned: ${'pid' in entry ? `pid ${entry.pid}` : entry.path} ${entry.action}: ${entry.reason}`;
  return text;
}

/**
 * Starts the daemon in the foreground in its own process group (so the handle holds the real daemon,
 * and stopping the group stops everything it spawned there) and resolves once its socket answers a
 * JSON-RPC request. On any failure the whole group is stopped and its files removed before the
 * promise rejects with a `DaemonStartError` (`EDAEMONEXIT` or `EDAEMONTIMEOUT`).
 *
 * Spawned with node:child_process, not execa: everything execa adds (piping, buffering, its result,
 * its exit cleanup) would be turned off here, and its types refuse a raw file descriptor. Detached,
 * never through a shell, stdout and stderr on a file descriptor (see output-log.ts), unref()ed once
 * ready: a test runner can exit while the daemon runs. The daemon outlives its
 * starter if nobody stops it; the owner tag and `sweep()` are for that case.
 */
export async function startDaemon(options: StartDaemonOptions = {}): Promise<DaemonHandle> {
  const startedAt = performance.now();
  const opts = resolveStartOptions(options);
  const source = opts.source ?? defaultProcessSource();
  const name = path.basename(opts.command);
  const commandText = [opts.command, ...opts.args].join(' ');

  const before = socketIdentity(opts.socketPath);
  const log: OutputLog = openOutputLog(opts.logFile);
  // A named log is the user's to keep; a temporary one is removed by whoever stops the daemon.
  const started = spawnDetached(opts.command, opts.args, { cwd: opts.cwd, env: opts.env, log });
  const { child: subprocess, exited } = started;

  const pid = subprocess.pid;
  if (pid === undefined) {
    // It never ran (ENOENT, EACCES…): nothing to stop, only the log to remove.
    await exited;
    log.dispose();
    const spawnError = started.spawnError();
    const code = spawnError?.code ?? 'unknown error';
    const fix =
      code === 'ENOENT'
        ? `\`${opts.command}\` was not found${opts.command.includes('/') ? '' : ` on PATH (${process.env.PATH ?? ''})`}. Pass its full path as \`command\`, or install it.`
        : code === 'EACCES'
          ? `\`${opts.command}\` is not executable by this user: check its mode (chmod +x) and its directory's.`
          : `Check \`command\` (${opts.command}) and \`cwd\` (${opts.cwd}).`;
    throw new DaemonStartError('EDAEMONEXIT', `Could not start ${name}: ${code}. ${fix}`, { cause: spawnError });
  }
  debug('started %s: pid %d', commandText, pid);

  const stopGroup = () =>
    stopDaemonGroup({
      pid,
      command: commandText,
      exit: started.exitNow(),
      source,
      graceMs: opts.graceMs,
      killWaitMs: opts.killWaitMs,
      socketPath: opts.socketPath,
      pidFilePath: path.join(opts.dir, opts.pidFile),
    });

  const outcome = await waitReady(socketProbe(opts.socketPath, before), {
    deadline: startedAt + opts.readyTimeoutMs,
    exited,
    exitNow: started.exitNow,
    firstProblem: `no socket appeared at ${opts.socketPath}`,
  });
  if (outcome.kind !== 'ready') {
    const elapsed = Math.round(performance.now() - startedAt);
    let cleanup: SweepReport | undefined;
    let cleanupError: unknown;
    try {
      cleanup = await stopGroup();
    } catch (error) {
      cleanupError = error;
    }
    const output = log.tail(OUTPUT_LINES);
    log.dispose();
    const what =
      outcome.kind === 'exit'
        ? `it ${describeExit(outcome.exit)} after ${elapsed} ms, before its socket ${opts.socketPath} answered`
        : `it was not ready within readyTimeoutMs (${opts.readyTimeoutMs} ms): ${outcome.lastProblem}`;
    const message = [
      `${name} (pid ${pid}) did not start: ${what}.`,
      output.length === 0 ? 'It wrote nothing to stdout or stderr.' : `Its last output:\n  ${output.join('\n  ')}`,
      hints(opts, outcome.kind),
      cleanup
        ? cleanupSummary(cleanup)
        : `Cleanup failed (${cleanupError instanceof Error ? cleanupError.message : String(cleanupError)}): run \`npx mcp-reaper --dir ${opts.dir}\`.`,
    ].join('\n');
    throw new DaemonStartError(outcome.kind === 'exit' ? 'EDAEMONEXIT' : 'EDAEMONTIMEOUT', message, {
      pid,
      ...(cleanup && { cleanup }),
      output,
      ...(cleanupError !== undefined && { cause: cleanupError }),
    });
  }
  // Ready: the daemon must not keep the caller's event loop alive (it has no pipes to us either).
  subprocess.unref();
  debug('%s ready in %d ms', name, Math.round(performance.now() - startedAt));

  let stopping: Promise<SweepReport> | undefined;
  const stop = (): Promise<SweepReport> => {
    stopping ??= stopGroup().finally(() => log.dispose());
    return stopping;
  };
  return {
    pid,
    socketPath: opts.socketPath,
    dir: opts.dir,
    logFile: log.path,
    stop,
    health: (healthOptions = {}) =>
      healthCheck({
        dir: opts.dir,
        names: [name],
        pid, // this daemon's, exactly: the pid file of another daemon in the same dir is no proof
        pidFile: opts.pidFile,
        socketPath: opts.socketPath,
        ...(healthOptions.timeoutMs !== undefined && { timeoutMs: healthOptions.timeoutMs }),
        ...(opts.source && { source: opts.source }),
      }),
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
