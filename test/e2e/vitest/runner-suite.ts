// The Vitest sample-project suite, run against each supported major by vitestN.test.ts: leftovers
// planted before the run, leaks in each onLeak mode, jsdom, a run SIGKILLed as a whole process
// group, and watch sessions with a rerun and a quit (SIGINT to the group, and q or Ctrl-C typed on
// a terminal). Every assertion is made from the test process, outside the runner: the sample tests
// only write what they see to out/.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../../helpers/wait.js';
import { createVitestSample, plantLeftovers, readmeConfig, type VitestSample } from './sample.js';
import { itNeeds, needs } from '../../helpers/needs.js';

/** The whole suite against one Vitest major, in one sample project installed once. */
export function runnerSuite(label: string, dependencies: Record<string, string>, options: { nodePath?: () => Promise<string> } = {}): void {
  let sample: VitestSample;
  beforeAll(async () => {
    const nodePath = await options.nodePath?.();
    sample = await createVitestSample({
      name: label.replace(/\W+/g, ''),
      dependencies: { jsdom: '^26', ...dependencies },
      ...(nodePath === undefined ? {} : { nodePath }),
    });
  }, 600_000);
  afterAll(async () => {
    await sample?.cleanup();
  });

  const vitest = (args: string[], env: NodeJS.ProcessEnv = {}) => sample.project.run('npx', ['vitest', 'run', ...args], { env });
  const output = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`;
  const leftFiles = () => sample.stateFiles();

  /** No daemon, no state file, and no process at all from the project (Vitest, its workers, the watchdog). */
  async function expectNothingLeft() {
    expect(sample.running()).toEqual([]);
    expect(leftFiles()).toEqual([]);
    // The watchdog is told to stop by the teardown; give it the moment it takes to exit.
    await waitFor(() => sample.anythingRunning().length === 0, {
      timeoutMs: 2000,
      message: () => `no process of the project; still running: ${sample.anythingRunning().join(', ')}`,
    });
  }

  // Each step runs Vitest once or twice: 2-5 s on a quiet machine, up to 30 s on a loaded 2-core one.
  describe(`${label} (forks, the default pool)`, { timeout: 120_000 }, () => {
    it('removes planted leftovers before the first test starts', async () => {
      const planted = await plantLeftovers(sample);
      const result = await vitest(['tests/planted/']);
      expect(result.code, output(result)).toBe(0);
      const major = /\d+/.exec(dependencies.vitest ?? '')?.[0];
      expect(result.stdout).toMatch(new RegExp(`RUN\\s+v${major}\\.`)); // the Vitest this suite is about
      const observed = sample.out<{ alive: number[]; files: string[]; owner: string }>('observed.json');
      expect(observed.alive).toEqual([]);
      expect(observed.files).toEqual([]);
      expect(observed.owner).toMatch(/^run-[0-9a-f]{12}\/w\d+\/tests:planted:first\.test\.ts$/);
      for (const pid of planted.pids) expect(isAlive(pid)).toBe(false);
      await expectNothingLeft();
    });

    it('warn (the default): names the leaking file and pid, stops it, and the file passes', async () => {
      const result = await vitest(['tests/leak/']);
      const { pid, owner } = sample.out<{ pid: number; owner: string }>('leak.json');
      sample.track(pid);
      expect(result.code, output(result)).toBe(0);
      expect(result.stderr).toContain(`tests/leak/leak.test.ts left a daemon running; mcp-reaper stopped it:\n  pid ${pid} terminated:`);
      expect(output(result)).toMatch(/Test Files\s+2 passed/);
      // Only the leaking file is named: the file that stopped its daemon is not.
      expect(output(result)).not.toContain('clean.test.ts left');
      expect(owner).toMatch(/\/tests:leak:leak\.test\.ts$/);
      expect(isAlive(pid)).toBe(false);
      await expectNothingLeft();
    });

    it('fail (test.provide.mcpReaper.onLeak): fails the leaking file with the pid, and stops it', async () => {
      // The README's config with the override the README shows for onLeak.
      const config = readmeConfig().replace(
        "setupFiles: ['@mcp-reaper/vitest-setup'],",
        "setupFiles: ['@mcp-reaper/vitest-setup'],\n    provide: { mcpReaper: { onLeak: 'fail' } },",
      );
      expect(config).toContain("provide: { mcpReaper: { onLeak: 'fail' } }");
      sample.project.write({ 'vitest.fail.config.ts': config });
      const result = await vitest(['--config', 'vitest.fail.config.ts', 'tests/leak/']);
      const { pid } = sample.out<{ pid: number }>('leak.json');
      sample.track(pid);
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toMatch(/Failed Suites 1/);
      expect(output(result)).toContain(`pid ${pid} terminated:`);
      expect(output(result)).toContain('FAIL  tests/leak/leak.test.ts');
      expect(output(result)).not.toContain('FAIL  tests/leak/clean.test.ts');
      expect(isAlive(pid)).toBe(false);
      await expectNothingLeft();
    });

    it('kill (MCP_REAPER_ON_LEAK=kill): stops the leak silently', async () => {
      const result = await vitest(['tests/leak/'], { MCP_REAPER_ON_LEAK: 'kill' });
      const { pid } = sample.out<{ pid: number }>('leak.json');
      sample.track(pid);
      expect(result.code, output(result)).toBe(0);
      expect(output(result)).not.toContain('left a daemon');
      expect(output(result)).not.toContain(String(pid));
      expect(isAlive(pid)).toBe(false);
      await expectNothingLeft();
    });

    it('refuses a bad onLeak before any test runs, quoting the value', async () => {
      fs.rmSync(path.join(sample.project.dir, 'out/leak.json'), { force: true });
      const result = await vitest(['tests/leak/'], { MCP_REAPER_ON_LEAK: 'explode' });
      expect(result.code).not.toBe(0);
      expect(output(result)).toContain('MCP_REAPER_ON_LEAK="explode": "onLeak" must be one of "warn", "fail", "kill", got "explode" (string)');
      expect(output(result)).toContain('mcp-reaper: Invalid configuration:');
      expect(fs.existsSync(path.join(sample.project.dir, 'out/leak.json'))).toBe(false);
      await expectNothingLeft();
    });

    it("environment: 'jsdom': useDaemon and the leak check work", async () => {
      const result = await vitest(['--environment', 'jsdom', 'tests/dom/']);
      const dom = sample.out<{ window: string; used: number; leaked: number; owner: string }>('dom.json');
      sample.track(dom.leaked);
      expect(result.code, output(result)).toBe(0);
      expect(dom.window).toBe('object');
      expect(dom.owner).toMatch(/\/tests:dom:dom\.test\.ts$/);
      expect(result.stderr).toContain(`tests/dom/dom.test.ts left a daemon running; mcp-reaper stopped it:\n  pid ${dom.leaked} terminated:`);
      expect(result.stderr).not.toContain(`pid ${dom.used} `);
      expect(isAlive(dom.used)).toBe(false);
      expect(isAlive(dom.leaked)).toBe(false);
      await expectNothingLeft();
    });

    it('a run SIGKILLed as a process group leaves nothing behind (the watchdog)', async () => {
      const hangFile = path.join(sample.project.dir, 'out/hang.json');
      fs.rmSync(hangFile, { force: true });
      const child = sample.project.start('npx', ['vitest', 'run', 'tests/hang/']);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        const { pid } = await waitFor(() => fs.existsSync(hangFile) && (JSON.parse(fs.readFileSync(hangFile, 'utf8')) as { pid: number }), {
          timeoutMs: 60_000,
          message: () => `the hanging test to start its daemon; output:\n${child.output()}`,
        });
        sample.track(pid);
        expect(isAlive(pid)).toBe(true);
        const killedAt = Date.now();
        process.kill(-child.pid!, 'SIGKILL');
        await exited;
        await waitFor(() => !isAlive(pid), { timeoutMs: 5000, message: `daemon ${pid} stopped by the watchdog` });
        const elapsed = Date.now() - killedAt;
        console.log(`${label}: daemon gone ${elapsed} ms after the SIGKILL of the run's process group`);
        expect(elapsed).toBeLessThan(3000);
        await waitFor(() => sample.running().length === 0 && leftFiles().length === 0 && sample.anythingRunning().length === 0, {
        timeoutMs: 2000,
        message: () => `nothing left; still there: ${[...sample.anythingRunning(), ...leftFiles()].join(', ')}`,
      });
      } finally {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
    });

    it('watch mode: each rerun checks the file again, and quitting (SIGINT to the group) leaves nothing', async () => {
      const leakFile = path.join(sample.project.dir, 'out/leak.json');
      fs.rmSync(leakFile, { force: true });
      const readLeak = () => fs.existsSync(leakFile) && (JSON.parse(fs.readFileSync(leakFile, 'utf8')) as { pid: number });
      const child = sample.project.start('npx', ['vitest', '--watch', 'tests/leak/']);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        const first = await waitFor(readLeak, { timeoutMs: 60_000, message: () => `the first run; output:\n${child.output()}` });
        sample.track(first.pid);
        await waitFor(() => child.output().includes(`pid ${first.pid} terminated:`) && child.output().includes('Waiting for file changes'), {
          timeoutMs: 30_000,
          message: () => `the first run's leak warning; output:\n${child.output()}`,
        });
        expect(isAlive(first.pid)).toBe(false);

        // A change to the file reruns it under the same global setup: a new daemon, checked again.
        const testFile = path.join(sample.project.dir, 'tests/leak/leak.test.ts');
        fs.writeFileSync(testFile, `${fs.readFileSync(testFile, 'utf8')}\n`);
        const second = await waitFor(() => { const leak = readLeak(); return leak && leak.pid !== first.pid && leak; }, {
          timeoutMs: 60_000,
          message: () => `the rerun; output:\n${child.output()}`,
        });
        sample.track(second.pid);
        await waitFor(() => child.output().includes(`pid ${second.pid} terminated:`), { timeoutMs: 30_000, message: () => `the rerun's warning:\n${child.output()}` });
        expect(isAlive(second.pid)).toBe(false);

        process.kill(-child.pid!, 'SIGINT');
        await exited;
        await waitFor(() => sample.anythingRunning().length === 0 && leftFiles().length === 0, {
          timeoutMs: 2000,
          message: () => `nothing left after quitting; still there: ${[...sample.anythingRunning(), ...leftFiles()].join(', ')}`,
        });
      } finally {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
    });

    // On a terminal Vitest reads keys in raw mode: Ctrl-C typed there reaches it as a key, not as
    // SIGINT (the terminal sends no signal in raw mode), so it is a quit of its own, like q.
    for (const [key, name] of [['q', 'q'], ['\x03', 'Ctrl-C']] as const) {
      itNeeds([needs.script], `watch mode on a terminal: typing ${name} quits, and nothing is left within 2 s`, async () => {
        const leakFile = path.join(sample.project.dir, 'out/leak.json');
        fs.rmSync(leakFile, { force: true });
        const child = sample.project.terminal('npx', ['vitest', 'tests/leak/']);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        try {
          const leak = await waitFor(() => fs.existsSync(leakFile) && (JSON.parse(fs.readFileSync(leakFile, 'utf8')) as { pid: number }), {
            timeoutMs: 60_000,
            message: () => `the first run; output:\n${child.output()}`,
          });
          sample.track(leak.pid);
          // Vitest prints its key help once the run is over and it waits for changes.
          await waitFor(() => child.output().includes(`pid ${leak.pid} terminated:`) && child.output().includes('press q to quit'), {
            timeoutMs: 30_000,
            message: () => `the run's leak warning and the key help; output:\n${child.output()}`,
          });
          expect(isAlive(leak.pid)).toBe(false);
          const typedAt = Date.now();
          child.type(key);
          await exited;
          await waitFor(() => sample.anythingRunning().length === 0 && leftFiles().length === 0, {
            timeoutMs: 2000,
            message: () => `nothing left after ${name}; still there: ${[...sample.anythingRunning(), ...leftFiles()].join(', ')}\n${child.output()}`,
          });
          console.log(`${label}: ${name} typed to nothing left in ${Date.now() - typedAt} ms`);
        } finally {
          if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
        }
      });
    }
  });
}
