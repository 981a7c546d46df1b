import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM and CJS, because Jest loads global setups through its own (CJS) loader.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // No `clean`: both builds write to dist/ at once; the build script empties it first.
    target: 'node20',
    silent: true, // errors still print; `pnpm demo` and `pnpm test` should not open with build chatter
  },
  {
    // The CLI is only ever run by node directly: ESM is enough.
    entry: { 'cli/main': 'src/cli/main.ts', 'watchdog-main': 'src/run/watchdog-main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    silent: true,
  },
]);
