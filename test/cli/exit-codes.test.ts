// The exit codes, command by command, as packages/core/README.md's table states them: 0 clean, 1
// something survived or could not be cleaned (or the daemon is unhealthy, or a stack would not
// start), 2 usage or config error; `run` passes its command's status through. And `--help` of
// every command exits 0 with an example. Real sweeps of real (fake) daemons, in a sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/fake-daemon.js';
import { runCli } from '../helpers/run-cli.js';
import { describeNeeds, needs } from '../helpers/needs.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

const env = () => ({ HOME: sb.root, PATH: process.env.PATH ?? '' });
const cli = (...argv: string[]) => runCli(argv, sb.root, env());
const scoped = () => ['--dir', sb.stateDir, '--name', sb.name];

/**
 * What makes a sweep not clean without touching anything outside the sandbox: a daemon in this
 * process's own process group (the CLI runs in-process), which a sweep skips for safety.
 */
const startInOwnGroup = () => sb.start({ foreground: true, args: ['daemon', '--socket-path', path.join(sb.root, 'own.sock')] });

/** A project whose config has a stack of one service that exits before it is ready. */
function brokenStack(): string {
  const dir = path.join(sb.root, 'project');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'mcp-reaper.config.json'),
    JSON.stringify({
      names: [sb.name],
      dir: './state',
      watchdog: false,
      stack: { db: { command: [sb.bin, 'daemon', '--foreground'], env: { FAKE_MCP_EXIT_AT_START: '3' }, ready: { line: 'never printed' } } },
    }),
  );
  return dir;
}

describeNeeds([needs.proc], 'exit codes', () => {
  it('sweep: 0 clean, 1 not clean (a process skipped for safety), 2 bad usage', async () => {
    expect((await cli(...scoped())).code).toBe(0);
    const daemon = await startInOwnGroup();
    const dirty = await cli(...scoped());
    expect(dirty.code).toBe(1);
    expect(dirty.stdout).toMatch(new RegExp(`skipped\\s+${daemon.pid}`));
    expect(dirty.stderr).toContain('1 process skipped for safety');
    expect((await cli(...scoped(), '--grace', 'soon')).code).toBe(2);
    expect((await cli('sweep', ...scoped(), '--json', '--quiet')).code).toBe(2);
  });

  it('status: 0 healthy, 1 unhealthy (with --fix too), 2 bad usage', async () => {
    expect((await cli('status', ...scoped())).code).toBe(1);
    await sb.start();
    expect((await cli('status', ...scoped())).code).toBe(0);
    expect((await cli('status', ...scoped(), '--timeout', '0')).code).toBe(2);
    fs.writeFileSync(sb.pidFile, '4194304'); // above any pid_max: names no process
    const fixed = await cli('status', ...scoped(), '--fix');
    expect(fixed.code).toBe(1);
  });

  it("run: the command's status; 1 when it succeeded but the last sweep is not clean; 2 bad usage", async () => {
    expect((await cli('run', ...scoped(), '--', 'sh', '-c', 'exit 0')).code).toBe(0);
    expect((await cli('run', ...scoped(), '--', 'sh', '-c', 'exit 3')).code).toBe(3);
    expect((await cli('run', ...scoped(), '--', 'no-such-command-mcpr')).code).toBe(127);
    await startInOwnGroup();
    expect((await cli('run', ...scoped(), '--', 'sh', '-c', 'exit 0')).code).toBe(1);
    expect((await cli('run', ...scoped(), '--', 'sh', '-c', 'exit 4')).code).toBe(4);
    expect((await cli('run', ...scoped())).code).toBe(2);
  });

  it('up: 1 when the stack does not start, 2 without a stack (0 is in commands/up.test.ts)', async () => {
    const broken = await runCli(['up'], brokenStack(), env());
    expect(broken.code, broken.stderr).toBe(1);
    expect(broken.stderr).toContain('db');
    // A failed start keeps the stack's dir for its logs, and names it: read, then removed, as a user would.
    const kept = /Its logs are kept in (\S+)\.$/m.exec(broken.stderr)?.[1];
    expect(kept, broken.stderr).toBeDefined();
    expect(fs.existsSync(path.join(kept!, 'logs'))).toBe(true);
    fs.rmSync(path.dirname(kept!), { recursive: true });
    expect((await cli('up', ...scoped())).code).toBe(2);
  });

  it('config: 0 printed, 2 bad config', async () => {
    expect((await cli('config', ...scoped())).code).toBe(0);
    fs.writeFileSync(path.join(sb.root, 'mcp-reaper.config.json'), '{"graceMs": "soon"}');
    const bad = await cli('config');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('graceMs');
  });
});

describe('--help', () => {
  it.each([[[]], [['sweep']], [['status']], [['run']], [['up']], [['ps']], [['config']]])('%j --help: exit 0, the exit codes and an example', async (command) => {
    const { code, stdout, stderr } = await cli(...command, '--help');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: mcp-reaper/);
    expect(stdout).toMatch(/Exit (codes|status): .*0/);
    const examples = stdout.slice(stdout.indexOf('\nExamples:\n'));
    expect(examples.length, stdout).toBeGreaterThan(12);
    expect(examples).toMatch(new RegExp(`\\n {2}mcp-reaper ${command[0] ?? ''}`));
  });
});
