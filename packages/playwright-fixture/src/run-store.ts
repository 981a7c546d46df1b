import type { RunnerRun } from '@mcp-reaper/core';

// globalSetup and globalTeardown run in the runner's main process, but Playwright may load them as two
// module instances (ESM and CJS, or two loader passes): the run is kept on globalThis, not in a module.
const KEY = Symbol.for('@mcp-reaper/playwright-fixture.run');

type Store = { [KEY]?: RunnerRun };

export function saveRun(run: RunnerRun): void {
  (globalThis as Store)[KEY] = run;
}

/** The run saved and not yet taken: UI mode runs the global setup again for each run it starts. */
export function savedRun(): RunnerRun | undefined {
  return (globalThis as Store)[KEY];
}

/**
 * Playwright's UI mode (`--ui`, `--ui-port`, `--ui-host`): one long-lived runner process that runs
 * the global setup again for each run it starts. The run, and its stack, are kept across them; the
 * watchdog ends the run when the UI exits.
 */
export function inUiMode(argv: readonly string[] = process.argv): boolean {
  return argv.some((arg) => arg === '--ui' || arg.startsWith('--ui=') || arg.startsWith('--ui-port') || arg.startsWith('--ui-host'));
}

export function takeRun(): RunnerRun | undefined {
  const run = (globalThis as Store)[KEY];
  delete (globalThis as Store)[KEY];
  return run;
}
