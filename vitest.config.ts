import os from 'node:os';
import { defineConfig } from 'vitest/config';

// The sweep's matching, safety, ownership and leak-check tests, run a second time as macOS: the core
// takes its darwin path (ps, ps -E, lsof) against the live process table, through test/darwin's
// stand-ins (see test/darwin/setup.ts).
const DARWIN_TESTS = [
  ...['find', 'safety', 'ownership', 'live-runs', 'files'].map((name) => `test/core/sweep/${name}.test.ts`),
  'test/core/run/check-leaks.test.ts',
  // Stack instances: auto ports, a port-0 service's port read through `lsof -g`, a worker slot.
  'test/core/stack/instances.test.ts',
];

// The files that install a sample project and drive a real runner in it (test/e2e/helpers/kits.ts):
// two thirds of the run. `pnpm test:quick` (MCP_REAPER_TEST_QUICK, set by scripts/test.mjs) leaves them out.
const SAMPLE_PROJECT_TESTS = ['test/e2e/**/*.test.ts', 'test/darwin/vitest-e2e.test.ts', 'test/packages/readme-types.test.ts'];
const quick = process.env.MCP_REAPER_TEST_QUICK === '1';

export default defineConfig({
  test: {
    // Real processes and sockets: forks keep each file's children apart.
    pool: 'forks',
    // Most of a test's time is spent waiting on the processes it starts: two files at once even on
    // two cores (Vitest's default there is one), as many as the cores leave room for on more.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The ledger the reliability suite tallies into (its totals line at the end), and the directory of
    // the run's shared installs of the runners (test/e2e/helpers/kits.ts).
    globalSetup: ['test/reliability/global-setup.ts', 'test/e2e/helpers/kits-setup.ts'],
    projects: [
      // Arrays such as `include` would be merged into every project's: each project names its own files.
      { extends: true, test: { name: 'linux', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**/projects/**', '**/node_modules/**', ...(quick ? SAMPLE_PROJECT_TESTS : [])] } },
      // Each `ps` here is a bash client asking the file's emulation server, which reads /proc (about 6-10 ms,
      // as much as the real one; a Node process per call was 115-135 ms), and a sweep runs a dozen or more:
      // the same tests take about twice as long as on the Linux path, so they get twice the time.
      {
        extends: true,
        test: { name: 'darwin', include: DARWIN_TESTS, setupFiles: ['test/darwin/setup.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
    ],
  },
});
