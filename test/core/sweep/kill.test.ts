// Behaviour 4: graceful first, forced after the grace period, verified both times.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep, type ProcessInfo, type ProcessSource } from '../../../packages/core/src/index.js';
import { createLinuxSource } from '../../../packages/core/src/processes/linux-proc.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

const sweepOf = (extra = {}) => sweep({ names: [sb.name], dir: sb.stateDir, ...extra });

/** The real /proc source plus one process that exists only in the listing (a ghost). */
/** A process only the source sees; `stuckIn` keeps it alive after SIGKILL in that state (D on Linux, U on macOS). */
function withGhost(ghost: Partial<ProcessInfo> & { pid: number }, stuckIn?: 'D' | 'U'): ProcessSource {
  const real = createLinuxSource();
  const info: ProcessInfo = {
    ppid: 1,
    pgid: ghost.pid,
    sid: ghost.pid,
    name: sb.name,
    argv: [sb.bin, 'daemon'],
    state: 'S',
    startKey: 'ghost',
    startedAt: Date.now(),
    ...ghost,
  };
  return {
    ...real,
    find: async (filter) => [...(await real.find(filter)), ...(filter(info.name) ? [info] : [])],
    list: async (wantsArgv) => [...(await real.list(wantsArgv)), info],
    probe: async (pids) => {
      const found = await real.probe(pids.filter((pid) => pid !== info.pid));
      if (stuckIn && pids.includes(info.pid)) found.set(info.pid, { ...info, state: stuckIn });
      return found;
    },
    readUid: async (pid) => (pid === info.pid ? process.getuid!() : real.readUid(pid)),
  };
}

/** A pid no process has right now: signals to it fail with ESRCH. */
async function freePid(): Promise<number> {
  const { existsSync } = await import('node:fs');
  for (let pid = 32000; pid > 300; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
}

describe('stopping', () => {
  it('kills a daemon and children that ignore SIGTERM, including a child in its own group', async () => {
    const daemon = await sb.start({
      env: { FAKE_MCP_IGNORE_TERM: '1', FAKE_MCP_CHILDREN: '2', FAKE_MCP_CHILD_IGNORE_TERM: '1', FAKE_MCP_DETACHED_CHILD: '1' },
    });
    expect(daemon.children).toHaveLength(3);
    const report = await sweepOf({ graceMs: 150 });
    expect(report.ok).toBe(true);
    const byPid = new Map(report.processes.map((p) => [p.pid, p]));
    expect(byPid.get(daemon.pid)).toMatchObject({ action: 'killed', signal: 'SIGKILL', reason: expect.stringContaining('ignored SIGTERM for 150 ms') });
    for (const child of daemon.children) {
      expect(byPid.get(child)).toMatchObject({ parentDaemon: daemon.pid });
      expect(isAlive(child)).toBe(false);
    }
    expect(isAlive(daemon.pid)).toBe(false);
  });

  it('waits for every thread of a killed daemon, so its socket is free when files are checked', async () => {
    // Regression: a SIGKILLed node process shows Z while its other threads still hold the socket.
    for (let round = 0; round < 5; round++) {
      const daemon = await sb.start({ env: { FAKE_MCP_IGNORE_TERM: '1' } });
      const report = await sweepOf({ graceMs: 0 });
      expect(report.processes).toEqual([expect.objectContaining({ pid: daemon.pid, action: 'killed' })]);
      expect(report.files.find((f) => f.path === sb.socketPath)).toMatchObject({ action: 'removed' });
      expect(report.ok).toBe(true);
    }
  });

  it('does not wait out the grace period when the daemon exits at once', async () => {
    const daemon = await sb.start();
    // With a grace period longer than the test timeout, only polling for the exit can pass.
    const report = await sweepOf({ graceMs: 600_000 });
    expect(report.processes).toEqual([expect.objectContaining({ pid: daemon.pid, action: 'terminated', signal: 'SIGTERM' })]);
  });

  it.each(['D', 'U'] as const)('reports a process that outlives SIGKILL in state %s as survived, and the sweep as not ok', async (state) => {
    const pid = await freePid();
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, graceMs: 20, killWaitMs: 50, source: withGhost({ pid }, state) });
    expect(report.ok).toBe(false);
    expect(report.processes).toEqual([
      expect.objectContaining({ pid, action: 'survived', signal: 'SIGKILL', reason: expect.stringContaining(`uninterruptible sleep (state ${state})`) }),
    ]);
  });

  it('takes a process that vanished between the scan and the signal as gone', async () => {
    const pid = await freePid();
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, source: withGhost({ pid }) });
    expect(report.ok).toBe(true);
    expect(report.processes).toEqual([
      expect.objectContaining({ pid, action: 'terminated', reason: expect.stringContaining('exited on its own before it was signalled') }),
    ]);
    expect(report.processes[0]).not.toHaveProperty('signal');
  });
});
