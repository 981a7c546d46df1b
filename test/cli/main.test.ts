// main() in-process: real sweeps against a temp dir and a unique fake daemon name, never the real one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../packages/core/src/cli/main.js';
import { runCli } from '../helpers/run-cli.js';
import type { SweepReport } from '../../packages/core/src/report.js';
import { createSandbox, uniqueFakeName, type Sandbox } from '../helpers/fake-daemon.js';
import { isAlive } from '../helpers/wait.js';
import { itNeeds, needs } from '../helpers/needs.js';

const temps: string[] = [];
let sandbox: Sandbox | undefined;

function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-cli-')));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await sandbox?.cleanup();
  sandbox = undefined;
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const unique = uniqueFakeName;

const run = runCli;

/** A sweep that can only ever look at a temp dir and a name no real process has. */
function safe(dir: string, ...rest: string[]): string[] {
  return ['--dir', dir, '--name', unique(), ...rest];
}

const NO_STACK = /^\s+at /m;

describe('sweep output', () => {
  it('is the default command, and says "dry run" and "nothing to do" on a clean dry run', async () => {
    const dir = tempDir();
    const { code, stdout, stderr } = await run(safe(dir, '--dry-run'), dir);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('nothing to do');
    expect(stdout).toContain('dry run: nothing was changed');
    // Absent files are normal: one compact line, not one per file.
    expect(stdout.match(/absent/g)).toHaveLength(1);
    expect(stdout).toContain(`mcp.sock`);
  });

  it('accepts "sweep" explicitly', async () => {
    const dir = tempDir();
    const { code, stdout } = await run(['sweep', ...safe(dir, '--dry-run')], dir);
    expect(code).toBe(0);
    expect(stdout).toContain('dry run');
  });

  it('--json prints exactly the report as JSON', async () => {
    const dir = tempDir();
    const { code, stdout, stderr } = await run(safe(dir, '--dry-run', '--json'), dir);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as SweepReport;
    expect(report).toMatchObject({ ok: true, dryRun: true, processes: [] });
    expect(typeof report.durationMs).toBe('number');
    expect(report.files.map((f) => f.path).sort()).toEqual([path.join(dir, 'daemon.pid'), path.join(dir, 'mcp.sock')]);
    expect(stdout).toBe(`${JSON.stringify(report, null, 2)}\n`);
  });

  it('--quiet prints nothing on a clean run', async () => {
    const dir = tempDir();
    expect(await run(safe(dir, '--dry-run', '--quiet'), dir)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('takes its options from the environment and a config file too', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'mcp-reaper.config.json'), JSON.stringify({ dir: './state', files: ['x.sock'] }));
    const env = { MCP_REAPER_NAMES: unique(), MCP_REAPER_DRY_RUN: '1' };
    const { code, stdout } = await run(['--json'], dir, env);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as SweepReport;
    expect(report.dryRun).toBe(true);
    expect(report.files.map((f) => f.path)).toEqual([path.join(dir, 'state', 'x.sock')]);
  });

  it('removes a stale pid file and says so', async () => {
    const dir = tempDir();
    // A pid that cannot be a live process: the file is stale.
    fs.writeFileSync(path.join(dir, 'daemon.pid'), '99999999');
    const { code, stdout } = await run(safe(dir), dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/removed\s+\S*daemon\.pid/);
    expect(stdout).toMatch(/1 file removed, in \d+ ms/);
    expect(fs.existsSync(path.join(dir, 'daemon.pid'))).toBe(false);
  });

  // Needs root: only root can give a file to another user. The engine skips other users' files.
  itNeeds([needs.root], 'exits 1 with the problem on stderr when a file must be skipped', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'foreign.sock');
    fs.writeFileSync(file, '');
    fs.chownSync(file, 12345, 12345);

    const loud = await run(safe(dir, '--file', 'foreign.sock'), dir);
    expect(loud.code).toBe(1);
    expect(loud.stdout).toMatch(/skipped\s+\S*foreign\.sock/);
    expect(loud.stderr).toMatch(/^mcp-reaper: 1 file skipped; see the reasons above\n$/);
    expect(fs.existsSync(file)).toBe(true);

    const quiet = await run(safe(dir, '--file', 'foreign.sock', '--quiet'), dir);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toContain('foreign.sock');
    expect(quiet.stderr).toContain('1 file skipped');

    const json = await run(safe(dir, '--file', 'foreign.sock', '--json'), dir);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, files: [{ path: file, action: 'skipped' }] });
  });
});

