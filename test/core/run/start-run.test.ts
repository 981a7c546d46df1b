// A runner's global setup and teardown in two calls: startRun() and run.end().
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNER_ENV, RUN_ENV, startRun } from '../../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive } from '../../helpers/wait.js';

let sb: Sandbox;
const savedEnv = { run: process.env[RUN_ENV], owner: process.env[OWNER_ENV] };
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  await sb.cleanup();
  expect(process.env[RUN_ENV]).toBe(savedEnv.run);
  expect(process.env[OWNER_ENV]).toBe(savedEnv.owner);
});

const socket = (name: string) => ['daemon', '--socket-path', path.join(sb.root, `${name}.sock`)];

describe('startRun', () => {
  it('sweeps earlier leftovers, tags the run, and at the end stops only what the run left', async () => {
    const leftover = await sb.start({ args: socket('earlier') });
    const run = await startRun({ names: [sb.name], dir: sb.stateDir });
    try {
      sb.track(run.watchdog!.pid);
      expect(run.before.processes).toEqual([expect.objectContaining({ pid: leftover.pid, action: 'terminated' })]);
      expect(run.runId).toMatch(/^run-[0-9a-f]{12}$/);
      expect(process.env[RUN_ENV]).toBe(run.runId);
      expect(process.env[OWNER_ENV]).toBe(run.runId);

      // Started during the run, it inherits the run's tag from the environment.
      const ours = await sb.start({ args: socket('ours') });
      const neighbours = await sb.start({ args: socket('theirs'), env: { [OWNER_ENV]: 'another-run' } });
      const after = await run.end();
      expect(after.processes).toEqual([expect.objectContaining({ pid: ours.pid, action: 'terminated' })]);
      expect(isAlive(neighbours.pid)).toBe(true);
      expect(isAlive(run.watchdog!.pid)).toBe(false);
      await expect(run.end()).resolves.toBe(after);
    } finally {
      await run.end();
    }
  });

  it('inside another run, gets an id of its own and keeps the other run\'s daemons; can go without a watchdog', async () => {
    const outer = await startRun({ names: [sb.name], dir: sb.stateDir, watchdog: false });
    try {
      const outers = await sb.start({ args: socket('outer') }); // tagged with the outer run
      const inner = await startRun({ names: [sb.name], dir: sb.stateDir, watchdog: false });
      expect(inner.runId).not.toBe(outer.runId);
      expect(inner.watchdog).toBeUndefined();
      expect(process.env[RUN_ENV]).toBe(inner.runId);
      expect(inner.before.processes).toEqual([
        expect.objectContaining({ pid: outers.pid, action: 'kept', liveRun: expect.objectContaining({ runId: outer.runId, pid: process.pid }) }),
      ]);
      expect(isAlive(outers.pid)).toBe(true);
      await inner.end();
      expect(process.env[RUN_ENV]).toBe(outer.runId);
      expect(isAlive(outers.pid)).toBe(true);
    } finally {
      await outer.end();
    }
  });
});
