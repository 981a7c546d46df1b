import { DEFAULT_READY_TIMEOUT_MS, problemLines, startDaemon, type DaemonHandle, type StartDaemonOptions } from '@mcp-reaper/core';
import { fileRun } from './file-run.js';

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

/** How much longer than the daemon's own readiness timeout the start hook may take (spawn, cleanup). */
const HOOK_SLACK_MS = 5_000;

type Hook = (fn: () => Promise<void>, timeout?: number) => void;
interface Hooks {
  beforeAll: Hook;
  afterAll: Hook;
  beforeEach: Hook;
  afterEach: Hook;
}

/**
 * Jest's hooks: the test file's globals, or `@jest/globals` when the project turned them off
 * (`injectGlobals: false`). Jest's module registry answers `@jest/globals` itself, for any module in
 * the test's sandbox: it need not be installed, and is asked for only here, in a test file.
 */
function jestHooks(): Hooks {
  const globals = globalThis as Partial<Hooks>;
  if (typeof globals.beforeAll === 'function' && typeof globals.afterAll === 'function' && typeof globals.beforeEach === 'function' && typeof globals.afterEach === 'function') {
    return globals as Hooks;
  }
  return require('@jest/globals') as Hooks;
}

/**
 * Starts a daemon with `startDaemon()` before the tests of the file (or of each test) and stops it
 * after them, verified. Call it at the top level of a test file or inside a `describe`, in a file
 * that runs in `@mcp-reaper/jest-env` (or its jsdom flavour): the environment hands it the run's
 * config, whose `daemon` (over `pidFile`, `graceMs` and `killWaitMs`) gives the defaults of the
 * options. Pass a function to compute the options when the hook runs.
 *
 * ```js
 * const daemon = useDaemon({ command: 'mcp-server-pm' }); // or useDaemon(() => ({ … }), { per: 'test' })
 * test('answers', async () => expect((await daemon.health()).healthy).toBe(true));
 * ```
 */
export function useDaemon(
  options: StartDaemonOptions | (() => StartDaemonOptions) = {},
  { per = 'file' }: UseDaemonScope = {},
): UsedDaemon {
  if (per !== 'file' && per !== 'test') throw new TypeError(`mcp-reaper: useDaemon(): "per" must be 'file' or 'test', got ${JSON.stringify(per)}`);
  // The environment set the file's run up before Jest loaded the file: without it, one clear error now.
  const defaults = fileRun('useDaemon()').config.daemon;
  let current: DaemonHandle | undefined;
  // Not the run's `dir`: the daemon writes where its own environment says (XDG_DATA_HOME), which is
  // what startDaemon() assumes when `dir` is not given; the run's `dir` is only where sweeps look.
  const resolve = (): StartDaemonOptions => ({ ...defaults, ...(typeof options === 'function' ? options() : options) });
  // A function's readyTimeoutMs is known only when the hook runs, after Jest took the hook's timeout.
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
  const hooks = jestHooks();
  if (per === 'test') {
    hooks.beforeEach(start, timeout);
    hooks.afterEach(stop, timeout);
  } else {
    hooks.beforeAll(start, timeout);
    hooks.afterAll(stop, timeout);
  }

  const handle = (): DaemonHandle => {
    if (!current) {
      throw new Error(
        `mcp-reaper: useDaemon(): no daemon is running here. Read it inside a test (or a hook) that the useDaemon() call covers (per: '${per}').`,
      );
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
