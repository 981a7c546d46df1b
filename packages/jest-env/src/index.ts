import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';
import { withLeakCheck } from './with-leak-check.js';

export type { McpReaperJestOptions } from './options.js';

/**
 * `testEnvironment: '@mcp-reaper/jest-env'`: Jest's node environment, plus a scoped leak check per
 * test file (see FileLeakCheck).
 */
export default class McpReaperEnvironment extends withLeakCheck(NodeEnvironment) {}

export { McpReaperEnvironment as TestEnvironment };
