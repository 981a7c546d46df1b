// `mcp-reaper status` in-process against sandboxed fake daemons: never the real name, never the real dir.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HealthReport } from '../../../packages/core/src/health/health-check.js';
import type { SweepReport } from '../../../packages/core/src/report.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { runCli } from '../../helpers/run-cli.js';
import { isAlive, waitForExit } from '../../helpers/wait.js';

let sb: Sandbox;
const servers: net.Server[] = [];
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await sb.cleanup();
});

const NO_STACK = /^\s+at /m;

/** `status` scoped to the sandbox's dir and unique name, run from the sandbox root. */
function status(...rest: string[]) {
  return runCli(['status', '--dir', sb.stateDir, '--name', sb.name, ...rest], sb.root, {});
}

/** A crashed daemon: SIGKILLed, so its pid file and socket stay behind. */
async function crashedDaemon(): Promise<number> {
  const daemon = await sb.start();
  process.kill(daemon.pid, 'SIGKILL');
  await waitForExit(daemon.pid);
  return daemon.pid;
}

describe('mcp-reaper status', () => {
  it('prints each check and exits 0 for a healthy daemon', async () => {
    const daemon = await sb.start();
    const { code, stdout, stderr } = await status('--timeout', '5000');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const name of ['pid-file', 'process', 'socket', 'rpc']) expect(stdout).toMatch(new RegExp(`^  ok +${name} `, 'm'));
    expect(stdout).toContain(`names pid ${daemon.pid}`);
    expect(stdout).toMatch(/answered a JSON-RPC request in [\d.]+ ms/);
    expect(stdout).toMatch(/^healthy: all 4 checks passed/m);
  });

  it('exits 1 with the failed checks and a hint when nothing runs', async () => {
    const { code, stdout, stderr } = await status();
    expect(code).toBe(1);
    expect(stdout.match(/^  FAIL /gm)).toHaveLength(4);
    expect(stderr).toContain('unhealthy: 4 of 4 checks failed (pid-file, process, socket, rpc)');
    expect(stderr).toContain('mcp-reaper status --fix');
  });

  it('--json prints only the health report', async () => {
    const daemon = await sb.start();
    const { code, stdout, stderr } = await status('--json', '--timeout', '5000');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as HealthReport;
    expect(report).toMatchObject({ healthy: true, pid: daemon.pid, socketPath: sb.socketPath });
    expect(report.checks.map((c) => c.name)).toEqual(['pid-file', 'process', 'socket', 'rpc']);
    expect(report.checks[3]!.latencyMs).toEqual(expect.any(Number));
  });

  it('--socket (relative to the cwd) and --timeout: a listener that never replies fails rpc', async () => {
    await sb.start();
    const server = net.createServer((connection) => {
      connection.on('error', () => {});
      connection.resume();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path.join(sb.root, 'mute.sock'), resolve));
    const { code, stdout } = await status('--socket', 'mute.sock', '--timeout', '150');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^  ok +socket +.*mute\.sock is a socket/m);
    expect(stdout).toMatch(/^  FAIL rpc +no reply within 150 ms/m);
  });

  it.each([['abc'], ['0'], ['-5'], ['600001']])('exits 2 without a stack trace for --timeout %s', async (value) => {
    const { code, stderr } = await status('--timeout', value);
    expect(code).toBe(2);
    expect(stderr).toContain('--timeout');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('exits 2 for a bad --name, like the other commands', async () => {
    const { code, stderr } = await runCli(['status', '--dir', sb.stateDir, '--name', 'a/b'], sb.root, {});
    expect(code).toBe(2);
    expect(stderr).toContain('--name "a/b"');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('--fix sweeps a crashed daemon’s stale files and still exits 1', async () => {
    const pid = await crashedDaemon();
    const { code, stdout, stderr } = await status('--fix', '--timeout', '500');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^  FAIL process +daemon\.pid names pid \d+, which/m);
    expect(stdout).toContain('--fix: swept');
    expect(stdout).toMatch(new RegExp(`removed +${sb.pidFile.replace(/[.]/g, '\\.')} .*${pid}`));
    expect(stdout).toMatch(/removed +.*mcp\.sock/);
    expect(stderr).toContain('the sweep cleaned up; start the daemon again');
    expect(fs.existsSync(sb.pidFile)).toBe(false);
    expect(fs.existsSync(sb.socketPath)).toBe(false);
  });

  it('--fix --json adds the sweep report under "fix"; a healthy daemon is never swept', async () => {
    await crashedDaemon();
    const fixed = await status('--fix', '--json', '--timeout', '500');
    expect(fixed.code).toBe(1);
    const report = JSON.parse(fixed.stdout) as HealthReport & { fix: SweepReport };
    expect(report.healthy).toBe(false);
    expect(report.fix.ok).toBe(true);
    expect(report.fix.files.filter((f) => f.action === 'removed')).toHaveLength(2);

    const daemon = await sb.start();
    const healthy = await status('--fix', '--json', '--timeout', '5000');
    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout)).not.toHaveProperty('fix');
    expect(isAlive(daemon.pid)).toBe(true);
  });
});
