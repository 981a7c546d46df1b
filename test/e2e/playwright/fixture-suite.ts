// @mcp-reaper/playwright-fixture in a CommonJS sample project, run by the real Playwright CLI of the
// version a test file asks for: the global sweep, mcpDaemon, the three onLeak modes, bad options, a
// run SIGKILLed and a run interrupted with Ctrl-C (SIGINT), once and twice. fixture.test.ts runs every
// scenario against the current Playwright; playwright-1.40.test.ts a subset against the oldest of the
// peer range.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hangSpec, interruptSpecs, invalidSpec, leakSpec, lifecycleSpec } from './sample-tests.js';
import { groupMembers, isAlive, waitFor } from '../../helpers/wait.js';
import { plantLeftovers } from '../helpers/leftovers.js';
import { argvOf, createPwProject, finishProject, type PwProject } from './support.js';

export type Scenario = 'lifecycle' | 'leak-warn' | 'leak-fail' | 'leak-kill' | 'invalid' | 'sigkill' | 'sigint' | 'sigint-twice';

export interface FixtureSuiteOptions {
  /** The `@playwright/test` to install: an exact version, or a caret range (`^1.65`). */
  playwright: string;
  /** The scenarios to run. Default: all. */
  scenarios?: readonly Scenario[];
}

const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

/** Whether an installed version is the one asked for: the exact version, or within `^M.m`. */
function isVersionAsked(installed: string, asked: string): boolean {
  if (/^\d+\.\d+\.\d+$/.test(asked)) return installed === asked;
  const [major, minor] = (/^\^(\d+)\.(\d+)/.exec(asked) ?? []).slice(1).map(Number);
  const [iMajor, iMinor] = installed.split('.').map(Number);
  return major !== undefined && minor !== undefined && iMajor === major && (iMinor ?? -1) >= minor;
}

