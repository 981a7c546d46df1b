import type { Config } from '@jest/types';
import { forRunner, startRunnerRun } from '@mcp-reaper/core';
import { say, settingsOf } from './options.js';
import { getRunState, setRunState } from './run-state.js';

/**
 * `globalSetup: '@mcp-reaper/jest-env/global-setup'`: the core's `startRunnerRun()`. Sweeps every
 * leftover of earlier runs (keeping other live runs' daemons), tags the run in process.env (Jest's
 * workers inherit it), starts the crash watchdog and records the run as live.
 */
export default async function globalSetup(globalConfig: Config.GlobalConfig, projectConfig?: Config.ProjectConfig): Promise<void> {
  const state = getRunState();
  if (state) {
    state.projects += 1; // another project of the same run, or a rerun in watch mode: one run, one watchdog, one stack
    return;
  }
  try {
    const run = await startRunnerRun({
      runner: 'jest',
      root: projectConfig?.rootDir ?? globalConfig.rootDir,
      settings: settingsOf(projectConfig?.testEnvironmentOptions),
    });
    setRunState({ run, projects: 1, watching: globalConfig.watch || globalConfig.watchAll });
    say(run.notices);
  } catch (error) {
    throw forRunner(error);
  }
}
