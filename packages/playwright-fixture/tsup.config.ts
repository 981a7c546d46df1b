import { defineConfig } from 'tsup';

export default defineConfig({
  // ESM and CJS: Playwright loads config, setup and test files through its own loader, and a CJS
  // project require()s the package. @playwright/test and @mcp-reaper/core stay external.
  entry: { index: 'src/index.ts', 'global-setup': 'src/global-setup.ts', 'global-teardown': 'src/global-teardown.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  // No `clean`: both builds write to dist/ at once; the build script empties it first.
  target: 'node20',
  silent: true,
});
