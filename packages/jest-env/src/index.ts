import type { TestEnvironment as NodeEnvironment } from 'jest-environment-node';
import { lazyClass } from './lazy-class.js';
import { withLeakCheck } from './with-leak-check.js';

export type { McpReaperJestOptions } from './options.js';
// For test files (node or jsdom environment). It registers hooks only when called: the environment
// loads this module too, outside the test's sandbox, and gets nothing of it.
export { useDaemon, type UseDaemonScope, type UsedDaemon } from './use-daemon.js';

/**
 * `testEnvironment: '@mcp-reaper/jest-env'`: Jest's node environment, plus a scoped leak check per
 * test file (see FileLeakCheck).
 *
 * Loaded when Jest constructs it: a test file that imports `useDaemon` from this module loads it in
 * its own sandbox, where jest-environment-node has no business (under jsdom it cannot even load).
 */
const McpReaperEnvironment = lazyClass('McpReaperEnvironment', (): typeof NodeEnvironment =>
  withLeakCheck((require('jest-environment-node') as typeof import('jest-environment-node')).TestEnvironment),
);
/** An instance of the environment: Jest's node environment's. */
type McpReaperEnvironment = InstanceType<typeof NodeEnvironment>;

export default McpReaperEnvironment;
export { McpReaperEnvironment as TestEnvironment };
