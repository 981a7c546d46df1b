// startDaemon(): the real process in its own group, ready when its socket answers, and nothing left
// behind by stop() or by any failed start.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReaperError } from '../../../packages/core/src/errors.js';
import { pingSocket } from '../../../packages/core/src/health/rpc-ping.js';
import {
  DaemonStartError,
  startDaemon,
  type DaemonHandle,
} from '../../../packages/core/src/daemon/start-daemon.js';
import type { StartDaemonOptions } from '../../../packages/core/src/daemon/start-options.js';
import { sweep } from '../../../packages/core/src/sweep/sweep.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { groupMembers, isAlive, readStat } from '../../helpers/wait.js';

let sb: Sandbox;
let handles: DaemonHandle[];
beforeEach(async () => {
  sb = await createSandbox();
  handles = [];
});
// stop() of a test that failed midway also removes the temporary log; the sandbox kills the rest.
afterEach(async () => {
  await Promise.allSettled(handles.map((h) => h.stop()));
  await sb.cleanup();
});

/** Starts the sandbox's fake; its pid is tracked so a failing test still cleans up. */
async function start(extra: StartDaemonOptions = {}, env: Record<string, string> = {}): Promise<DaemonHandle> {
  const handle = await startDaemon({
    command: sb.bin,
    dir: sb.stateDir,
    ...extra,
    env: { XDG_DATA_HOME: sb.dataHome, FAKE_MCP_LOG_FILE: sb.logFile, ...env },
  });
  sb.track(handle.pid);
  handles.push(handle);
  return handle;
}

