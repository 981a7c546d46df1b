// resolveOptions() of @mcp-reaper/playwright-fixture, without a runner: defaults, merging over the
// shared config, and messages that name `test.use({ mcpReaper })`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configDir, resolveOptions } from '../../../packages/playwright-fixture/src/options.js';

let dir = '';
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function project(mcpReaper: Record<string, unknown>): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-pw-options-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ mcpReaper }));
  return dir;
}

describe('resolveOptions (playwright-fixture)', () => {
  it('merges test.use() over the shared config; onLeak defaults to warn; scoped checks skip the respawn window', async () => {
    const cwd = project({ names: ['mcpp-options'], dir: 'state', graceMs: 100 });
    const resolved = await resolveOptions({ graceMs: 50, daemon: { command: '/bin/x' } }, cwd);
    expect(resolved).toMatchObject({
      onLeak: 'warn',
      daemon: { command: '/bin/x' },
      configFile: path.join(cwd, 'package.json'),
      sweep: { names: ['mcpp-options'], dir: path.join(cwd, 'state'), graceMs: 50, respawnWindowMs: 300 },
    });
    expect(resolved.scoped).not.toHaveProperty('respawnWindowMs');
    expect(resolved.scoped).not.toHaveProperty('configFile');
    expect((await resolveOptions({ respawnWindowMs: 100 }, cwd)).scoped.respawnWindowMs).toBe(100);
  });

  it('lists every problem, naming test.use({ mcpReaper }), the option and the value', async () => {
    const cwd = project({});
    await expect(resolveOptions({ onLeak: 'loud' as never, daemon: 3 as never }, cwd)).rejects.toThrow(
      'Invalid test.use({ mcpReaper }):\n  - "onLeak" must be one of "warn", "fail", "kill", got "loud" (string)\n  - "daemon" must be an object of startDaemon() options, got 3 (number)',
    );
    await expect(resolveOptions({ grace: 1 } as never, cwd)).rejects.toThrow(/Invalid test\.use\(\{ mcpReaper \}\)[\s\S]*"grace"/);
    await expect(resolveOptions('warn' as never, cwd)).rejects.toMatchObject({ code: 'EINVALIDOPTION' });
  });

  it('calls a daemon function with the worker, and names a function that throws or returns no object', async () => {
    const cwd = project({});
    const seen: unknown[] = [];
    const daemon = (worker: { workerIndex: number; parallelIndex: number }) => {
      seen.push(worker);
      return { env: { XDG_DATA_HOME: `/tmp/state-${worker.parallelIndex}` } };
    };
    const resolved = await resolveOptions({ daemon }, cwd, { workerIndex: 5, parallelIndex: 1 });
    expect(resolved.daemon).toEqual({ env: { XDG_DATA_HOME: '/tmp/state-1' } });
    expect(seen).toEqual([{ workerIndex: 5, parallelIndex: 1 }]);

    const throwing = () => {
      throw new Error('no state root');
    };
    await expect(resolveOptions({ daemon: throwing }, cwd, { workerIndex: 2, parallelIndex: 0 })).rejects.toThrow(
      'Invalid test.use({ mcpReaper }): the "daemon" function threw for worker 2: no state root',
    );
    await expect(resolveOptions({ daemon: () => undefined as never }, cwd)).rejects.toThrow(
      'Invalid test.use({ mcpReaper }):\n  - the "daemon" function must return an object of startDaemon() options, got undefined',
    );
  });

  it('looks for the config next to playwright.config, then in rootDir', () => {
    expect(configDir({ configFile: '/p/playwright.config.ts', rootDir: '/p/tests' })).toBe('/p');
    expect(configDir({ rootDir: '/p/tests' })).toBe('/p/tests');
  });
});
