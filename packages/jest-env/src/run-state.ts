import type { RunnerRun } from '@mcp-reaper/core';

/**
 * Jest runs globalSetup and globalTeardown in its main process, each from its own module instance:
 * the run they share lives on globalThis. `projects` counts the projects whose setup joined it
 * (Jest runs a project's global setup once per project).
 */
export interface RunState {
  run: RunnerRun;
  projects: number;
  /**
   * Jest's watch mode runs the global setup and teardown around every rerun: the run (its stack, its
   * watchdog) is kept across them and ends with the watcher, through its watchdog (Jest exits on q and
   * Ctrl-C without a teardown).
   */
  watching: boolean;
}

const KEY = Symbol.for('@mcp-reaper/jest-env.run');

export function getRunState(): RunState | undefined {
  return (globalThis as Record<symbol, RunState | undefined>)[KEY];
}

export function setRunState(state: RunState | undefined): void {
  (globalThis as Record<symbol, RunState | undefined>)[KEY] = state;
}