/** The failed start's error (tracking its pid, should anything have survived). */
async function failure(extra: StartDaemonOptions, env: Record<string, string>): Promise<DaemonStartError> {
  const error = await start(extra, env).then(
    () => {
      throw new Error('startDaemon() resolved, expected it to reject');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DaemonStartError);
  const startError = error as DaemonStartError;
  if (startError.pid !== undefined) sb.track(startError.pid);
  return startError;
}

function expectNothingLeft(pid: number): void {
  expect(groupMembers(pid)).toEqual([]);
  expect(fs.existsSync(sb.socketPath)).toBe(false);
  expect(fs.existsSync(sb.pidFile)).toBe(false);
}

describe('ready', () => {
  it('resolves when the daemon answers on its socket, and `await using` stops it and removes its files', async () => {
    let pid = 0;
    let logFile = '';
    {
      await using daemon = await start();
      ({ pid, logFile } = daemon);
      expect(daemon.socketPath).toBe(sb.socketPath);
      expect(await pingSocket(daemon.socketPath)).toMatchObject({ ok: true, reply: 'error' });
      expect(fs.readFileSync(sb.pidFile, 'utf8')).toBe(String(pid));
      expect(fs.existsSync(logFile)).toBe(true);
    }
    expect(isAlive(pid)).toBe(false);
    expectNothingLeft(pid);
    expect(fs.existsSync(logFile)).toBe(false);
  });

  it('runs the daemon itself (no fork) as leader of its own process group and session', async () => {
    const daemon = await start();
    const stat = readStat(daemon.pid)!;
    expect(stat.comm).toBe(sb.name);
    expect(stat.pgid).toBe(daemon.pid);
    expect(stat.sid).toBe(daemon.pid);
    expect(stat.pgid).not.toBe(readStat(process.pid)!.pgid);
    await daemon.stop();
  });

  it('is ready only once a delayed socket answers', async () => {
    // How soon after the socket appears readiness is noticed is measured in bench/, not asserted here.
    const started = performance.now();
    const daemon = await start({}, { FAKE_MCP_SOCKET_DELAY_MS: '200' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    expect(await pingSocket(daemon.socketPath)).toMatchObject({ ok: true });
    const log = fs.readFileSync(sb.logFile, 'utf8');
    expect(log).toContain(`${daemon.pid} [mcp-server-pm] listening on ${sb.socketPath}`);
    await daemon.stop();
  });

  it('does not take a socket that was there before the start for the daemon answering', async () => {
    const other = await sb.start({ foreground: true, detached: true, args: ['daemon', '--socket-path', sb.socketPath] });
    // The fake replaces the socket at once: only its new socket may make the start ready.
    const started = performance.now();
    const daemon = await start({}, { FAKE_MCP_SOCKET_DELAY_MS: '150' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    const report = await daemon.stop();
    expect(report.processes.map((p) => p.pid)).toEqual([daemon.pid]);
    expect(isAlive(other.pid)).toBe(true);
  });

  it('tags the daemon with its owner and keeps no handle that holds the event loop', async () => {
    const children = () => process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap').length;
    const before = children();
    const daemon = await start({ owner: 'run-1/w2' });
    const environ = fs.readFileSync(`/proc/${daemon.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('MCP_REAPER_OWNER=run-1/w2');
    // A ref'd child shows as a ProcessWrap that would keep a runner alive (stdio is a file, no pipes).
    expect(children()).toBe(before);
    await daemon.stop();
    expect(children()).toBe(before);
    expect(groupMembers(daemon.pid)).toEqual([]);
  });
});

describe('stopped by a sweep instead of its handle', () => {
  it('leaves no temporary log behind: the sweep reads the log dir from its environment and removes it', async () => {
    const daemon = await start({ owner: 'run-log/w1' });
    const logDir = path.dirname(daemon.logFile);
    expect(fs.readFileSync(`/proc/${daemon.pid}/environ`, 'utf8').split('\0')).toContain(`MCP_REAPER_LOG_DIR=${logDir}`);

    const dry = await sweep({ names: [sb.name], dir: sb.stateDir, owner: 'run-log', dryRun: true });
    expect(dry.files).toContainEqual({ path: logDir, action: 'would-remove', reason: `temporary output log of daemon ${daemon.pid} (started by startDaemon)` });
    expect(fs.existsSync(daemon.logFile)).toBe(true);

    const report = await sweep({ names: [sb.name], dir: sb.stateDir, owner: 'run-log' });
    expect(report.processes).toMatchObject([{ pid: daemon.pid, action: 'terminated' }]);
    expect(report.files).toContainEqual({ path: logDir, action: 'removed', reason: `temporary output log of daemon ${daemon.pid} (started by startDaemon)` });
    expect(fs.existsSync(logDir)).toBe(false);
    expect(report.ok).toBe(true);
    // The handle's own stop() afterwards finds nothing to do and does not fail on the missing log.
    expect((await daemon.stop()).ok).toBe(true);
  });

  it('does not tag a daemon whose log the caller named (that log is theirs to keep)', async () => {
    const logFile = path.join(sb.root, 'kept.log');
    const daemon = await start({ logFile });
    expect(fs.readFileSync(`/proc/${daemon.pid}/environ`, 'utf8')).not.toContain('MCP_REAPER_LOG_DIR=');
    await sweep({ names: [sb.name], dir: sb.stateDir });
    expect(isAlive(daemon.pid)).toBe(false);
    expect(fs.existsSync(logFile)).toBe(true);
  });
});

describe('health()', () => {
  it('checks this daemon: its pid file, process, socket and reply', async () => {
    const daemon = await start();
    const health = await daemon.health();
    expect(health).toMatchObject({ healthy: true, pid: daemon.pid, socketPath: sb.socketPath });
    expect(health.checks.map((c) => [c.name, c.ok])).toEqual([
      ['pid-file', true],
      ['process', true],
      ['socket', true],
      ['rpc', true],
    ]);
    await daemon.stop();
    expect((await daemon.health()).healthy).toBe(false);
  });

  it('is unhealthy when a second daemon in the same dir overwrote its pid file, and says so', async () => {
    const first = await start({ socketPath: path.join(sb.root, 'first.sock') });
    const second = await start({ socketPath: path.join(sb.root, 'second.sock') });
    const health = await first.health();
    expect(health.healthy).toBe(false);
    expect(health.checks.find((c) => c.name === 'pid-file')?.reason).toContain(`names pid ${second.pid}, not this daemon's pid ${first.pid}`);
    expect((await second.health()).healthy).toBe(true);
  });
});

describe('stop()', () => {
  it('is graceful, reports like a sweep, and returns the same result when called twice', async () => {
    const daemon = await start();
    const first = daemon.stop();
    expect(daemon.stop()).toBe(first);
    const report = await first;
    expect(report).toMatchObject({ ok: true, dryRun: false });
    expect(report.processes).toEqual([
      expect.objectContaining({ pid: daemon.pid, action: 'terminated', signal: 'SIGTERM', command: expect.stringContaining(sb.bin) }),
    ]);
    // The daemon removes its own files on SIGTERM: stop() finds them gone.
    expect(report.files.map((f) => [f.path, f.action])).toEqual([
      [sb.socketPath, 'absent'],
      [sb.pidFile, 'absent'],
    ]);
    expect(await daemon.stop()).toBe(report);
    expectNothingLeft(daemon.pid);
  });

  it('kills the whole group of a daemon that ignores SIGTERM, children included, and removes its files', async () => {
    const daemon = await start({ graceMs: 100 }, { FAKE_MCP_IGNORE_TERM: '1', FAKE_MCP_CHILDREN: '2', FAKE_MCP_CHILD_IGNORE_TERM: '1' });
    const members = groupMembers(daemon.pid);
    expect(members).toHaveLength(3);
    const report = await daemon.stop();
    expect(report.ok).toBe(true);
    expect(report.processes.map((p) => p.pid).sort()).toEqual([...members].sort());
    for (const p of report.processes) {
      expect(p).toMatchObject({ action: 'killed', signal: 'SIGKILL', reason: expect.stringContaining('ignored SIGTERM for 100 ms') });
      if (p.pid !== daemon.pid) expect(p.parentDaemon).toBe(daemon.pid);
    }
    expect(report.files.map((f) => [f.path, f.action])).toEqual([
      [sb.socketPath, 'removed'],
      [sb.pidFile, 'removed'],
    ]);
    expectNothingLeft(daemon.pid);
  });
});

describe('a failed start leaves nothing behind', () => {
  it('rejects with EDAEMONEXIT, the exit code and the daemon\'s last output when it exits at start', async () => {
    const error = await failure({}, { FAKE_MCP_EXIT_AT_START: '3' });
    expect(error.code).toBe('EDAEMONEXIT');
    expect(error.message).toContain('exited with code 3');
    expect(error.message).toContain('fatal: cannot open database (FAKE_MCP_EXIT_AT_START)');
    expect(error.message).toContain('Check that');
    expect(error.output).toContain('fatal: cannot open database (FAKE_MCP_EXIT_AT_START)');
    expect(error.cleanup?.ok).toBe(true);
    expectNothingLeft(error.pid!);
  });

  it('rejects with EDAEMONTIMEOUT after readyTimeoutMs and kills a daemon that ignores SIGTERM', async () => {
    const started = performance.now();
    const error = await failure(
      // Long enough for node to start the fake and its child on a loaded machine, short for a test.
      { readyTimeoutMs: 1500, graceMs: 50 },
      { FAKE_MCP_NO_SOCKET: '1', FAKE_MCP_IGNORE_TERM: '1', FAKE_MCP_CHILDREN: '1' },
    );
    expect(error.code).toBe('EDAEMONTIMEOUT');
    expect(error.message).toContain('readyTimeoutMs (1500 ms)');
    expect(error.message).toContain(`no socket appeared at ${sb.socketPath}`);
    expect(error.message).toContain('not creating a socket (FAKE_MCP_NO_SOCKET)');
    expect(error.cleanup?.processes).toHaveLength(2);
    expect(error.cleanup?.processes.find((p) => p.pid === error.pid)).toMatchObject({ action: 'killed', signal: 'SIGKILL' });
    expect(error.cleanup?.ok).toBe(true);
    // The daemon never got to remove its pid file: the cleanup did.
    expect(error.cleanup?.files).toContainEqual(expect.objectContaining({ path: sb.pidFile, action: 'removed' }));
    expectNothingLeft(error.pid!);
  });

  it('names a missing command and PATH, with nothing started', async () => {
    const missing = await failure({ command: 'mcpt-not-installed' }, {});
    expect(missing).toMatchObject({ code: 'EDAEMONEXIT', pid: undefined });
    expect(missing.message).toContain('`mcpt-not-installed` was not found on PATH (');
    expect(missing.message).toContain('Pass its full path as `command`');

    const absent = await failure({ command: path.join(sb.root, 'nope') }, {});
    expect(absent.message).toBe(`Could not start nope: ENOENT. \`${path.join(sb.root, 'nope')}\` was not found. Pass its full path as \`command\`, or install it.`);
  });

  it('keeps a log file the caller named, with the daemon\'s output', async () => {
    const logFile = path.join(sb.root, 'daemon.log');
    const error = await failure({ logFile }, { FAKE_MCP_EXIT_AT_START: '5' });
    expect(error.message).toContain('exited with code 5');
    expect(fs.readFileSync(logFile, 'utf8')).toContain('mcp-server-pm: startup failed');
  });
});

describe('options', () => {
  it('lists every bad option with its value and type', () => {
    const error = startDaemon({ readyTimeoutMs: 0, graceMs: '5' as unknown as number, owner: 'a b', sockPath: '/x' } as StartDaemonOptions);
    return expect(error).rejects.toSatisfy((e: unknown) => {
      const message = (e as Error).message;
      return (
        e instanceof ReaperError &&
        e.code === 'EINVALIDOPTION' &&
        message.includes('"readyTimeoutMs" must be a whole number of milliseconds from 1 to 600000, got 0 (number)') &&
        message.includes('"graceMs" must be a whole number of milliseconds from 0 to 600000, got "5" (string)') &&
        message.includes('"owner" must be a tag without spaces or "=" (e.g. "run-1/worker-2"), got "a b" (string)') &&
        message.includes('unknown option "sockPath"')
      );
    });
  });

  it('refuses a socket path longer than a Unix socket can have', async () => {
    await expect(startDaemon({ command: sb.bin, socketPath: `/tmp/${'x'.repeat(120)}.sock` })).rejects.toMatchObject({
      code: 'EINVALIDOPTION',
      message: expect.stringContaining('a Unix socket path may have at most'),
    });
  });
});
