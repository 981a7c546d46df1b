import { startRun } from '@mcp-reaper/core';
import type { FullConfig } from '@playwright/test';
import { configDir, resolveOptions } from './options.js';
import { saveRun } from './run-store.js';
import globalTeardown from './global-teardown.js';

/**
 * `globalSetup: '@mcp-reaper/playwright-fixture/global-setup'`: sweeps every leftover of earlier runs,
 * tags the run (`MCP_REAPER_RUN`, inherited by the workers) and starts the crash watchdog. Options come
 * from the shared config file and MCP_REAPER_* variables. Returns the teardown, which Playwright runs
 * after the run; `@mcp-reaper/playwright-fixture/global-teardown` does the same, and running both is
 * harmless.
 */
export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const { sweep } = await resolveOptions(undefined, configDir(config));
  const { dryRun: _dryRun, ...runOptions } = sweep;
  const run = await startRun(runOptions);
  saveRun(run);
  return globalTeardown;
}
