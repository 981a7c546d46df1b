import { defineConfig } from 'tsup';

export default defineConfig({
  // Jest loads environments and global setups through its own loader, which requires them, in ESM
  // projects too: CJS is the one format every Jest 29 and 30 loads.
  entry: {
    index: 'src/index.ts',
    jsdom: 'src/jsdom.ts',
    'global-setup': 'src/global-setup.ts',
    'global-teardown': 'src/global-teardown.ts',
  },
  format: ['cjs'],
  dts: true,
  sourcemap: true,
  // No `clean`: the build script empties dist/ first, as core's does.
  target: 'node20',
  // Asked for by useDaemon() only in a test file, where Jest's module registry answers it itself.
  external: ['@jest/globals'],
  silent: true,
});
