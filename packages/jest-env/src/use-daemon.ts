import { useDaemonWith, type FixtureHooks, type StartDaemonOptions, type UseDaemonScope as CoreUseDaemonScope, type UsedDaemon as CoreUsedDaemon } from '@mcp-reaper/core';
import { fileRun } from './file-run.js';

/** Where the daemon lives: the file (or a `describe`), or each test. */
export type UseDaemonScope = CoreUseDaemonScope;
/** The daemon of a `useDaemon()` call. */
export type UsedDaemon = CoreUsedDaemon;

/**
 * Jest's hooks: the test file's globals, or `@jest/globals` when the project turned them off
 * (`injectGlobals: false`). Jest's module registry answers `@jest/globals` itself, for any module in
 * the test's sandbox: it need not be installed, and is asked for only here, in a test file.
 */
function jestHooks(): FixtureHooks {
  const globals = globalThis as Partial<FixtureHooks>;
  if (typeof globals.beforeAll === 'function' && typeof globals.afterAll === 'function' && typeof globals.beforeEach === 'function' && typeof globals.afterEach === 'function') {
    return globals as FixtureHooks;
  }
  return require('@jest/globals') as FixtureHooks;
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
export function useDaemon(options: StartDaemonOptions | (() => StartDaemonOptions) = {}, scope: UseDaemonScope = {}): UsedDaemon {
  // The environment set the file's run up before Jest loaded the file: without it, one clear error now.
  return useDaemonWith(jestHooks(), fileRun('useDaemon()').config.daemon, options, scope);
}
