import { forRunner, startRunnerRun } from '@mcp-reaper/core';
import type { FullConfig } from '@playwright/test';
import { configDir } from './options.js';
import { saveRun } from './run-store.js';
import globalTeardown from './global-teardown.js';

/**
 * `globalSetup: '@mcp-reaper/playwright-fixture/global-setup'`: the core's `startRunnerRun()`. Sweeps
 * every leftover of earlier runs (keeping other live runs' daemons), tags the run (`MCP_REAPER_RUN`,
 * inherited by the workers), starts the crash watchdog and records the run as live. Its settings come
 * from the shared config file and MCP_REAPER_* variables (it runs before any `test.use()`). Returns the
 * teardown, which Playwright runs after the run; `@mcp-reaper/playwright-fixture/global-teardown` does
 * the same, and running both is harmless.
 */
export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  let run;
  try {
    run = await startRunnerRun({ runner: 'playwright', root: configDir(config) });
  } catch (error) {
    throw forRunner(error);
  }
  saveRun(run);
  for (const line of run.notices) console.warn(line);
  return globalTeardown;
}
