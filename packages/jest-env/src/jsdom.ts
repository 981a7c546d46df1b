import { TestEnvironment as JsdomEnvironment } from 'jest-environment-jsdom';
import { withLeakCheck } from './with-leak-check.js';

export type { McpReaperJestOptions } from './options.js';

/**
 * `testEnvironment: '@mcp-reaper/jest-env/jsdom'`: Jest's jsdom environment (`jest-environment-jsdom`,
 * installed by you), plus a scoped leak check per test file (see FileLeakCheck).
 */
export default class McpReaperJsdomEnvironment extends withLeakCheck(JsdomEnvironment) {}

export { McpReaperJsdomEnvironment as TestEnvironment };