export function fixtureSuite(options: FixtureSuiteOptions): void {
  const { playwright } = options;
  // A scenario the leg leaves out is not registered at all (not reported as skipped).
  const scenario = (name: Scenario, title: string, fn: () => Promise<void>, timeoutMs: number) => {
    if (options.scenarios === undefined || options.scenarios.includes(name)) it(title, fn, timeoutMs);
  };
  let project: PwProject;
  let version = '';

  beforeAll(async () => {
    project = await createPwProject({
      name: `pw-fixture-${playwright.replace(/\W+/g, '')}`,
      playwright,
      files: {
        'tests/lifecycle.spec.ts': lifecycleSpec,
        'tests/leak.spec.ts': leakSpec,
        'tests/invalid.spec.ts': invalidSpec,
        'tests/hang.spec.ts': hangSpec,
        ...interruptSpecs,
      },
    });
    // The leg proves nothing unless npm installed the Playwright it is about.
    version = project.playwrightVersion();
    expect(isVersionAsked(version, playwright), `installed @playwright/test ${version} for ${playwright}`).toBe(true);
  }, 300_000);

  afterAll(() => {
    expect(finishProject(project)).toEqual([]);
  });

  /** Everything of the project still there: its processes (daemons, watchdog, runner, workers), the runner's group, sockets and pid files. */
  function leftovers(runnerGroup: number): string[] {
    const pids = new Set([...project.anything(), ...groupMembers(runnerGroup)]);
    return [...[...pids].map((pid) => `${pid} ${argvOf(pid).join(' ')}`), ...project.leftFiles()];
  }
  const watchdogs = () => project.anything().filter((pid) => argvOf(pid).some((arg) => arg.endsWith('/@mcp-reaper/core/bin/watchdog.js')));
  const exitOf = (child: ReturnType<PwProject['start']>) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  /** A scenario's finally: SIGKILLs what is left of the runner's process group, and waits for the runner's end. */
  async function killRun(runner: ReturnType<PwProject['start']>, exited: Promise<unknown>): Promise<void> {
    try {
      process.kill(-runner.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
  /**
   * The records of an interrupt run's two tests, once both have started: the one holding its daemon
   * (`held`, results/<held>.json) and interrupt-leak's, each in its own worker.
   */
  async function heldAndLeaking(runner: ReturnType<PwProject['start']>, held: string) {
    const holding = await waitFor(() => project.readResults()[held], { timeoutMs: 60_000, message: () => `the test holding its mcpDaemon; output:\n${runner.output()}` });
    const leaking = await waitFor(() => project.readResults()['interrupt-leak'], { timeoutMs: 60_000, message: () => `the leaking test; output:\n${runner.output()}` });
    expect(holding.worker, 'the two tests run in two workers').not.toBe(leaking.worker);
    return { held: holding, leaking };
  }
  const leakWarning = (pid: number) =>
    new RegExp(`test "is leaking a daemon when the run is interrupted" \\(interrupt-leak\\.spec\\.ts:\\d+\\) left a daemon running[\\s\\S]*pid ${pid} terminated:`);

  describe(`@mcp-reaper/playwright-fixture under Playwright ${playwright} (CommonJS project, README config verbatim)`, () => {
    scenario('lifecycle', 'sweeps planted leftovers before the first test, and gives a test its own ready daemon, stopped after', async () => {
      const planted = await plantLeftovers({ bin: project.bin, root: project.dir, stateDir: project.stateDir });
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
      // Nothing at all: no watchdog, no socket or pid file (the planted ones included).
      await waitFor(() => project.anything().length === 0, { timeoutMs: 2_000, message: () => `nothing of the project running: ${project.anything().join(', ')}` });
      expect(project.leftFiles()).toEqual([]);
    }, 60_000);

    for (const mode of ['warn', 'fail', 'kill'] as const) scenario(`leak-${mode}`, `onLeak ${mode}: stops the leaked daemon and says so as asked`, async () => {
      const result = await project.run('npx', ['playwright', 'test', 'tests/leak.spec.ts'], { env: { LEAK_MODE: mode } });
      const text = output(result);
      const leaked = project.readResults()[`leak-${mode}`]?.pid as number;
      expect(leaked, text).toBeGreaterThan(0);
      expect(isAlive(leaked)).toBe(false);
      expect(project.daemons()).toEqual([]);

      const named = new RegExp(`test "leaks a daemon" \\(leak\\.spec\\.ts:\\d+\\) left a daemon running[\\s\\S]*pid ${leaked} terminated:`);
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
      await waitFor(() => project.anything().length === 0, { timeoutMs: 2_000, message: () => `nothing of the project running: ${project.anything().join(', ')}` });
      expect(project.leftFiles()).toEqual([]);
    }, 60_000);

    scenario('invalid', 'fails with a message that names test.use({ mcpReaper }) and the bad value', async () => {
      const result = await project.run('npx', ['playwright', 'test', 'tests/invalid.spec.ts']);
      const text = output(result);
      expect(result.code, text).toBe(1);
      expect(text).toContain('mcp-reaper: Invalid configuration:');
      expect(text).toContain('test.use({ mcpReaper }): "onLeak" must be one of "warn", "fail", "kill", got "explode" (string)');
      expect(project.readResults().invalid).toBeUndefined();
    }, 60_000);

    scenario('sigkill', 'a run SIGKILLed with its whole process group leaves nothing behind (the watchdog)', async () => {
      const runner = project.start('npx', ['playwright', 'test', 'tests/hang.spec.ts']);
      const exited = new Promise((resolve) => runner.once('exit', resolve));
      try {
        const hang = await waitFor(() => project.readResults().hang, { timeoutMs: 60_000, message: 'the hanging test' });
        const pids = [hang.daemon as number, hang.leaked as number];
        expect(pids.every(isAlive)).toBe(true);

        process.kill(-runner.pid!, 'SIGKILL');
        const killedAt = Date.now();
        await waitFor(() => !pids.some(isAlive) && project.daemons().length === 0, { timeoutMs: 5_000, message: `daemons ${pids.join(', ')} to be swept` });
        const sweptMs = Date.now() - killedAt;
        // The watchdog itself ends after its sweep: nothing of the project is left running.
        await waitFor(() => project.anything().length === 0, { timeoutMs: 5_000, message: 'every process of the project to end' });
        console.info(`SIGKILLed run: daemons swept ${sweptMs} ms after the kill`);
        expect(sweptMs).toBeLessThan(2_000);
      } finally {
        await killRun(runner, exited);
      }
    }, 90_000);

    // What Playwright does on Ctrl-C (a terminal sends SIGINT to its whole foreground process group),
    // seen with 1.40.0 and 1.65 alike:
    // - The workers ignore SIGINT themselves. The runner (its first SIGINT) stops dispatching and tells
    //   each worker to stop: the worker interrupts its running test and tears down the test's fixtures,
    //   then the worker's. So mcpDaemon is stopped and the interrupted test's leak check runs (onLeak
    //   applies: `warn` names the daemon). The tests are reported as interrupted.
    // - Then the runner runs the global teardown (ours: run.end() sweeps the run's tag and stops the
    //   watchdog, which leaves without sweeping), and exits 130; npx then ends itself with SIGINT.
    // - A second SIGINT within 1 s of the first is ignored (npm can deliver one Ctrl-C twice). After
    //   that, the runner leaves its handler off and dies of the next one at once: the global teardown
    //   does not run, and workers still tearing down carry on alone (they ignore SIGINT; they exit when
    //   their teardown ends, or 30 s after losing the runner). The watchdog then sees the runner gone
    //   and sweeps the run's daemons, whatever state the fixtures were left in (next scenario).
    scenario(
      'sigint',
      "Ctrl-C (SIGINT to the run's process group) while a test holds its mcpDaemon and another worker's test is leaking a daemon leaves nothing behind within 2 s",
      async () => {
        project.clearResults();
        const runner = project.start('npx', ['playwright', 'test', 'tests/interrupt-daemon.spec.ts', 'tests/interrupt-leak.spec.ts', '--workers=2']);
        const exited = exitOf(runner);
        try {
          const { held, leaking } = await heldAndLeaking(runner, 'interrupt-daemon');
          const pids = [held.pid as number, leaking.pid as number];
          expect(pids.every(isAlive)).toBe(true);
          expect(watchdogs()).toHaveLength(1);
          expect(project.leftFiles()).toEqual(
            expect.arrayContaining([path.relative(project.dir, held.socketPath as string), path.relative(project.dir, leaking.socketPath as string)]),
          );

          process.kill(-runner.pid!, 'SIGINT');
          const signalledAt = Date.now();
          let daemonsMs: number | undefined;
          await waitFor(
            () => {
              if (daemonsMs === undefined && !pids.some(isAlive) && project.daemons().length === 0) daemonsMs = Date.now() - signalledAt;
              return leftovers(runner.pid!).length === 0;
            },
            { timeoutMs: 5_000, message: () => `nothing left; still there:\n${leftovers(runner.pid!).join('\n')}\noutput:\n${runner.output()}` },
          );
          const nothingMs = Date.now() - signalledAt;
          const exit = await exited;
          console.info(`SIGINTed run (Playwright ${version}): daemons stopped ${daemonsMs} ms, nothing left ${nothingMs} ms after the signal`);
          expect(nothingMs).toBeLessThan(2_000);
          // Playwright's own teardown did it: the interrupted test's leak check named the leaked daemon.
          const text = runner.output();
          expect(text).toMatch(leakWarning(leaking.pid as number));
          expect(text).toMatch(/2 interrupted/);
          expect(exit.code, text).not.toBe(0);
        } finally {
          await killRun(runner, exited);
        }
      },
      90_000,
    );

    scenario(
      'sigint-twice',
      'Ctrl-C again while a fixture is still tearing down: the runner dies at once, the watchdog stops the daemons within 2 s, and the worker ends when its teardown does',
      async () => {
        project.clearResults();
        const runner = project.start('npx', ['playwright', 'test', 'tests/interrupt-held.spec.ts', 'tests/interrupt-leak.spec.ts', '--workers=2']);
        const exited = exitOf(runner);
        try {
          const { held, leaking } = await heldAndLeaking(runner, 'interrupt-held');
          const runnerPid = groupMembers(runner.pid!).find((pid) => argvOf(pid)[1]?.endsWith('/node_modules/.bin/playwright'));
          expect(runnerPid, 'the Playwright runner in the group').toBeDefined();

          // The first Ctrl-C: both workers tear down. The leaking test's check stops its daemon; the
          // other test's mcpDaemon waits behind the slow teardown.
          process.kill(-runner.pid!, 'SIGINT');
          const { worker } = await waitFor(() => project.readResults()['teardown-held'], { timeoutMs: 10_000, message: () => `the slow teardown; output:\n${runner.output()}` });
          await waitFor(() => !isAlive(leaking.pid as number), { timeoutMs: 10_000, message: () => `the leak check to stop ${leaking.pid}; output:\n${runner.output()}` });
          expect(isAlive(held.pid as number)).toBe(true);

          // Ctrl-C until the runner goes, as an impatient user does: it ignores SIGINT for 1 s after the
          // first and prints nothing when that ends, so the presses are paced, 100 ms apart.
          let signalledAt = 0;
          let presses = 1;
          while (isAlive(runnerPid!)) {
            process.kill(-runner.pid!, 'SIGINT');
            signalledAt = Date.now();
            presses++;
            await waitFor(() => !isAlive(runnerPid!) || Date.now() - signalledAt >= 100, { timeoutMs: 1_000, message: 'the runner to die, or the next press' });
          }
          // Only the worker in its teardown is left of the run; the watchdog stopped the daemon it held.
          const onlyWorker = () => leftovers(runner.pid!).filter((entry) => !entry.startsWith(`${worker as number} `));
          await waitFor(() => onlyWorker().length === 0, { timeoutMs: 5_000, message: () => `nothing left but worker ${worker}; still there:\n${onlyWorker().join('\n')}\noutput:\n${runner.output()}` });
          const sweptMs = Date.now() - signalledAt;
          expect(isAlive(held.pid as number)).toBe(false);
          expect(isAlive(worker as number), 'the worker, still in its teardown').toBe(true);

          // Its teardown ends: mcpDaemon.stop() finds its daemon already gone, and the worker exits.
          fs.writeFileSync(path.join(project.results, 'release'), '');
          const releasedAt = Date.now();
          await waitFor(() => leftovers(runner.pid!).length === 0, { timeoutMs: 5_000, message: () => `nothing left after the teardown; still there:\n${leftovers(runner.pid!).join('\n')}` });
          const workerMs = Date.now() - releasedAt;
          console.info(
            `SIGINTed twice (Playwright ${version}, ${presses} presses): daemons swept and watchdog gone ${sweptMs} ms after the SIGINT that ended the runner; worker gone ${workerMs} ms after its teardown ended`,
          );
          expect(sweptMs).toBeLessThan(2_000);
          expect(workerMs).toBeLessThan(2_000);
          expect(runner.output()).toMatch(leakWarning(leaking.pid as number));
          expect((await exited).code).not.toBe(0);
        } finally {
          fs.writeFileSync(path.join(project.results, 'release'), '');
          await killRun(runner, exited);
        }
      },
      90_000,
    );
  });
}
