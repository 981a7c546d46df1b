// @mcp-reaper/playwright-fixture in a CommonJS sample project, run by the real Playwright CLI:
// the global sweep, mcpDaemon, the three onLeak modes, bad options and a SIGKILLed run.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hangSpec, invalidSpec, leakSpec, lifecycleSpec } from './sample-tests.js';
import { createPwProject, finishProject, isAlive, plantLeftovers, waitUntil, type PwProject } from './support.js';

let project: PwProject;

beforeAll(async () => {
  project = await createPwProject({
    name: 'pw-fixture',
    files: {
      'tests/lifecycle.spec.ts': lifecycleSpec,
      'tests/leak.spec.ts': leakSpec,
      'tests/invalid.spec.ts': invalidSpec,
      'tests/hang.spec.ts': hangSpec,
    },
  });
}, 300_000);

afterAll(() => {
  expect(finishProject(project)).toEqual([]);
});

const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

describe('@mcp-reaper/playwright-fixture (CommonJS project, README config verbatim)', () => {
  it('sweeps planted leftovers before the first test, and gives a test its own ready daemon, stopped after', async () => {
    const planted = await plantLeftovers(project);
    expect(isAlive(planted.pid)).toBe(true);

    const result = await project.run('npx', ['playwright', 'test', 'tests/lifecycle.spec.ts', '--workers=1'], {
      env: { PLANTED: JSON.stringify(planted) },
    });
    expect(result.code, output(result)).toBe(0);
    expect(result.stdout).toMatch(/4 passed/);

    const { first, ready, 'worker-1': worker1, 'worker-2': worker2 } = project.readResults();
    expect(first?.seen).toEqual({ plantedAlive: false, socket: false, pidFile: false, staleSocket: false });
    expect(first?.owner).toMatch(/^run-[0-9a-f]{12}\/w0\/[^/]+$/);

    const pid = ready?.pid as number;
    expect(ready).toMatchObject({ alive: true, reply: { id: 7 } });
    expect(ready?.socketPath).toBe(path.join(project.stateDir, 'mcp-w0.sock'));
    // The daemon carries the test's tag, which the test saw in its own environment.
    expect(ready?.environ).toContain(`MCP_REAPER_OWNER=${ready?.owner as string}`);
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(ready?.socketPath as string)).toBe(false);
    // The worker's daemon: one for both tests, on a socket of its own, gone with the worker.
    expect(worker1).toMatchObject({ alive: true, reply: { id: 7 }, socketPath: path.join(project.stateDir, 'mcp-w0-worker.sock') });
    expect(worker2?.pid).toBe(worker1?.pid);
    expect(isAlive(worker1?.pid as number)).toBe(false);
    expect(fs.existsSync(worker1?.socketPath as string)).toBe(false);
    expect(project.daemons()).toEqual([]);
  }, 60_000);

  it.each(['warn', 'fail', 'kill'] as const)('onLeak %s: stops the leaked daemon and says so as asked', async (mode) => {
    const result = await project.run('npx', ['playwright', 'test', 'tests/leak.spec.ts'], { env: { LEAK_MODE: mode } });
    const text = output(result);
    const leaked = project.readResults()[`leak-${mode}`]?.pid as number;
    expect(leaked, text).toBeGreaterThan(0);
    expect(isAlive(leaked)).toBe(false);
    expect(project.daemons()).toEqual([]);

    const named = new RegExp(`test "leaks a daemon" \\(leak\\.spec\\.ts:\\d+\\) left a daemon running[\\s\\S]*pid ${leaked}:`);
    if (mode === 'fail') {
      expect(result.code, text).toBe(1);
      expect(text).toMatch(/1 failed/);
      expect(text).toMatch(named);
    } else {
      expect(result.code, text).toBe(0);
      expect(text).toMatch(/1 passed/);
      if (mode === 'warn') expect(text).toMatch(named);
      else expect(text).not.toContain(String(leaked));
    }
  }, 60_000);

  it('fails with a message that names test.use({ mcpReaper }) and the bad value', async () => {
    const result = await project.run('npx', ['playwright', 'test', 'tests/invalid.spec.ts']);
    const text = output(result);
    expect(result.code, text).toBe(1);
    expect(text).toContain('Invalid test.use({ mcpReaper })');
    expect(text).toContain('"onLeak" must be one of "warn", "fail", "kill", got "explode" (string)');
    expect(project.readResults().invalid).toBeUndefined();
  }, 60_000);

  it('a run SIGKILLed with its whole process group leaves nothing behind (the watchdog)', async () => {
    const runner = project.start('npx', ['playwright', 'test', 'tests/hang.spec.ts']);
    const exited = new Promise((resolve) => runner.once('exit', resolve));
    try {
      const hang = await waitUntil(() => project.readResults().hang, 60_000, 'the hanging test');
      const pids = [hang.daemon as number, hang.leaked as number];
      expect(pids.every(isAlive)).toBe(true);

      process.kill(-runner.pid!, 'SIGKILL');
      const killedAt = Date.now();
      await waitUntil(() => !pids.some(isAlive) && project.daemons().length === 0, 5_000, `daemons ${pids.join(', ')} to be swept`);
      const sweptMs = Date.now() - killedAt;
      // The watchdog itself ends after its sweep: nothing of the project is left running.
      await waitUntil(() => project.anything().length === 0, 5_000, 'every process of the project to end');
      console.info(`SIGKILLed run: daemons swept ${sweptMs} ms after the kill`);
      expect(sweptMs).toBeLessThan(2_000);
    } finally {
      try {
        process.kill(-runner.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    }
  }, 90_000);
});
