import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**/projects/**', '**/node_modules/**'],
    // Real processes and sockets: forks keep each file's children apart, and two cores set the pace.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Makes the ledger the reliability suite tallies into, and prints its totals line at the end.
    globalSetup: ['test/reliability/global-setup.ts'],
  },
});
