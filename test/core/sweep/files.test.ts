// Behaviour 5: only stale sockets, files and symlinks go; never a directory, another user's file,
// or a socket someone still listens on.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../../packages/core/src/index.js';
import { createSandbox, socketRpc, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, waitFor } from '../../helpers/wait.js';
import { itNeeds, needs } from '../../helpers/needs.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

const sweepOf = (extra = {}) => sweep({ names: [sb.name], dir: sb.stateDir, ...extra });
const fileReport = (report: Awaited<ReturnType<typeof sweep>>, file: string) => report.files.find((f) => f.path === file);

/** A daemon that crashed: SIGKILL leaves its socket and pid file behind. */
async function crashedDaemon() {
  const daemon = await sb.start();
  process.kill(daemon.pid, 'SIGKILL');
  await waitFor(() => !isAlive(daemon.pid), { message: 'the daemon to die' });
  return daemon;
}

describe('stale files', () => {
  it('removes the socket and pid file a crashed daemon left', async () => {
    const daemon = await crashedDaemon();
    expect(fs.lstatSync(sb.socketPath).isSocket()).toBe(true);
    const report = await sweepOf();
    expect(report.ok).toBe(true);
    expect(report.processes).toEqual([]);
    expect(fileReport(report, sb.socketPath)).toMatchObject({ action: 'removed', reason: 'stale socket' });
    expect(fileReport(report, sb.pidFile)).toMatchObject({ action: 'removed', reason: `stale: names pid ${daemon.pid}, which is not running` });
    expect(fs.readdirSync(sb.stateDir)).toEqual([]);
  });

  it('keeps a socket that a live process other than a swept daemon listens on', async () => {
    fs.mkdirSync(sb.stateDir, { recursive: true });
    const connections = new Set<net.Socket>();
    const server = net.createServer((connection) => {
      connections.add(connection);
      connection.on('error', () => {}); // the sweep's probe connects and hangs up at once
      connection.end('{"jsonrpc":"2.0","id":1,"result":{}}\n');
    });
    await new Promise<void>((resolve) => server.listen(sb.socketPath, resolve));
    try {
      const report = await sweepOf();
      expect(report.ok).toBe(false);
      expect(fileReport(report, sb.socketPath)).toMatchObject({ action: 'skipped', reason: expect.stringContaining('live process that is not a swept daemon') });
      await expect(socketRpc(sb.socketPath, [{ jsonrpc: '2.0', id: 1, method: 'ping' }])).resolves.toHaveLength(1);
    } finally {
      for (const connection of connections) connection.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('removes a symlink as a link, leaving its target', async () => {
    fs.mkdirSync(sb.stateDir, { recursive: true });
    const precious = path.join(sb.root, 'precious.sock.txt');
    fs.writeFileSync(precious, 'keep me');
    fs.symlinkSync(precious, sb.socketPath);
    const report = await sweepOf();
    expect(fileReport(report, sb.socketPath)).toMatchObject({ action: 'removed' });
    expect(fs.existsSync(sb.socketPath)).toBe(false);
    expect(fs.readFileSync(precious, 'utf8')).toBe('keep me');
  });

  it('never removes a directory, even one named like the socket', async () => {
    fs.mkdirSync(path.join(sb.socketPath, 'inside'), { recursive: true });
    const report = await sweepOf();
    expect(report.ok).toBe(false);
    expect(fileReport(report, sb.socketPath)).toMatchObject({ action: 'skipped', reason: expect.stringContaining('is a directory') });
    expect(fs.existsSync(path.join(sb.socketPath, 'inside'))).toBe(true);
  });

  itNeeds([needs.root], "skips another user's file", async () => {
    fs.mkdirSync(sb.stateDir, { recursive: true });
    fs.writeFileSync(sb.pidFile, 'garbage');
    fs.chownSync(sb.pidFile, 12345, 12345);
    const report = await sweepOf();
    expect(report.ok).toBe(false);
    expect(fileReport(report, sb.pidFile)).toMatchObject({ action: 'skipped', reason: expect.stringContaining('owned by uid 12345') });
    expect(fs.existsSync(sb.pidFile)).toBe(true);
  });

  it('takes a missing state directory as nothing to do and does not create it', async () => {
    const report = await sweepOf();
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => f.action)).toEqual(['absent', 'absent']);
    expect(fs.existsSync(sb.stateDir)).toBe(false);
  });

  it("removes the --socket-path of a daemon it killed, resolving a relative one against the daemon's cwd", async () => {
    const absolute = path.join(sb.root, 'uc003.sock');
    const first = await sb.start({ args: ['daemon', '--socket-path', absolute], env: { FAKE_MCP_IGNORE_TERM: '1' } });
    const relative = sb.spawnRaw(['daemon', '--foreground', '--socket-path=rel.sock'], { FAKE_MCP_IGNORE_TERM: '1' }, {
      cwd: sb.root,
      detached: true,
      stdio: 'ignore',
    });
    await waitFor(() => fs.existsSync(path.join(sb.root, 'rel.sock')), { message: 'the relative socket' });

    const report = await sweepOf({ graceMs: 50 });
    expect(report.processes.map((p) => p.action).sort()).toEqual(['killed', 'killed']);
    expect(fileReport(report, absolute)).toMatchObject({ action: 'removed', reason: `--socket-path of daemon ${first.pid}` });
    expect(fileReport(report, path.join(sb.root, 'rel.sock'))).toMatchObject({ action: 'removed', reason: `--socket-path of daemon ${relative.pid}` });
    expect(fs.existsSync(absolute)).toBe(false);
  });

  it("leaves a daemon's --socket-path alone when it is not a socket", async () => {
    const notASocket = path.join(sb.root, 'notes.txt');
    fs.writeFileSync(notASocket, 'not a socket');
    await sb.start({ args: ['daemon', '--socket-path', notASocket], env: { FAKE_MCP_NO_SOCKET: '1' } });
    const report = await sweepOf();
    expect(fileReport(report, notASocket)).toMatchObject({ action: 'skipped', reason: expect.stringContaining('is a file, not a socket') });
    expect(fs.readFileSync(notASocket, 'utf8')).toBe('not a socket');
  });
});

describe('dry run', () => {
  it('changes nothing and reports what would happen', async () => {
    const daemon = await sb.start({ env: { FAKE_MCP_CHILDREN: '1' } });
    const report = await sweepOf({ dryRun: true });
    expect(report).toMatchObject({ ok: true, dryRun: true });
    expect(typeof report.durationMs).toBe('number');
    expect(report.processes).toEqual([
      expect.objectContaining({ pid: daemon.pid, action: 'would-kill', reason: `leftover \`${sb.name} daemon\`` }),
      expect.objectContaining({ pid: daemon.children[0], action: 'would-kill', parentDaemon: daemon.pid }),
    ]);
    expect(report.processes.every((p) => p.signal === undefined)).toBe(true);
    expect(fileReport(report, sb.socketPath)).toMatchObject({ action: 'would-remove', reason: 'stale socket; its listener is a daemon above' });
    expect(fileReport(report, sb.pidFile)).toMatchObject({ action: 'would-remove', reason: `names daemon ${daemon.pid}, stopped by this sweep` });
    expect(isAlive(daemon.pid)).toBe(true);
    expect(isAlive(daemon.children[0]!)).toBe(true);
    expect(fs.existsSync(sb.socketPath) && fs.existsSync(sb.pidFile)).toBe(true);
  });
});
