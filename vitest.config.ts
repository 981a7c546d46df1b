import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**/projects/**', '**/node_modules/**'],
    // Real processes and sockets: forks keep each file's children apart, and two cores set the pace.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
