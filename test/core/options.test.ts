import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReaperError } from '../../packages/core/src/errors.js';
import { resolveSweepOptions, validateSweepOptions } from '../../packages/core/src/options.js';

describe('resolveSweepOptions', () => {
  it('fills the documented defaults', () => {
    const resolved = resolveSweepOptions({ dir: 'relative/state' });
    expect(resolved).toMatchObject({
      dir: path.resolve('relative/state'),
      names: ['mcp-server-pm'],
      files: ['mcp.sock', 'daemon.pid'],
      pidFile: 'daemon.pid',
      graceMs: 500,
      killWaitMs: 2000,
      dryRun: false,
    });
  });

  it('watches for respawns after a global sweep only: a scoped one must stay fast', () => {
    expect(resolveSweepOptions({}).respawnWindowMs).toBe(300);
    expect(resolveSweepOptions({ owner: 'run-1' }).respawnWindowMs).toBe(0);
    expect(resolveSweepOptions({ descendantsOf: 42 }).respawnWindowMs).toBe(0);
    expect(resolveSweepOptions({ owner: 'run-1', respawnWindowMs: 200 }).respawnWindowMs).toBe(200);
  });

  it('lists every problem at once, naming the option, the value and its type', () => {
    let error: unknown;
    try {
      validateSweepOptions({ graceMs: '500', names: ['ok', 'a/b'], files: [], dryrun: true }, 'config file x.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ReaperError);
    expect((error as ReaperError).code).toBe('EINVALIDOPTION');
    const message = (error as Error).message;
    expect(message).toContain('Invalid config file x.json');
    expect(message).toContain('"graceMs" must be a whole number of milliseconds from 0 to 600000, got "500" (string)');
    expect(message).toContain('"names" entry "a/b" (string): expected a plain name without "/"');
    expect(message).toContain('"files" must be a non-empty array');
    expect(message).toContain('unknown option "dryrun" (did you mean "dryRun"?)');
  });

  it.each([{ graceMs: -1 }, { graceMs: 1.5 }, { killWaitMs: Number.NaN }, { files: ['..'] }, { pidFile: '' }, { dir: '' }])(
    'rejects %j',
    (options) => {
      expect(() => resolveSweepOptions(options as never)).toThrow(ReaperError);
    },
  );
});
