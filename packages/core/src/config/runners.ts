// The runners an adapter plugs mcp-reaper into: where each keeps its own settings for mcp-reaper, and
// the line of its config that starts a run. Data only: the core imports no runner.

export type RunnerName = 'jest' | 'vitest' | 'playwright';

export interface RunnerInfo {
  label: string;
  /** Where the runner's own settings for mcp-reaper go: they win over the config file and the environment. */
  settings: string;
  /** What starts the run (the sweep before it, the watchdog): named when a test file finds no run. */
  setup: string;
}

export const RUNNERS: Readonly<Record<RunnerName, RunnerInfo>> = {
  jest: {
    label: 'Jest',
    settings: 'testEnvironmentOptions.mcpReaper',
    setup: "globalSetup: '@mcp-reaper/jest-env/global-setup' and globalTeardown: '@mcp-reaper/jest-env/global-teardown' in jest.config",
  },
  vitest: {
    label: 'Vitest',
    settings: 'test.provide.mcpReaper',
    setup: "globalSetup: ['@mcp-reaper/vitest-setup/global-setup'] next to setupFiles: ['@mcp-reaper/vitest-setup'] in vitest.config",
  },
  playwright: {
    label: 'Playwright',
    settings: 'test.use({ mcpReaper })',
    setup: "globalSetup: '@mcp-reaper/playwright-fixture/global-setup' in playwright.config",
  },
};

export const RUNNER_NAMES = Object.keys(RUNNERS) as RunnerName[];
