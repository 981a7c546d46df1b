// `mcp-reaper config --json`: where options come from. Nothing here sweeps, so no process is ever touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueFakeName } from '../../helpers/fake-daemon.js';
import { runCli } from '../../helpers/run-cli.js';

const temps: string[] = [];
function tempDir(): string {
  // realpath: on macOS os.tmpdir() is behind a symlink, and the CLI reports resolved paths.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-cli-')));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function write(file: string, content: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const run = runCli;

interface ConfigJson {
  configFile: string | null;
  options: Record<string, unknown>;
  sources: Record<string, { from: string; flag?: string; variable?: string; file?: string }>;
}

async function resolved(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigJson> {
  const result = await run(['config', '--json', ...argv], cwd, env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ConfigJson;
}

function expectUsageError(result: { code: number; stdout: string; stderr: string }, ...mentions: string[]): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  for (const mention of mentions) expect(result.stderr).toContain(mention);
  // A message for people, not a stack trace.
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

const unique = uniqueFakeName;

describe('mcp-reaper config', () => {
  it('shows the defaults when nothing is set', async () => {
    const cwd = tempDir();
    const out = await resolved([], cwd, { HOME: cwd });
    expect(out.configFile).toBeNull();
    expect(out.options).toEqual({
      dir: path.join(cwd, '.local', 'share', 'AIAgentPM'),
      names: ['mcp-server-pm'],
      files: ['mcp.sock', 'daemon.pid'],
      pidFile: 'daemon.pid',
      graceMs: 500,
      killWaitMs: 2000,
      respawnWindowMs: 300,
      dryRun: false,
      onLeak: 'warn',
      watchdog: true,
      daemon: {},
      stack: {},
      stackReuse: 'local',
    });
    for (const source of Object.values(out.sources)) expect(source).toEqual({ from: 'default' });
  });

  it('takes flags over env over config file over defaults', async () => {
    const cwd = tempDir();
    const configFile = write(path.join(cwd, 'mcp-reaper.config.json'), {
      dir: '/from/config',
      names: ['from-config'],
      files: ['config.sock'],
      graceMs: 100,
      dryRun: true,
    });
    const env = { MCP_REAPER_NAMES: 'env-a, env-b', MCP_REAPER_GRACE_MS: '200', MCP_REAPER_KILL_WAIT_MS: '300' };
    const out = await resolved(['--grace', '400', '--respawn-window', '0', '--name', 'flag-a', '--name', 'flag-b'], cwd, env);

    expect(out.configFile).toBe(configFile);
    expect(out.options).toMatchObject({
      dir: '/from/config',
      names: ['flag-a', 'flag-b'],
      files: ['config.sock'],
      pidFile: 'daemon.pid',
      graceMs: 400,
      killWaitMs: 300,
      dryRun: true,
    });
    expect(out.sources).toEqual({
      dir: { from: 'config', file: configFile },
      names: { from: 'flag', flag: '--name' },
      files: { from: 'config', file: configFile },
      pidFile: { from: 'default' },
      graceMs: { from: 'flag', flag: '--grace' },
      killWaitMs: { from: 'env', variable: 'MCP_REAPER_KILL_WAIT_MS' },
      respawnWindowMs: { from: 'flag', flag: '--respawn-window' },
      dryRun: { from: 'config', file: configFile },
      onLeak: { from: 'default' },
      watchdog: { from: 'default' },
      daemon: { from: 'default' },
      stack: { from: 'default' },
      stackReuse: { from: 'default' },
    });

    // Without the flags, the environment wins over the file.
    const envOnly = await resolved([], cwd, env);
    expect(envOnly.options).toMatchObject({ names: ['env-a', 'env-b'], graceMs: 200 });
    expect(envOnly.sources.names).toEqual({ from: 'env', variable: 'MCP_REAPER_NAMES' });
  });

  it('reads every MCP_REAPER_* variable and ignores the ones it does not know', async () => {
    const cwd = tempDir();
    const out = await resolved([], cwd, {
      MCP_REAPER_DIR: 'state',
      MCP_REAPER_NAMES: 'a,b',
      MCP_REAPER_FILES: 'x.sock,,y.pid',
      MCP_REAPER_PID_FILE: 'y.pid',
      MCP_REAPER_GRACE_MS: '0',
      MCP_REAPER_KILL_WAIT_MS: '1500',
      MCP_REAPER_RESPAWN_WINDOW_MS: '1000',
      MCP_REAPER_DRY_RUN: 'yes',
      MCP_REAPER_ON_LEAK: 'fail',
      MCP_REAPER_WATCHDOG: '0',
      MCP_REAPER_STACK_REUSE: 'never',
      MCP_REAPER_OWNER: 'someone-else', // a tag, not a setting: not an error
    });
    expect(out.options).toEqual({
      dir: path.join(cwd, 'state'),
      names: ['a', 'b'],
      files: ['x.sock', 'y.pid'],
      pidFile: 'y.pid',
      graceMs: 0,
      killWaitMs: 1500,
      respawnWindowMs: 1000,
      dryRun: true,
      onLeak: 'fail',
      watchdog: false,
      daemon: {},
      stack: {},
      stackReuse: 'never',
    });
  });

  it('lets --no-dry-run override dryRun from the environment', async () => {
    const cwd = tempDir();
    const out = await resolved(['--no-dry-run'], cwd, { MCP_REAPER_DRY_RUN: 'true' });
    expect(out.options.dryRun).toBe(false);
    expect(out.sources.dryRun).toEqual({ from: 'flag', flag: '--no-dry-run' });
    const dry = await resolved(['--dry-run'], cwd, { MCP_REAPER_DRY_RUN: '0' });
    expect(dry.options.dryRun).toBe(true);
  });

  it('resolves a relative --dir and MCP_REAPER_DIR against the working directory', async () => {
    const cwd = tempDir();
    expect((await resolved(['--dir', 'a/b'], cwd)).options.dir).toBe(path.join(cwd, 'a', 'b'));
    expect((await resolved([], cwd, { MCP_REAPER_DIR: '../up' })).options.dir).toBe(path.join(path.dirname(cwd), 'up'));
  });

  it('reads the "mcpReaper" key of package.json', async () => {
    const cwd = tempDir();
    const pkg = write(path.join(cwd, 'package.json'), { name: 'x', mcpReaper: { names: ['from-pkg'], killWaitMs: 50 } });
    const out = await resolved([], cwd);
    expect(out.configFile).toBe(pkg);
    expect(out.options).toMatchObject({ names: ['from-pkg'], killWaitMs: 50 });
    expect(out.sources.names).toEqual({ from: 'config', file: pkg });
  });

  it('skips a package.json without the key and goes on searching upward', async () => {
    const root = tempDir();
    const configFile = write(path.join(root, 'mcp-reaper.config.json'), { names: ['from-root'] });
    const sub = path.join(root, 'pkg');
    write(path.join(sub, 'package.json'), { name: 'no-config-here' });
    const out = await resolved([], sub);
    expect(out.configFile).toBe(configFile);
  });

  it('finds the config file from a subdirectory and resolves its relative dir against the file', async () => {
    const root = tempDir();
    const configFile = write(path.join(root, 'mcp-reaper.config.json'), { dir: './state', names: [unique()] });
    const deep = path.join(root, 'a', 'b', 'c');
    fs.mkdirSync(deep, { recursive: true });
    const out = await resolved([], deep);
    expect(out.configFile).toBe(configFile);
    expect(out.options.dir).toBe(path.join(root, 'state'));
  });

  it.each([
    ['mcp-reaper.config.mjs', 'export default { names: ["from-mjs"], graceMs: 11 };'],
    ['mcp-reaper.config.cjs', 'module.exports = { names: ["from-cjs"], graceMs: 12 };'],
    ['mcp-reaper.config.js', 'module.exports = { names: ["from-js"], graceMs: 13 };'],
  ])('loads %s', async (name, source) => {
    const cwd = tempDir();
    const configFile = write(path.join(cwd, name), source);
    const out = await resolved([], cwd);
    expect(out.configFile).toBe(configFile);
    expect(out.options.names).toEqual([`from-${path.extname(name).slice(1)}`]);
    expect(out.sources.graceMs).toEqual({ from: 'config', file: configFile });
  });

  it('loads --config FILE instead of searching, relative to the working directory', async () => {
    const cwd = tempDir();
    write(path.join(cwd, 'mcp-reaper.config.json'), { names: ['searched'] });
    const chosen = write(path.join(cwd, 'conf', 'ci.mjs'), 'export default { names: ["chosen"], dir: "../state" };');
    const out = await resolved(['--config', 'conf/ci.mjs'], cwd);
    expect(out.configFile).toBe(chosen);
    expect(out.options.names).toEqual(['chosen']);
    expect(out.options.dir).toBe(path.join(cwd, 'state'));
  });

  it('accepts the keys test runs read (onLeak, watchdog, daemon), with the daemon\'s paths relative to the file', async () => {
    const root = tempDir();
    const configFile = write(path.join(root, 'mcp-reaper.config.json'), {
      onLeak: 'fail',
      watchdog: false,
      daemon: { command: './bin/mcp-server-pm', cwd: 'work', socketPath: 'state/t.sock', readyTimeoutMs: 2000, env: { AIAGENTPM_DB_PATH: '/tmp/x.db' } },
    });
    const deep = path.join(root, 'sub');
    fs.mkdirSync(deep);
    const out = await resolved([], deep);
    expect(out.options).toMatchObject({
      onLeak: 'fail',
      watchdog: false,
      daemon: {
        command: path.join(root, 'bin', 'mcp-server-pm'),
        cwd: path.join(root, 'work'),
        socketPath: path.join(root, 'state', 't.sock'),
        readyTimeoutMs: 2000,
        env: { AIAGENTPM_DB_PATH: '/tmp/x.db' },
      },
    });
    expect(out.sources.daemon).toEqual({ from: 'config', file: configFile });
  });

  it('with --runner, shows what a test run uses: dryRun ignored, both respawn windows, the daemon defaults', async () => {
    const cwd = tempDir();
    write(path.join(cwd, 'mcp-reaper.config.json'), { graceMs: 900, dryRun: true, daemon: { readyTimeoutMs: 3000 } });
    const { code, stdout } = await run(['config', '--runner', 'jest'], cwd);
    expect(code).toBe(0);
    expect(stdout).toContain('as Jest sees it; its own settings, in testEnvironmentOptions.mcpReaper, go on top key by key');
    expect(stdout).toMatch(/dryRun\s+true\s+\(config .*; ignored: a test run always stops what it finds\)/);
    expect(stdout).toMatch(/respawnWindowMs\s+300 before the run, 0 in leak checks\s+\(default\)/);
    expect(stdout).toMatch(/daemon\s+\{"graceMs":900,"readyTimeoutMs":3000\}/);
    const json = await resolved(['--runner', 'vitest'], cwd);
    expect((json as unknown as { run: unknown }).run).toEqual({
      runner: 'vitest',
      settings: 'test.provide.mcpReaper',
      sweep: { graceMs: 900 },
      onLeak: 'warn',
      watchdog: true,
      daemon: { graceMs: 900, readyTimeoutMs: 3000 },
      stackReuse: 'local',
      ignored: [expect.stringContaining('dryRun (config ')],
    });
    expectUsageError(await run(['config', '--runner', 'mocha'], cwd), "'mocha'", 'jest, vitest, playwright');
  });

  it('prints a table for people, naming each source', async () => {
    const cwd = tempDir();
    const configFile = write(path.join(cwd, 'mcp-reaper.config.json'), { graceMs: 42 });
    const { code, stdout } = await run(['config', '--name', 'flagged'], cwd, { MCP_REAPER_FILES: 'a.sock' });
    expect(code).toBe(0);
    expect(stdout).toContain(`config file: ${configFile}`);
    expect(stdout).toMatch(/names\s+flagged\s+\(flag --name\)/);
    expect(stdout).toMatch(/files\s+a\.sock\s+\(env MCP_REAPER_FILES\)/);
    expect(stdout).toMatch(new RegExp(`graceMs\\s+42\\s+\\(config ${configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    expect(stdout).toMatch(/killWaitMs\s+2000\s+\(default\)/);
  });
});

describe('config and option errors exit 2 with a message and no stack', () => {
  it('names the config file and the JSON error', async () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'mcp-reaper.config.json'), '{ "names": [ }');
    expectUsageError(await run(['config'], cwd), file, 'JSON');
  });

  it('names a broken package.json found while searching', async () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'package.json'), '{ nope');
    expectUsageError(await run(['config'], cwd), file);
  });

  it('lists every bad key and value in a config file, with a did-you-mean', async () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'mcp-reaper.config.json'), { grace: 5, names: 'not-a-list', dryRun: 'yes' });
    expectUsageError(await run(['config'], cwd), `config file ${file}`, '"grace"', 'did you mean "graceMs"', '"names"', '"dryRun"');
  });

  it('rejects a config file that is not an object', async () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'mcp-reaper.config.json'), '[1, 2]');
    expectUsageError(await run(['config'], cwd), file);
  });

  it('rejects "source" in a config file', async () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'mcp-reaper.config.json'), { source: {} });
    expectUsageError(await run(['config'], cwd), file, 'unknown option "source"');
  });

  it('reports the problems of every source at once: flags, variables and the config file', async () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'mcp-reaper.config.json'), { onLeak: 'loud', daemon: { readyTimeoutMs: 0, shell: true } });
    const result = await run(['config', '--name', 'a/b'], cwd, { MCP_REAPER_WATCHDOG: 'maybe' });
    expectUsageError(
      result,
      '--name "a/b": "names" entry "a/b" (string): expected a plain name without "/"',
      'MCP_REAPER_WATCHDOG="maybe": expected one of 1, true, yes, 0, false, no',
      `config file ${file}: "onLeak" must be one of "warn", "fail", "kill", got "loud" (string)`,
      `config file ${file}: "daemon.readyTimeoutMs" must be a whole number of milliseconds from 1 to 600000, got 0 (number)`,
      `config file ${file}: unknown option "daemon.shell"`,
    );
  });

  it('names a JS config that throws, or has no default export', async () => {
    const cwd = tempDir();
    const throwing = write(path.join(cwd, 'throws.mjs'), 'throw new Error("boom in config");');
    expectUsageError(await run(['config', '--config', 'throws.mjs'], cwd), throwing, 'boom in config');
    const named = write(path.join(cwd, 'named.mjs'), 'export const names = ["x"];');
    expectUsageError(await run(['config', '--config', 'named.mjs'], cwd), named, 'default export');
  });

  it('names a missing or unsupported --config file', async () => {
    const cwd = tempDir();
    expectUsageError(await run(['config', '--config', 'nope.json'], cwd), path.join(cwd, 'nope.json'), '--config');
    write(path.join(cwd, 'conf.yaml'), 'names: [x]');
    expectUsageError(await run(['config', '--config', 'conf.yaml'], cwd), path.join(cwd, 'conf.yaml'), '.yaml');
  });

  it('names an empty config file given with --config', async () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'empty.json'), '   \n');
    expectUsageError(await run(['config', '--config', file], cwd), file, 'empty');
  });

  it('names each bad environment variable, its value and the fix', async () => {
    const cwd = tempDir();
    const result = await run(['config'], cwd, {
      MCP_REAPER_GRACE_MS: 'soon',
      MCP_REAPER_KILL_WAIT_MS: '-1',
      MCP_REAPER_DRY_RUN: 'maybe',
      MCP_REAPER_NAMES: 'ok,bad/name',
      MCP_REAPER_PID_FILE: '..',
    });
    expectUsageError(
      result,
      'MCP_REAPER_GRACE_MS="soon"',
      'MCP_REAPER_KILL_WAIT_MS="-1"',
      'MCP_REAPER_DRY_RUN="maybe"',
      'MCP_REAPER_NAMES="ok,bad/name"',
      'MCP_REAPER_PID_FILE=".."',
      'unset',
    );
    expectUsageError(await run(['config'], cwd, { MCP_REAPER_ON_LEAK: 'loud' }), 'MCP_REAPER_ON_LEAK="loud": "onLeak" must be one of');
  });

  it('names each bad flag and its value', async () => {
    const cwd = tempDir();
    expectUsageError(await run(['config', '--grace', 'abc'], cwd), '--grace', "'abc'");
    expectUsageError(await run(['config', '--grace', '-5'], cwd), '--grace', "'-5'");
    expectUsageError(await run(['config', '--grace', '99999999'], cwd), '--grace 99999999', 'graceMs');
    expectUsageError(await run(['config', '--name', 'a/b'], cwd), '--name "a/b"');
    expectUsageError(await run(['config', '--dir', ''], cwd), '--dir ""');
    expectUsageError(await run(['config', '--dir'], cwd), '--dir');
    expectUsageError(await run(['config', '--bogus'], cwd), "'--bogus'", '--help');
  });
});
