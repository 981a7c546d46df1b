// The runners' `useDaemon()`: a daemon started before the tests of a file (or before each test) and
// stopped after them, verified, with the config's `daemon` defaults. The adapters (Vitest, Jest) pass
// their runner's hooks; the core imports no runner.
import { DEFAULT_READY_TIMEOUT_MS } from '../config/defaults.js';
import type { DaemonConfig } from '../config/layers.js';
import { startDaemon, type DaemonHandle } from '../daemon/start-daemon.js';
import type { StartDaemonOptions } from '../daemon/start-options.js';
import { problemLines } from './verdict.js';

export interface UseDaemonScope {
  /**
   * `'file'`: one daemon for the file, or for the `describe` block `useDaemon()` is called in
   * (beforeAll / afterAll). `'test'`: a fresh daemon for every test (beforeEach / afterEach).
   * Default: `'file'`.
   */
  per?: 'file' | 'test';
}

/** The daemon of a `useDaemon()` call: its fields read the daemon of the current file or test. */
export interface UsedDaemon {
  /** The running daemon's handle. Throws when read outside the tests `useDaemon()` covers. */
  readonly handle: DaemonHandle;
  readonly pid: number;
  readonly socketPath: string;
  readonly dir: string;
  readonly logFile: string;
  health: DaemonHandle['health'];
}

type Hook = (fn: () => Promise<void>, timeout?: number) => void;

/** A runner's hooks, as its test files have them. */
export interface FixtureHooks {
  beforeAll: Hook;
  afterAll: Hook;
  beforeEach: Hook;
  afterEach: Hook;
}

/** How much longer than the daemon's own readiness timeout the start hook may take (spawn, cleanup). */
const HOOK_SLACK_MS = 5_000;

/**
 * Registers the hooks of a `useDaemon()` call with `hooks`: `startDaemon()` with `defaults` (the
 * run's `daemon`, over its `pidFile`, `graceMs` and `killWaitMs`) under `options` (or what a function
 * returns when the hook runs), stopped after, verified.
 */
export function useDaemonWith(
  hooks: FixtureHooks,
  defaults: DaemonConfig,
  options: StartDaemonOptions | (() => StartDaemonOptions) = {},
  { per = 'file' }: UseDaemonScope = {},
): UsedDaemon {
  if (per !== 'file' && per !== 'test') throw new TypeError(`mcp-reaper: useDaemon(): "per" must be 'file' or 'test', got ${JSON.stringify(per)}`);
  let current: DaemonHandle | undefined;
  // Not the run's `dir`: the daemon writes where its own environment says (XDG_DATA_HOME), which is
  // what startDaemon() assumes when `dir` is not given; the run's `dir` is only where sweeps look.
  const resolve = (): StartDaemonOptions => ({ ...defaults, ...(typeof options === 'function' ? options() : options) });
  // A function's readyTimeoutMs is known only when the hook runs, after the runner took the hook's timeout.
  const readyTimeoutMs = (typeof options === 'function' ? undefined : options.readyTimeoutMs) ?? defaults.readyTimeoutMs;
  const timeout = (readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS) + HOOK_SLACK_MS;

  const start = async () => {
    current = await startDaemon(resolve());
  };
  const stop = async () => {
    const daemon = current;
    current = undefined;
    if (!daemon) return;
    const report = await daemon.stop();
    if (!report.ok) throw new Error(`mcp-reaper: useDaemon(): the daemon ${daemon.pid} could not be stopped:\n${problemLines(report).join('\n')}`);
  };
  if (per === 'test') {
    hooks.beforeEach(start, timeout);
    hooks.afterEach(stop, timeout);
  } else {
    hooks.beforeAll(start, timeout);
    hooks.afterAll(stop, timeout);
  }

  const handle = (): DaemonHandle => {
    if (!current) {
      throw new Error(`mcp-reaper: useDaemon(): no daemon is running here. Read it inside a test (or a hook) that the useDaemon() call covers (per: '${per}').`);
    }
    return current;
  };
  return {
    get handle() {
      return handle();
    },
    get pid() {
      return handle().pid;
    },
    get socketPath() {
      return handle().socketPath;
    },
    get dir() {
      return handle().dir;
    },
    get logFile() {
      return handle().logFile;
    },
    health: (healthOptions) => handle().health(healthOptions),
  };
}
