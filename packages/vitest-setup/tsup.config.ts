import { defineConfig } from 'tsup';

export default defineConfig({
  // ESM only: Vitest loads global setups and setup files as ES modules.
  entry: { index: 'src/index.ts', 'global-setup': 'src/global-setup.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  target: 'node20',
  // The setup file must stay one module: Vitest inlines (re-runs) setup files for every test file,
  // while a shared chunk would be loaded once per worker like any other dependency.
  splitting: false,
  silent: true,
});
