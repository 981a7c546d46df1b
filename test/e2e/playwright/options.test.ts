// The Playwright adapter's own part of its settings, without a runner: a `daemon` function called
// once per worker (its throw named), and where the config file search starts. The rest of
// `test.use({ mcpReaper })` is the core's configuration (test/core/config/).
import { describe, expect, it } from 'vitest';
import { configDir, settingsFor } from '../../../packages/playwright-fixture/src/options.js';

describe('settingsFor (playwright-fixture)', () => {
  it('passes the settings through, and calls a daemon function with the worker', () => {
    expect(settingsFor(undefined, { workerIndex: 0, parallelIndex: 0 })).toBeUndefined();
    expect(settingsFor({ onLeak: 'fail', daemon: { command: '/bin/x' } }, { workerIndex: 0, parallelIndex: 0 })).toEqual({
      onLeak: 'fail',
      daemon: { command: '/bin/x' },
    });
    const seen: unknown[] = [];
    const daemon = (worker: { workerIndex: number; parallelIndex: number }) => {
      seen.push(worker);
      return { env: { XDG_DATA_HOME: `/tmp/state-${worker.parallelIndex}` } };
    };
    expect(settingsFor({ daemon }, { workerIndex: 5, parallelIndex: 1 })).toEqual({ daemon: { env: { XDG_DATA_HOME: '/tmp/state-1' } } });
    expect(seen).toEqual([{ workerIndex: 5, parallelIndex: 1 }]);
  });

  it('names a daemon function that throws, with the worker', () => {
    const throwing = () => {
      throw new Error('no state root');
    };
    expect(() => settingsFor({ daemon: throwing }, { workerIndex: 2, parallelIndex: 0 })).toThrow(
      expect.objectContaining({ code: 'EINVALIDOPTION', message: 'Invalid test.use({ mcpReaper }): the "daemon" function threw for worker 2: no state root' }),
    );
  });

  it('looks for the config next to playwright.config, then in rootDir', () => {
    expect(configDir({ configFile: '/p/playwright.config.ts', rootDir: '/p/tests' })).toBe('/p');
    expect(configDir({ rootDir: '/p/tests' })).toBe('/p/tests');
  });
});
