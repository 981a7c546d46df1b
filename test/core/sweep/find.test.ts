// Behaviour 1: which processes are leftovers. Real processes, decoys included.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, waitFor } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

const sweepOf = (sandbox: Sandbox, extra = {}) => sweep({ names: [sandbox.name], dir: sandbox.stateDir, ...extra });

describe('finding leftovers', () => {
  it('stops a forked daemon and all its children, and touches none of the decoys', async () => {
    const daemon = await sb.start({ env: { FAKE_MCP_CHILDREN: '2' } });
    expect(daemon.launcher.pid).not.toBe(daemon.pid); // the launcher forked and exited
    fs.writeFileSync(path.join(sb.root, `${sb.name}.log`), 'log\n');
    // A longer name whose kernel name is cut to 15 characters (`mcpt-xxxxxx-hel`): a wrapper copy.
    const helperBin = path.join(sb.binDir, `${sb.name}-helper`);
    fs.copyFileSync(sb.bin, helperBin);
    const decoys = [
      sb.spawnRaw(['-f', path.join(sb.root, `${sb.name}.log`)], {}, { command: 'tail' }),
      sb.spawnRaw([sb.name], {}, { command: 'grep' }), // waits on its stdin pipe
      // Waits with a builtin (no child to outlive the sandbox's cleanup) and mentions the name.
      sb.spawnRaw(['-c', `read -t 600 _; echo ${sb.bin} daemon`], {}, { command: 'bash' }),
      sb.spawnRaw(['daemon', '--foreground', '--socket-path', path.join(sb.root, 'helper.sock')], { FAKE_MCP_STAY: '1' }, {
        command: helperBin,
      }),
    ];

    const report = await sweepOf(sb);

    expect(report.ok).toBe(true);
    const byPid = new Map(report.processes.map((p) => [p.pid, p]));
    expect(byPid.get(daemon.pid)).toMatchObject({ action: 'terminated', signal: 'SIGTERM' });
    for (const child of daemon.children) {
      expect(byPid.get(child)).toMatchObject({ parentDaemon: daemon.pid });
      expect(['terminated', 'killed']).toContain(byPid.get(child)?.action);
    }
    expect(report.processes).toHaveLength(1 + daemon.children.length);
    for (const pid of [daemon.pid, ...daemon.children]) expect(isAlive(pid)).toBe(false);
    for (const decoy of decoys) {
      expect(byPid.has(decoy.pid)).toBe(false);
      expect(isAlive(decoy.pid)).toBe(true);
    }
  });

  it('stops helpers of the same binary with their daemon, reporting each process once', async () => {
    const daemon = await sb.start({ env: { FAKE_MCP_CHILDREN: '2', FAKE_MCP_CHILD_SAME_BINARY: '1' } });
    const report = await sweepOf(sb);
    expect(report.ok).toBe(true);
    expect(report.processes.map((p) => p.pid).sort()).toEqual([daemon.pid, ...daemon.children].sort());
    for (const child of daemon.children) {
      expect(report.processes.find((p) => p.pid === child)).toMatchObject({
        action: 'terminated',
        parentDaemon: daemon.pid,
        command: expect.stringMatching(/ worker$/),
      });
    }
  });

  it('matches a daemon run as `node <script> daemon` through argv[1]', async () => {
    const viaNode = sb.spawnRaw([sb.bin, 'daemon', '--foreground'], {}, {
      command: process.execPath,
      stdio: 'ignore',
      detached: true, // a leftover from an earlier run is not in the sweeper's process group
    });
    await waitFor(() => fs.existsSync(sb.socketPath), { message: 'the daemon to listen' });
    const report = await sweepOf(sb);
    expect(report.processes).toEqual([
      expect.objectContaining({ pid: viaNode.pid, action: 'terminated', command: `${process.execPath} ${sb.bin} daemon --foreground` }),
    ]);
  });

  it('keeps a `serve` whose client is alive, and says why', async () => {
    const serve = sb.spawnRaw(['serve']);
    await waitFor(() => serve.stderr().includes('serve') || isAlive(serve.pid), { message: 'serve to start' });
    const report = await sweepOf(sb);
    expect(report.ok).toBe(true);
    expect(report.processes).toEqual([
      expect.objectContaining({ pid: serve.pid, action: 'kept', reason: expect.stringContaining(`live parent ${process.pid}`) }),
    ]);
    expect(isAlive(serve.pid)).toBe(true);
  });

  it('stops an orphaned `serve` whose client is gone', async () => {
    // A shell starts `serve` in the background and exits: serve is re-parented to init.
    const shell = spawn('sh', ['-c', `FAKE_MCP_STAY=1 "${sb.bin}" serve </dev/null >/dev/null 2>&1 & echo $!`], {
      env: { ...process.env, XDG_DATA_HOME: sb.dataHome },
      detached: true,
    });
    let out = '';
    shell.stdout.on('data', (chunk) => (out += chunk));
    await new Promise((resolve) => shell.on('close', resolve));
    const pid = Number(out.trim());
    sb.track(pid);
    await waitFor(() => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === sb.name, { message: 'serve to exec' });

    const report = await sweepOf(sb);
    expect(report.processes).toEqual([
      expect.objectContaining({ pid, action: 'terminated', reason: expect.stringContaining(`orphaned \`${sb.name} serve\``) }),
    ]);
    expect(isAlive(pid)).toBe(false);
  });

  it('finds a daemon whose pid file is missing', async () => {
    const daemon = await sb.start();
    fs.rmSync(sb.pidFile);
    const report = await sweepOf(sb);
    expect(report.processes.map((p) => [p.pid, p.action])).toEqual([[daemon.pid, 'terminated']]);
    expect(report.files.find((f) => f.path === sb.pidFile)).toMatchObject({ action: 'absent' });
  });
});
