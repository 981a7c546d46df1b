import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReaperError } from './errors.js';
import { validateSweepOptions, type SweepOptions } from './options.js';
import { isDead } from './processes/process-info.js';
import { defaultProcessSource } from './processes/process-source.js';
import { waitProblem } from './validate.js';

/** Options of `startWatchdog()`: what to sweep when the watched process dies, plus how to watch. */
export interface WatchdogOptions extends Omit<SweepOptions, 'source' | 'dryRun'> {
  /** Required: the run's owner tag. The watchdog sweeps only that owner's daemons. */
  owner: string;
  /** The process whose death triggers the sweep. Default: this process (the test runner). */
  watchPid?: number;
  /** How often to look at it, in ms. Default: `250`, so a sweep starts within a quarter second. */
  intervalMs?: number;
}

/** What the watchdog process is told, through its environment. */
export interface WatchdogOrders {
  watchPid: number;
  /** The watched process's start key: a pid reused by another process is not the runner. */
  watchStartKey: string;
  intervalMs: number;
  sweep: SweepOptions;
}

export const WATCHDOG_ENV = 'MCP_REAPER_WATCHDOG';

export interface Watchdog {
  pid: number;
  /** Ends the watchdog without sweeping (the run's own teardown did the cleanup). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The launcher, packages/core/bin/watchdog.js: one level up from both src/ and dist/. Found from
 * `__filename` where there is one (the CJS build): a bundler's `import.meta.url` shim for CJS takes
 * jsdom's `document` for a browser's and answers `http://localhost/…`, so a jsdom test file could not
 * even load the core. Worked out when a watchdog starts, never at import.
 */
function launcherPath(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), '..', 'bin', 'watchdog.js');
}

/**
 * Starts a watchdog for crash safety: a small detached process (its own session, no pipes, not
 * holding this event loop) that sweeps `owner`'s daemons as soon as the watched process is gone.
 * It survives a SIGKILL to the runner's whole process group, an OOM kill or a closed terminal,
 * which skip every teardown.
 */
export async function startWatchdog(options: WatchdogOptions): Promise<Watchdog> {
  const { watchPid = process.pid, intervalMs = 250, ...sweepOptions } = options;
  validateSweepOptions(sweepOptions, 'startWatchdog() options');
  if (sweepOptions.owner === undefined) {
    throw new ReaperError('EINVALIDOPTION', 'startWatchdog() needs "owner": the run\'s tag, so that it sweeps only that run\'s daemons.');
  }
  const intervalProblem = waitProblem('intervalMs', intervalMs, 10);
  if (intervalProblem) throw new ReaperError('EINVALIDOPTION', `Invalid startWatchdog() options:\n  - ${intervalProblem}`);
  const watched = (await defaultProcessSource().probe([watchPid])).get(watchPid);
  if (isDead(watched)) throw new ReaperError('EINVALIDOPTION', `"watchPid" ${watchPid} is not a running process.`);

  const orders: WatchdogOrders = { watchPid, watchStartKey: watched!.startKey, intervalMs, sweep: sweepOptions };
  const launcher = launcherPath();
  const child = spawn(process.execPath, [launcher], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [WATCHDOG_ENV]: JSON.stringify(orders) },
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new ReaperError('EINVALIDOPTION', `could not start the watchdog (${process.execPath} ${launcher}).`);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });

  let stopping: Promise<void> | undefined;
  return {
    pid,
    stop() {
      stopping ??= (async () => {
        // Our own child: the 'exit' event is exact, no pid-reuse risk in signalling it first.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        // It was unref'd so that it never kept the runner alive; while we wait for it, it must, or
        // Node exits mid-teardown when nothing else is pending (seen in Jest: a failed run exited 0).
        child.ref();
        await exited;
      })();
      return stopping;
    },
  };
}
