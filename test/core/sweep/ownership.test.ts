// Ownership: scoped sweeps act only on their owner's daemons (or a process's descendants), so
// parallel workers never kill each other's.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks, OWNER_ENV, sweep } from '../../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, readStat, waitFor } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

/** A worker's daemon: its own socket, tagged with its owner. */
const startOwned = (owner: string, extra: Record<string, string> = {}) =>
  sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, `${owner.replaceAll('/', '-')}-${Math.random()}.sock`)], env: { [OWNER_ENV]: owner, ...extra } });

describe('scoped sweeps', () => {
  it('stop only their owner’s daemons, and say nothing of the others', async () => {
    const mine = await startOwned('run-1/w1/t1', { FAKE_MCP_CHILDREN: '1' });
    const theirs = await startOwned('run-1/w2/t1');
    const untagged = await sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, 'untagged.sock')] });

    const report = await sweep({ names: [sb.name], dir: sb.stateDir, owner: 'run-1/w1' });
    expect(report.ok).toBe(true);
    expect(report.processes.map((p) => p.pid).sort()).toEqual([mine.pid, ...mine.children].sort());
    expect(report.processes.find((p) => p.pid === mine.pid)?.reason).toContain('owned by run-1/w1/t1');
    expect(isAlive(mine.pid)).toBe(false);
    expect(isAlive(theirs.pid)).toBe(true);
    expect(isAlive(untagged.pid)).toBe(true);
    // The shared pid file names a live daemon of another owner: not stale, not a problem.
    expect(report.files.find((f) => f.path === sb.pidFile)?.action).toMatch(/^(kept|absent)$/);
  });

  it('cover every tag below the owner: a run-wide scope takes all its workers', async () => {
    const w1 = await startOwned('run-2/w1');
    const w2 = await startOwned('run-2/w2/test-9');
    const otherRun = await startOwned('run-20/w1'); // a prefix as text, but not below run-2
    const leaks = await findLeaks({ names: [sb.name], dir: sb.stateDir, owner: 'run-2' });
    expect(leaks.map((p) => p.pid).sort()).toEqual([w1.pid, w2.pid].sort());
    expect(isAlive(w1.pid) && isAlive(w2.pid) && isAlive(otherRun.pid)).toBe(true); // findLeaks stops nothing
  });

  it('take a serve their owner started even while its parent lives', async () => {
    const serve = sb.spawnRaw(['serve'], { [OWNER_ENV]: 'run-3/w1' }, { detached: true });
    await waitFor(() => readStat(serve.pid)?.comm === sb.name, { message: 'serve to exec' });
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, owner: 'run-3' });
    expect(report.processes).toEqual([expect.objectContaining({ pid: serve.pid, action: 'terminated' })]);
  });

  it('can be scoped to the descendants of one process instead', async () => {
    // A shell that starts a foreground daemon in the background and waits: the daemon descends from it.
    const ready = path.join(sb.root, 'ready.json');
    const shell = sb.spawnRaw(['-c', `"${sb.bin}" daemon --foreground --socket-path "${sb.root}/d.sock" & wait`], { FAKE_MCP_READY_FILE: ready }, {
      command: 'sh',
      detached: true,
      stdio: 'ignore',
    });
    const other = await startOwned('someone-else');
    await waitFor(() => fs.existsSync(ready), { message: 'the daemon under the shell to be ready' });
    const { pid } = JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number };

    const report = await sweep({ names: [sb.name], dir: sb.stateDir, descendantsOf: shell.pid });
    expect(report.processes).toEqual([expect.objectContaining({ pid, action: 'terminated', reason: expect.stringContaining(`descends from ${shell.pid}`) })]);
    expect(isAlive(other.pid)).toBe(true);
  });

  it('never kill a neighbour’s daemon over many rounds of two workers side by side', async () => {
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      const [a, b] = await Promise.all([startOwned(`run-4/a/${round}`), startOwned(`run-4/b/${round}`)]);
      // Both workers sweep their own scope at the same moment, while the neighbour's daemon runs.
      const [ra, rb] = await Promise.all([
        sweep({ names: [sb.name], dir: sb.stateDir, owner: 'run-4/a' }),
        sweep({ names: [sb.name], dir: sb.stateDir, owner: 'run-4/b' }),
      ]);
      expect(ra.processes.map((p) => p.pid)).toEqual([a.pid]);
      expect(rb.processes.map((p) => p.pid)).toEqual([b.pid]);
      expect(ra.ok && rb.ok).toBe(true);
      expect(isAlive(a.pid) || isAlive(b.pid)).toBe(false);
    }
  });

  it('refuse a tag with spaces, and findLeaks without a scope', async () => {
    await expect(sweep({ owner: 'run 1' })).rejects.toThrow(/"owner" must be a tag without spaces/);
    await expect(findLeaks({ names: [sb.name] })).rejects.toThrow(/needs "owner" or "descendantsOf"/);
  });
});
