import { forRunner, startRunnerRun } from '@mcp-reaper/core';
import type { FullConfig } from '@playwright/test';
import { baseURLFromProblem, configDir, coreSettings } from './options.js';
import { inUiMode, savedRun, saveRun } from './run-store.js';
import globalTeardown from './global-teardown.js';

/**
 * The config's `use: { mcpReaper }` (the first project's, as projects inherit it), without `daemon`,
 * which only the fixtures use: what the run's sweeps and its end follow, as the fixtures do. A
 * `test.use()` in a test file is not visible here, and applies to that file's tests only.
 */
function configSettings(config: FullConfig): unknown {
  return (config.projects[0]?.use as { mcpReaper?: unknown } | undefined)?.mcpReaper;
}

function runSettings(settings: unknown): unknown {
  if (typeof settings !== 'object' || settings === null) return settings;
  const { daemon: _daemon, ...run } = coreSettings(settings) as Record<string, unknown>;
  return run;
}

/**
 * `globalSetup: '@mcp-reaper/playwright-fixture/global-setup'`: the core's `startRunnerRun()`. Sweeps
 * every leftover of earlier runs (keeping other live runs' daemons), tags the run (`MCP_REAPER_RUN`,
 * inherited by the workers), starts the crash watchdog and records the run as live. Its settings come
 * from the shared config file, MCP_REAPER_* variables and the config's `use: { mcpReaper }`. Returns the
 * teardown, which Playwright runs after the run; `@mcp-reaper/playwright-fixture/global-teardown` does
 * the same, and running both is harmless.
 */
export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  // UI mode: a run started by an earlier run of the same UI session goes on, with its stack.
  if (inUiMode() && savedRun()) return globalTeardown;
  let run;
  try {
    const settings = configSettings(config);
    const baseURLFrom = typeof settings === 'object' && settings !== null ? (settings as { baseURLFrom?: unknown }).baseURLFrom : undefined;
    run = await startRunnerRun({
      runner: 'playwright',
      root: configDir(config),
      settings: runSettings(settings),
      // Checked before anything starts: a baseURL from nowhere would fail every test one by one.
      check: (resolved) => [baseURLFromProblem(baseURLFrom, resolved.stack) ?? []].flat().map((problem) => `use: { mcpReaper } in ${config.configFile ?? 'the Playwright config'}: ${problem}`),
    });
  } catch (error) {
    throw forRunner(error);
  }
  saveRun(run);
  for (const line of run.notices) console.warn(line);
  return globalTeardown;
}
