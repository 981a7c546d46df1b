import type { Config } from '@jest/types';
import { startRun } from '@mcp-reaper/core';
import { loadJestOptions } from './options.js';
import { getRunState, setRunState } from './run-state.js';

/**
 * `globalSetup: '@mcp-reaper/jest-env/global-setup'`: the core's `startRun()`. Sweeps every leftover
 * of earlier runs, tags the run in process.env (Jest's workers inherit it) and starts the crash
 * watchdog, which sweeps the run if Jest is killed before its global teardown.
 */
export default async function globalSetup(globalConfig: Config.GlobalConfig, projectConfig?: Config.ProjectConfig): Promise<void> {
  const rootDir = projectConfig?.rootDir ?? globalConfig.rootDir;
  const { onLeak, sweep } = await loadJestOptions(rootDir, projectConfig?.testEnvironmentOptions);
  const state = getRunState();
  if (state) {
    state.projects += 1; // another project of the same run: one run, one watchdog
    return;
  }
  const run = await startRun(sweep);
  setRunState({ run, onLeak, projects: 1 });
  const problems = run.before.processes.filter((p) => p.action === 'survived' || p.action === 'skipped' || p.action === 'respawned');
  if (problems.length > 0) {
    process.stderr.write(
      `\nmcp-reaper: the sweep before the run could not clean everything:\n` +
        `${problems.map((p) => `  pid ${p.pid} ${p.action}: ${p.command} (${p.reason})`).join('\n')}\n`,
    );
  }
}
