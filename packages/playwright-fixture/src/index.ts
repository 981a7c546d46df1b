import { test as base } from '@playwright/test';
import { mcpReaperFixtures, type McpReaperTestFixtures, type McpReaperWorkerFixtures } from './fixtures.js';

export { expect } from '@playwright/test';
export {
  mcpReaperFixtures,
  type McpStack,
  type McpDaemon,
  type McpReaperTestFixtures,
  type McpReaperWorkerFixtures,
} from './fixtures.js';
export type { DaemonOptions, DaemonWorker, McpReaperOptions } from './options.js';
export type { OnLeak } from '@mcp-reaper/core';

/** `@playwright/test`'s `test` with `mcpDaemon`, `mcpWorkerDaemon`, the `mcpReaper` option and the automatic leak check. */
export const test = base.extend<McpReaperTestFixtures, McpReaperWorkerFixtures>(mcpReaperFixtures);
