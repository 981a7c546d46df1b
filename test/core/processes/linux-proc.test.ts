// The /proc source, on real processes.
import { spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { createLinuxSource } from '../../../packages/core/src/processes/linux-proc.js';
import { isDead, type ProcessInfo } from '../../../packages/core/src/processes/process-info.js';
import { withoutExiting } from '../../../packages/core/src/processes/without-exiting.js';
import { waitFor } from '../../helpers/wait.js';
import { describeNeeds, needs } from '../../helpers/needs.js';

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function sleeper() {
  const child = spawn('sleep', ['600'], { stdio: 'ignore', cwd: '/tmp' });
  started.push(child.pid!);
  return child;
}

describeNeeds([needs.proc], 'the /proc source', () => {
  it('finds only processes whose kernel name passes, with full facts and command line', async () => {
    const child = sleeper();
    const source = createLinuxSource();
    const found = await source.find((name) => name === 'sleep');
    expect(found.every((p) => p.name === 'sleep')).toBe(true);
    expect(found.find((p) => p.pid === child.pid)).toMatchObject({
      ppid: process.pid,
      argv: ['sleep', '600'],
      state: expect.stringMatching(/^[RS]$/),
      threads: 1,
    });
    expect(await source.readUid(child.pid!)).toBe(process.getuid!());
    expect(await source.readCwd(child.pid!)).toBe('/tmp');
  });

  it('lists every process, reading command lines only where asked', async () => {
    const child = sleeper();
    const source = createLinuxSource();
    const all = await source.list(() => false);
    const self = all.find((p) => p.pid === process.pid);
    expect(self).toMatchObject({ ppid: process.ppid, argv: [] });
    expect(self!.threads).toBeGreaterThan(1); // node runs worker threads
    expect(all.find((p) => p.pid === child.pid)).toMatchObject({ name: 'sleep', argv: [] });
    const withArgv = await source.list((name) => name === 'sleep');
    expect(withArgv.find((p) => p.pid === child.pid)?.argv).toEqual(['sleep', '600']);
  });

  it('probes liveness: a reaped process is absent, and a start key tells a reused pid apart', async () => {
    const child = sleeper();
    const source = createLinuxSource();
    const before = (await source.probe([child.pid!])).get(child.pid!);
    expect(isDead(before)).toBe(false);
    expect(before?.startKey).toMatch(/^\d+$/);
    expect(Math.abs(before!.startedAt - Date.now())).toBeLessThan(60_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve)); // node reaps its own child
    await waitFor(async () => !(await source.probe([child.pid!])).has(child.pid!), { message: 'the pid to vanish' });
  });
  it('tells a node process on its way out (a zombie leader whose threads exit too) from a live match', async () => {
    // Node's main thread ends first: for a few ms the leader is Z with its other threads still
    // exiting, its command line empty. Such a process must not pass for a live match. Most catches
    // show the threads exiting at once (groupExiting); a thread caught between taking its SIGKILL and
    // marking itself exiting does not, and the second look a moment later settles it.
    const source = createLinuxSource();
    const caught: ProcessInfo[] = [];
    for (let round = 0; round < 20 && caught.length < 3; round++) {
      const child = spawn(process.execPath, ['-e', round % 2 ? 'process.exit(0)' : 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      started.push(child.pid!);
      if (round % 2 === 0) setTimeout(() => child.kill('SIGTERM'), 50);
      for (;;) {
        const info = (await source.probe([child.pid!])).get(child.pid!);
        if (info === undefined || isDead(info)) break;
        if (info.state === 'Z' && (info.threads ?? 1) > 1) {
          caught.push(info);
          break;
        }
        await new Promise((resolve) => setImmediate(resolve)); // let the kill timer and the exit event run
      }
      await exited;
    }
    expect(caught.length, 'no exiting node process was caught as a zombie leader with threads').toBeGreaterThan(0);
    expect(caught.every((info) => info.groupExiting !== undefined)).toBe(true);
    for (const info of caught) expect(await withoutExiting([info], source), `pid ${info.pid}, groupExiting ${info.groupExiting}`).toEqual([]);
  });
});
