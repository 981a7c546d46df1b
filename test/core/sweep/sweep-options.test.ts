import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReaperError } from '../../../packages/core/src/errors.js';
import { resolveSweepOptions } from '../../../packages/core/src/sweep/sweep-options.js';

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
      includeLiveRuns: false,
    });
  });

  it('treats an option given as undefined as not given', () => {
    expect(resolveSweepOptions({ graceMs: undefined, names: undefined })).toMatchObject({ graceMs: 500, names: ['mcp-server-pm'] });
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
      resolveSweepOptions({ graceMs: '500', names: ['ok', 'a/b'], files: [], dryrun: true } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ReaperError);
    expect((error as ReaperError).code).toBe('EINVALIDOPTION');
    expect((error as Error).message).toBe(
      'Invalid sweep() options:\n' +
        '  - "graceMs" must be a whole number of milliseconds from 0 to 600000, got "500" (string)\n' +
        '  - "names" entry "a/b" (string): expected a plain name without "/"\n' +
        '  - "files" must be a non-empty array of names, got [] (array)\n' +
        '  - unknown option "dryrun" (did you mean "dryRun"?); known options: dir, names, files, pidFile, graceMs, killWaitMs, dryRun, owner, descendantsOf, respawnWindowMs, includeLiveRuns, source, onWait',
    );
  });

  it.each([{ graceMs: -1 }, { graceMs: 1.5 }, { killWaitMs: Number.NaN }, { files: ['..'] }, { pidFile: '' }, { dir: '' }, { includeLiveRuns: 'yes' }])(
    'rejects %j',
    (options) => {
      expect(() => resolveSweepOptions(options as never)).toThrow(ReaperError);
    },
  );
});
