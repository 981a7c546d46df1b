// One resolution for every entry point: the config file, MCP_REAPER_* variables, then the CLI's flags
// or a runner's settings. What the CLI shows of it is in test/cli/commands/config.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { settingsLayer } from '../../../packages/core/src/config/layers.js';
import { resolveConfig, resolveWithBase, withTop } from '../../../packages/core/src/config/resolve-config.js';
import { runConfigOf } from '../../../packages/core/src/config/run-config.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function project(config: Record<string, unknown>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-config-')));
  temps.push(dir);
  fs.writeFileSync(path.join(dir, 'mcp-reaper.config.json'), JSON.stringify(config));
  return dir;
}

const settings = (values: unknown, baseDir: string) =>
  settingsLayer(values, { where: 'test.use({ mcpReaper })', baseDir, provenance: () => ({ from: 'settings', where: 'test.use({ mcpReaper })' }) });

describe('resolveConfig', () => {
  it('layers the file, the environment and the runner settings key by key, keeping where each came from', async () => {
    const dir = project({ names: ['from-file'], graceMs: 100, dir: 'state', onLeak: 'fail', daemon: { command: './bin/d', readyTimeoutMs: 2000 } });
    const config = await resolveConfig({
      cwd: dir,
      env: { MCP_REAPER_GRACE_MS: '200', MCP_REAPER_ON_LEAK: 'kill' },
      top: settings({ killWaitMs: 50, daemon: { env: { A: '1' } } }, dir),
    });
    const file = path.join(dir, 'mcp-reaper.config.json');
    expect(config).toEqual({
      configFile: file,
      values: {
        names: ['from-file'],
        dir: path.join(dir, 'state'),
        graceMs: 200,
        killWaitMs: 50,
        onLeak: 'kill',
        // One level deeper for the daemon: the runner's env joins the file's command.
        daemon: { command: path.join(dir, 'bin', 'd'), readyTimeoutMs: 2000, env: { A: '1' } },
      },
      sources: {
        names: { from: 'config', file },
        dir: { from: 'config', file },
        graceMs: { from: 'env', variable: 'MCP_REAPER_GRACE_MS' },
        killWaitMs: { from: 'settings', where: 'test.use({ mcpReaper })' },
        onLeak: { from: 'env', variable: 'MCP_REAPER_ON_LEAK' },
        daemon: { from: 'settings', where: 'test.use({ mcpReaper })' },
      },
    });
  });

  it('leaves unset keys unset: each entry point applies its own default where the option is used', async () => {
    const dir = project({});
    const config = await resolveConfig({ cwd: dir, env: {} });
    expect(config.values).toEqual({});
    // The respawn window a run's sweeps get is then each sweep's default (300 unscoped, 0 in a leak check).
    expect(runConfigOf(config).sweep).toEqual({});
  });

  it('reports every problem of every source in one EINVALIDOPTION error, each naming where it is', async () => {
    const dir = project({ graceMs: -1, watchdog: 'yes' });
    const error = await resolveConfig({
      cwd: dir,
      env: { MCP_REAPER_KILL_WAIT_MS: 'soon', MCP_REAPER_ON_LEAK: 'loud' },
      top: settings({ onleak: 'fail', daemon: { command: 7 } }, dir),
    }).catch((caught: unknown) => caught);
    const file = path.join(dir, 'mcp-reaper.config.json');
    expect(error).toMatchObject({ code: 'EINVALIDOPTION' });
    expect((error as Error).message).toBe(
      [
        'Invalid configuration:',
        '  - test.use({ mcpReaper }): unknown option "onleak" (did you mean "onLeak"?); known options: dir, names, files, pidFile, graceMs, killWaitMs, respawnWindowMs, dryRun, onLeak, watchdog, daemon, stack, stackReuse',
        '  - test.use({ mcpReaper }): "daemon.command" must be a non-empty path, got 7 (number)',
        `  - config file ${file}: "graceMs" must be a whole number of milliseconds from 0 to 600000, got -1 (number)`,
        `  - config file ${file}: "watchdog" must be true or false, got "yes" (string)`,
        '  - MCP_REAPER_KILL_WAIT_MS="soon": expected a whole number of milliseconds, e.g. 500',
        '  - MCP_REAPER_ON_LEAK="loud": "onLeak" must be one of "warn", "fail", "kill", got "loud" (string)',
        "Fix or unset each setting named above: a flag, an MCP_REAPER_* variable, the config file, or the runner's settings.",
      ].join('\n'),
    );
  });

  it('hands over the file and environment alone, for workers to put their own settings on', async () => {
    const dir = project({ names: ['n'], onLeak: 'warn' });
    const { base, config } = await resolveWithBase({ cwd: dir, env: { MCP_REAPER_GRACE_MS: '7' }, top: settings({ onLeak: 'fail' }, dir) });
    expect(base.values).toEqual({ names: ['n'], onLeak: 'warn', graceMs: 7 });
    expect(config.values.onLeak).toBe('fail');
    // JSON, as it travels through the registry or Vitest's provide.
    const again = withTop(JSON.parse(JSON.stringify(base)), settings({ onLeak: 'fail' }, dir));
    expect(again).toEqual(config);
    expect(() => withTop(base, settings({ onLeak: 'never' }, dir))).toThrow(/test\.use\(\{ mcpReaper \}\): "onLeak" must be one of/);
  });
});

describe('runConfigOf', () => {
  it('gives a run its sweep options, onLeak, watchdog and daemon defaults, and says once that dryRun is ignored', async () => {
    const dir = project({ graceMs: 900, pidFile: 'x.pid', dryRun: true, daemon: { graceMs: 100, readyTimeoutMs: 3000 } });
    const run = runConfigOf(await resolveConfig({ cwd: dir, env: {} }));
    expect(run).toEqual({
      sweep: { graceMs: 900, pidFile: 'x.pid' },
      onLeak: 'warn',
      watchdog: true,
      // The daemon's own grace wins over the top level's; pidFile follows the sweep's.
      daemon: { graceMs: 100, killWaitMs: undefined, pidFile: 'x.pid', readyTimeoutMs: 3000 },
      stack: undefined,
      stackReuse: 'local',
      configFile: path.join(dir, 'mcp-reaper.config.json'),
      ignored: [
        `dryRun (config ${path.join(dir, 'mcp-reaper.config.json')}) is ignored in test runs: a run's sweeps and leak checks always stop what they find. \`npx mcp-reaper --dry-run\` shows what a sweep would do.`,
      ],
    });
  });
});
