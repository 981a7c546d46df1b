// The adapter's own options (onLeak, watchdog), split from the sweep options the core validates.
import { describe, expect, it } from 'vitest';
import { splitOptions } from '../../packages/vitest-setup/src/options.js';

describe('splitOptions', () => {
  it('defaults to warn and a watchdog, and passes the sweep options through untouched', () => {
    expect(splitOptions(undefined, {})).toEqual({ onLeak: 'warn', watchdog: true, sweep: {} });
    expect(splitOptions({ onLeak: 'fail', watchdog: false, names: ['x'], graceMs: 5 }, {})).toEqual({
      onLeak: 'fail',
      watchdog: false,
      sweep: { names: ['x'], graceMs: 5 },
    });
  });

  it('takes onLeak from MCP_REAPER_ON_LEAK when the config does not set it', () => {
    expect(splitOptions({}, { MCP_REAPER_ON_LEAK: 'kill' }).onLeak).toBe('kill');
    expect(splitOptions({ onLeak: 'warn' }, { MCP_REAPER_ON_LEAK: 'kill' }).onLeak).toBe('warn');
    expect(splitOptions({}, { MCP_REAPER_ON_LEAK: '' }).onLeak).toBe('warn');
  });

  it('lists every problem, quoting the option, the value and its type', () => {
    expect(() => splitOptions({ onLeak: 'explode', watchdog: 'yes' }, {})).toThrow(
      expect.objectContaining({
        code: 'EINVALIDOPTION',
        message:
          'Invalid test.provide.mcpReaper (vitest.config):\n' +
          `  - "onLeak" must be one of "warn", "fail", "kill", got "explode" (string)\n` +
          '  - "watchdog" must be a boolean, got "yes" (string)',
      }),
    );
    expect(() => splitOptions({}, { MCP_REAPER_ON_LEAK: 'loud' })).toThrow(/MCP_REAPER_ON_LEAK \(environment\) must be one of/);
    expect(() => splitOptions(['warn'], {})).toThrow('expected an object of options, got ["warn"] (array)');
  });
});
