import { defineConfig } from 'vitest/config';

// The sweep's matching, safety, ownership and leak-check tests, run a second time as macOS: the core
// takes its darwin path (ps, ps -E, lsof) against the live process table, through test/darwin's
// stand-ins (see test/darwin/setup.ts).
const DARWIN_TESTS = [
  ...['find', 'safety', 'ownership', 'live-runs', 'files'].map((name) => `test/core/sweep/${name}.test.ts`),
  'test/core/run/check-leaks.test.ts',
];

export default defineConfig({
  test: {
    // Real processes and sockets: forks keep each file's children apart, and two cores set the pace.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Makes the ledger the reliability suite tallies into, and prints its totals line at the end.
    globalSetup: ['test/reliability/global-setup.ts'],
    projects: [
      // Arrays such as `include` would be merged into every project's: each project names its own files.
      { extends: true, test: { name: 'linux', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**/projects/**', '**/node_modules/**'] } },
      // Each `ps` here is a Node process reading /proc (about 150 ms on this machine, 10-30 ms for the real
      // one), and a sweep runs a dozen or more: the same tests need more time than on the Linux path.
      {
        extends: true,
        test: { name: 'darwin', include: DARWIN_TESTS, setupFiles: ['test/darwin/setup.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
});
