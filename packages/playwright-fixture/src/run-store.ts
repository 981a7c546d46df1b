import type { RunnerRun } from '@mcp-reaper/core';

// globalSetup and globalTeardown run in the runner's main process, but Playwright may load them as two
// module instances (ESM and CJS, or two loader passes): the run is kept on globalThis, not in a module.
const KEY = Symbol.for('@mcp-reaper/playwright-fixture.run');

type Store = { [KEY]?: RunnerRun };

export function saveRun(run: RunnerRun): void {
  (globalThis as Store)[KEY] = run;
}

export function takeRun(): RunnerRun | undefined {
  const run = (globalThis as Store)[KEY];
  delete (globalThis as Store)[KEY];
  return run;
}
