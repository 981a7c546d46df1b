// healthCheck() against real fake daemons, real processes and real sockets in a sandbox.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReaperError } from '../../../packages/core/src/errors.js';
import { healthCheck, type HealthCheckOptions, type HealthReport } from '../../../packages/core/src/health/health-check.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, waitFor, waitForExit } from '../../helpers/wait.js';

/** Live threads of a pid (0 when it is gone). */
function threads(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

let sb: Sandbox;
const servers: net.Server[] = [];
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await sb.cleanup();
});

/** Only ever the sandbox's dir and its unique fake name. */
function check(extra: HealthCheckOptions = {}): Promise<HealthReport> {
  return healthCheck({ dir: sb.stateDir, names: [sb.name], timeoutMs: 5000, ...extra });
}

function byName(report: HealthReport) {
  return Object.fromEntries(report.checks.map((c) => [c.name, c]));
}

function writePidFile(content: string): void {
  fs.mkdirSync(sb.stateDir, { recursive: true });
  fs.writeFileSync(sb.pidFile, content);
}

/** A Unix socket whose listener reads requests and never answers. */
async function muteSocket(file: string): Promise<void> {
  const server = net.createServer((connection) => {
    connection.on('error', () => {});
    connection.resume();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(file, resolve));
}

describe('healthCheck', () => {
  it('passes all four checks for a running daemon, with the pid and the latency', async () => {
    const daemon = await sb.start();
    const report = await check();
    expect(report.healthy).toBe(true);
    expect(report.pid).toBe(daemon.pid);
    expect(report.socketPath).toBe(sb.socketPath);
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['pid-file', true],
      ['process', true],
      ['socket', true],
      ['rpc', true],
    ]);
    const { process, rpc } = byName(report);
    expect(process!.reason).toContain(`pid ${daemon.pid} is a running ${sb.name} daemon`);
    expect(rpc!.latencyMs).toEqual(expect.any(Number));
    expect(report.durationMs).toEqual(expect.any(Number));
  });

  it('fails every check when nothing was ever started, saying there is no pid to check', async () => {
    const report = await check();
    expect(report.healthy).toBe(false);
    expect(report.pid).toBeUndefined();
    expect(report.checks.every((c) => !c.ok)).toBe(true);
    const checks = byName(report);
    expect(checks['pid-file']!.reason).toContain(`no ${sb.pidFile}`);
    expect(checks.process!.reason).toContain('no pid to check');
    expect(checks.socket!.reason).toContain(`no socket at ${sb.socketPath}`);
    expect(checks.rpc!.reason).toContain('no request sent');
    // A missing state dir is not created.
    expect(fs.existsSync(sb.stateDir)).toBe(false);
  });

  it('quotes a corrupt pid file', async () => {
    writePidFile('12abc');
    const report = await check();
    const checks = byName(report);
    expect(checks['pid-file']).toMatchObject({ ok: false, reason: expect.stringContaining('"12abc"') });
    expect(checks.process).toMatchObject({ ok: false, reason: expect.stringContaining('no pid to check') });
    expect(report.pid).toBeUndefined();
  });

  it('reports a crashed daemon: dead pid, stale socket that refuses connections; removes nothing', async () => {
    const daemon = await sb.start();
    process.kill(daemon.pid, 'SIGKILL');
    await waitForExit(daemon.pid);
    // A node zombie's other threads hold its listening socket a moment longer (see isDead): wait for
    // them, so the socket refuses rather than resets.
    await waitFor(() => threads(daemon.pid) <= 1, { message: `threads of ${daemon.pid} to exit` });
    const report = await check();
    const checks = byName(report);
    expect(report.pid).toBe(daemon.pid);
    expect(checks['pid-file']!.ok).toBe(true);
    expect(checks.process).toMatchObject({
      ok: false,
      reason: expect.stringMatching(new RegExp(`names pid ${daemon.pid}, which (is not running|has exited).*mcp-reaper`)),
    });
    // The socket file is left behind by the crash: it is a socket, but nobody listens.
    expect(checks.socket!.ok).toBe(true);
    expect(checks.rpc).toMatchObject({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
    expect(checks.rpc!.latencyMs).toBeUndefined();
    expect(fs.existsSync(sb.pidFile)).toBe(true);
    expect(fs.existsSync(sb.socketPath)).toBe(true);
  });

  it('says what a reused pid is now when the pid file names a live non-daemon', async () => {
    const sleeper = sb.spawnRaw(['600'], {}, { command: 'sleep' });
    writePidFile(String(sleeper.pid));
    const report = await check();
    expect(byName(report).process).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`which is now \`sleep 600\`, not a ${sb.name} daemon`),
    });
    expect(isAlive(sleeper.pid)).toBe(true);
  });

  it('does not believe a pid file written before its daemon started', async () => {
    const daemon = await sb.start();
    const anHourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(sb.pidFile, anHourAgo, anHourAgo);
    const report = await check();
    expect(byName(report).process).toMatchObject({ ok: false, reason: expect.stringContaining('the pid was reused') });
    expect(report.pid).toBe(daemon.pid);
    expect(isAlive(daemon.pid)).toBe(true);
  });

  it("with `pid`, fails the pid-file check when the file names another live daemon (parallel daemons sharing a dir)", async () => {
    const first = await sb.start({ foreground: true, args: ['daemon', '--socket-path', path.join(sb.root, 'first.sock')] });
    const second = await sb.start({ foreground: true, args: ['daemon', '--socket-path', path.join(sb.root, 'second.sock')] });
    expect(fs.readFileSync(sb.pidFile, 'utf8')).toBe(String(second.pid)); // the later one overwrote it
    const report = await check({ pid: first.pid, socketPath: path.join(sb.root, 'first.sock') });
    expect(report.healthy).toBe(false);
    expect(byName(report)['pid-file']).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`names pid ${second.pid}, not this daemon's pid ${first.pid}: another daemon wrote it`),
    });
    // Its socket still answers; without `pid` the file's daemon is all that is checked.
    expect(byName(report).rpc?.ok).toBe(true);
    expect((await check({ pid: second.pid, socketPath: path.join(sb.root, 'second.sock') })).healthy).toBe(true);
    expect((await check({ socketPath: path.join(sb.root, 'first.sock') })).healthy).toBe(true);
  });

  it('fails the socket and rpc checks of a live daemon that never listens', async () => {
    await sb.start({ env: { FAKE_MCP_NO_SOCKET: '1' } });
    const report = await check();
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['pid-file', true],
      ['process', true],
      ['socket', false],
      ['rpc', false],
    ]);
  });

  it('says a regular file is not a socket', async () => {
    await sb.start();
    const file = path.join(sb.root, 'plain.sock');
    fs.writeFileSync(file, '');
    const report = await check({ socketPath: file });
    expect(byName(report).socket).toMatchObject({ ok: false, reason: expect.stringContaining(`${file} is a regular file, not a socket`) });
    expect(byName(report).rpc!.ok).toBe(false);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('fails rpc on timeout when the listener never replies', async () => {
    const file = path.join(sb.root, 'mute.sock');
    await muteSocket(file);
    const report = await check({ socketPath: file, timeoutMs: 150 });
    const checks = byName(report);
    expect(checks.socket!.ok).toBe(true);
    expect(checks.rpc).toMatchObject({ ok: false, reason: expect.stringContaining('no reply within 150 ms') });
  });

  it('resolves a relative dir and socketPath, and defaults the socket to <dir>/mcp.sock', async () => {
    const report = await healthCheck({ dir: path.relative(process.cwd(), sb.stateDir), names: [sb.name] });
    expect(report.socketPath).toBe(path.join(sb.stateDir, 'mcp.sock'));
  });

  it('rejects bad options with EINVALIDOPTION, naming each option, value and type', async () => {
    const error = await healthCheck({
      dir: sb.stateDir,
      names: 'x' as unknown as string[],
      timeoutMs: -1,
      socketPath: '',
      pid: 1.5,
      socketpath: '/tmp/x',
    } as HealthCheckOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaperError);
    expect(error).toMatchObject({ code: 'EINVALIDOPTION' });
    const message = (error as Error).message;
    expect(message).toContain('"names" must be a non-empty array of names, got "x" (string)');
    expect(message).toContain('"timeoutMs" must be a whole number of milliseconds from 1 to 600000, got -1 (number)');
    expect(message).toContain('"socketPath" must be a non-empty path, got "" (string)');
    expect(message).toContain('"pid" must be a pid (a whole number above 0), got 1.5 (number)');
    expect(message).toContain('unknown option "socketpath" (did you mean "socketPath"?)');
  });
});
