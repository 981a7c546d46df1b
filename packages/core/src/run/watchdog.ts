import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_WATCHDOG_INTERVAL_MS } from '../config/defaults.js';
import { WATCHDOG_ORDERS_ENV } from '../config/names.js';
import { checkOptions, WATCHDOG_KEYS } from '../config/rules.js';
import { ReaperError } from '../errors.js';
import { isDead } from '../processes/process-info.js';
import { defaultProcessSource } from '../processes/process-source.js';
import type { SweepOptions } from '../sweep/sweep-options.js';

/** Options of `startWatchdog()`: what to sweep when the watched process dies, plus how to watch. */
export interface WatchdogOptions extends Omit<SweepOptions, 'source' | 'dryRun' | 'includeLiveRuns'> {
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
  sweep: SweepOptions & { owner: string };
}

export interface Watchdog {
  pid: number;
  /** Ends the watchdog without sweeping (the run's own teardown did the cleanup). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The launcher, packages/core/bin/watchdog.js, found upward from this module: from dist/ (the build)
 * and from src/run/ (tests run the sources). Found from `__filename` where there is one (the CJS
 * build): a bundler's `import.meta.url` shim for CJS takes jsdom's `document` for a browser's and
 * answers `http://localhost/…`, so a jsdom test file could not even load the core. Worked out when a
 * watchdog starts, never at import.
 */
function launcherPath(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  for (let dir = path.dirname(here); ; dir = path.dirname(dir)) {
    const launcher = path.join(dir, 'bin', 'watchdog.js');
    if (fs.existsSync(launcher)) return launcher;
    if (path.dirname(dir) === dir) throw new ReaperError('EWATCHDOG', `Cannot find bin/watchdog.js above ${here}: the @mcp-reaper/core package is incomplete; reinstall it.`);
  }
}

/**
 * Starts a watchdog for crash safety: a small detached process (its own session, no pipes, not
 * holding this event loop) that sweeps `owner`'s daemons as soon as the watched process is gone,
 * then removes the run's record from the registry of live runs. It survives a SIGKILL to the
 * runner's whole process group, an OOM kill or a closed terminal, which skip every teardown.
 */
export async function startWatchdog(options: WatchdogOptions): Promise<Watchdog> {
  checkOptions(options, WATCHDOG_KEYS, 'startWatchdog() options');
  const { watchPid = process.pid, intervalMs = DEFAULT_WATCHDOG_INTERVAL_MS, ...sweepOptions } = options;
  if (sweepOptions.owner === undefined) {
    throw new ReaperError('EINVALIDOPTION', 'startWatchdog() needs "owner": the run\'s tag, so that it sweeps only that run\'s daemons.');
  }
  const watched = (await defaultProcessSource().probe([watchPid])).get(watchPid);
  if (isDead(watched)) throw new ReaperError('EINVALIDOPTION', `startWatchdog(): "watchPid" ${watchPid} is not a running process.`);

  const orders: WatchdogOrders = { watchPid, watchStartKey: watched!.startKey, intervalMs, sweep: sweepOptions };
  const launcher = launcherPath();
  const child = spawn(process.execPath, [launcher], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [WATCHDOG_ORDERS_ENV]: JSON.stringify(orders) },
  });
  child.unref();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error | undefined>((resolve) => {
      child.once('error', resolve);
      setImmediate(() => resolve(undefined));
    });
    throw new ReaperError('EWATCHDOG', `Could not start the watchdog (${process.execPath} ${launcher})${error ? `: ${error.message}` : ''}. Set watchdog: false to run without crash safety.`, {
      cause: error,
    });
  }

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