describe('sweep of a real (fake) daemon', () => {
  it('stops it and reports "terminated"', async () => {
    sandbox = await createSandbox();
    const daemon = await sandbox.start();
    const { code, stdout, stderr } = await run(['--dir', sandbox.stateDir, '--name', sandbox.name], sandbox.root);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`terminated\\s+${daemon.pid}\\s+SIGTERM\\s+.*${sandbox.name}`));
    expect(stdout).toMatch(/1 daemon stopped/);
    expect(isAlive(daemon.pid)).toBe(false);
  });

  it('says when SIGKILL was needed', async () => {
    sandbox = await createSandbox();
    const daemon = await sandbox.start({ env: { FAKE_MCP_IGNORE_TERM: '1' } });
    const { code, stdout, stderr } = await run(['--dir', sandbox.stateDir, '--name', sandbox.name, '--grace', '100'], sandbox.root);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`killed\\s+${daemon.pid}\\s+SIGKILL`));
    expect(stdout).toContain('1 daemon stopped (1 needed SIGKILL)');
    expect(stdout).toMatch(/removed\s+.*mcp\.sock/);
    expect(isAlive(daemon.pid)).toBe(false);
  });

  it('leaves it alone with --dry-run', async () => {
    sandbox = await createSandbox();
    const daemon = await sandbox.start();
    const { code, stdout } = await run(['--dir', sandbox.stateDir, '--name', sandbox.name, '--dry-run'], sandbox.root);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`would-kill\\s+${daemon.pid}`));
    expect(stdout).toContain('1 daemon would be stopped');
    expect(stdout).toContain('dry run: nothing was changed');
    expect(isAlive(daemon.pid)).toBe(true);
  });
});

describe('usage', () => {
  it('prints help and the version with exit 0', async () => {
    const dir = tempDir();
    const help = await run(['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mcp-reaper');
    expect(help.stdout).toContain('config');
    const sweepHelp = await run(['sweep', '--help'], dir);
    expect(sweepHelp.stdout).toContain('--grace <ms>');
    const version = await run(['--version'], dir);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['--bogus'], "'--bogus'"],
    [['--grace', 'abc'], "'--grace <ms>' argument 'abc'"],
    [['--json', '--quiet'], '--quiet'],
    [['sweep', 'extra'], 'too many arguments'],
    [['--name'], '--name'],
  ])('%j is a usage error: exit 2, a message naming it, no stack', async (argv, mention) => {
    const dir = tempDir();
    const { code, stdout, stderr } = await run(['--dir', dir, ...argv], dir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(mention);
    expect(stderr).toContain('--help');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('a bad config file stops the sweep with exit 2 before anything is touched', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'daemon.pid'), '99999999');
    fs.writeFileSync(path.join(dir, 'mcp-reaper.config.json'), '{"dryrun": true}');
    const { code, stderr } = await run(safe(dir), dir);
    expect(code).toBe(2);
    expect(stderr).toContain(path.join(dir, 'mcp-reaper.config.json'));
    expect(stderr).toContain('did you mean "dryRun"');
    expect(stderr).not.toMatch(NO_STACK);
    expect(fs.existsSync(path.join(dir, 'daemon.pid'))).toBe(true);
  });

  it('a bad environment variable is exit 2, naming it', async () => {
    const dir = tempDir();
    const { code, stderr } = await run(safe(dir, '--dry-run'), dir, { MCP_REAPER_GRACE_MS: '1.5' });
    expect(code).toBe(2);
    expect(stderr).toContain('MCP_REAPER_GRACE_MS="1.5"');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('an unexpected error is exit 1 with a message; the stack only under NODE_DEBUG=mcp-reaper', async () => {
    const dir = tempDir();
    const failing = (env: NodeJS.ProcessEnv) => {
      let stderr = '';
      const io = {
        stdout: {
          write: (): never => {
            throw new Error('stdout is gone');
          },
        },
        stderr: { write: (s: string) => (stderr += s) },
        cwd: dir,
        env,
      };
      return main(['config', '--dir', dir], io).then((code: number) => ({ code, stderr }));
    };
    const plain = await failing({});
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('internal error: stdout is gone');
    expect(plain.stderr).not.toMatch(NO_STACK);
    const debug = await failing({ NODE_DEBUG: 'net,mcp-reaper' });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(NO_STACK);
  });

  it('colours an injected stream only when FORCE_COLOR is set', async () => {
    const dir = tempDir();
    expect((await run(safe(dir, '--dry-run'), dir)).stdout).not.toContain('\u001b[');
    expect((await run(safe(dir, '--dry-run'), dir, { FORCE_COLOR: '1' })).stdout).toContain('\u001b[');
  });
});
