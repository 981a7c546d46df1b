import { spawn, type ChildProcess } from 'node:child_process';
import { LOG_DIR_ENV } from '../config/names.js';
import type { OutputLog } from '../files/output-log.js';
import type { DaemonExit } from './stop-group.js';
import { asShellSees } from './spawn-error.js';

/** A process started by `spawnDetached()`, and how it ended, once it has. */
export interface DetachedChild {
  child: ChildProcess;
  /** Undefined when it never ran (ENOENT, EACCES…): `spawnError()` says why, once `exited` settled. */
  pid: number | undefined;
  /** Settles when it exits, or when it could not be started. */
  exited: Promise<DaemonExit>;
  /** How it exited, if it has. */
  exitNow(): DaemonExit | undefined;
  spawnError(): NodeJS.ErrnoException | undefined;
}

/**
 * Starts a daemon or a service the way both are started: detached (setsid: its own session and
 * process group, out of the runner's group), never through a shell, stdout and stderr appended to
 * `log` (a file: a pipe nobody drains blocks the child), `env` over this process's environment
 * (`undefined` removes a variable) with the log's dir tag, so that a sweep that stops it removes a
 * temporary log. Our copy of the log's descriptor is closed; a synchronous spawn error (a bad
 * argument) disposes of the log and is thrown.
 */
export function spawnDetached(file: string, args: readonly string[], options: { cwd: string; env: Readonly<Record<string, string | undefined>>; log: OutputLog }): DetachedChild {
  const { log } = options;
  const env = { ...process.env, ...options.env, [LOG_DIR_ENV]: log.tempDir };
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: options.cwd,
      env,
      detached: true,
      shell: false,
      stdio: ['ignore', log.fd, log.fd],
    });
  } catch (error) {
    log.dispose();
    throw error;
  } finally {
    log.closeFd(); // the child has its own copy
  }
  let exit: DaemonExit | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once('exit', (code, signal) => resolve((exit = { code, signal })));
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError ??= asShellSees(error, file, env);
      resolve((exit ??= { code: null, signal: null }));
    });
  });
  return { child, pid: child.pid, exited, exitNow: () => exit, spawnError: () => spawnError };
}
