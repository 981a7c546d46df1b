import { useDaemonWith, type StartDaemonOptions, type UseDaemonScope as CoreUseDaemonScope, type UsedDaemon as CoreUsedDaemon } from '@mcp-reaper/core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { currentRun } from './current-run.js';

/** Where the daemon lives: the file (or a `describe`), or each test. */
export type UseDaemonScope = CoreUseDaemonScope;
/** The daemon of a `useDaemon()` call. */
export type UsedDaemon = CoreUsedDaemon;

/**
 * Starts a daemon with `startDaemon()` before the tests of the file (or of each test) and stops it
 * after them, verified. Call it at the top level of a test file or inside a `describe`. `pidFile`,
 * `graceMs`, `killWaitMs` and the rest of the config's `daemon` default to the run's mcp-reaper
 * options; pass a function to compute options when the hook runs.
 *
 * ```ts
 * const daemon = useDaemon({ command: 'mcp-server-pm' }); // or useDaemon(() => ({ … }), { per: 'test' })
 * test('answers', async () => expect((await daemon.health()).healthy).toBe(true));
 * ```
 */
export function useDaemon(options: StartDaemonOptions | (() => StartDaemonOptions) = {}, scope: UseDaemonScope = {}): UsedDaemon {
  return useDaemonWith({ beforeAll, afterAll, beforeEach, afterEach }, currentRun().config.daemon, options, scope);
}
