// The Vitest adapter end to end on the macOS path: the real Vitest 4, installed from the packed
// tarballs, run with the as-darwin preload in NODE_OPTIONS, so the runner, its workers, the watchdog
// and every sweep take the darwin path through the ps/lsof stand-ins (and their emulation server). The
// same outcomes as on Linux (test/e2e/vitest/runner-suite.ts), and the stand-ins' log proves they were
// what ran.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/wait.js';
import { createVitestSample, plantLeftovers, type VitestSample } from '../e2e/vitest/sample.js';
import { AS_DARWIN_PRELOAD, STANDIN_LOG_ENV } from './emulation/names.mjs';
import { startStandinServer, type StandinServer } from './emulation/start-server.mjs';

let sample: VitestSample;
let log: string;
let server: StandinServer;
beforeAll(async () => {
  server = await startStandinServer();
  sample = await createVitestSample({ name: 'darwinvitest4', dependencies: { vitest: '^4' } });
  log = path.join(sample.project.dir, 'standin.log');
}, 600_000);
afterAll(async () => {
  await sample?.cleanup();
  await server?.stop();
});
beforeEach(() => fs.rmSync(log, { force: true }));

const darwinEnv = () => ({ ...server.env, NODE_OPTIONS: `--import ${AS_DARWIN_PRELOAD}`, [STANDIN_LOG_ENV]: log });
const vitest = (args: string[], env: NodeJS.ProcessEnv = {}) => sample.project.run('npx', ['vitest', 'run', ...args], { env: { ...darwinEnv(), ...env } });
const output = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`;
const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

/** The stand-ins ran: full listings (the sweeps) and `ps -E` (owner tags), never /proc in their place. */
function expectStandinsRan(): void {
  const ran = calls();
  expect(ran.filter((c) => c === 'ps -axww -o pid=,ppid=,pgid=,ruid=,stat=,lstart=,ucomm=').length).toBeGreaterThan(0);
  expect(ran.filter((c) => c.startsWith('ps -axww -o pid=,args=')).length).toBeGreaterThan(0);
}

async function expectNothingLeft(): Promise<void> {
  expect(sample.running()).toEqual([]);
  expect(sample.stateFiles()).toEqual([]);
  await waitFor(() => sample.anythingRunning().length === 0, {
    timeoutMs: 5000,
    message: () => `no process of the project; still running: ${sample.anythingRunning().join(', ')}`,
  });
}

// Each Vitest run here pays for a bash process and an emulation per `ps`: slower than on the Linux path.
describe('Vitest 4 adapter as macOS (ps/lsof stand-ins)', { timeout: 240_000 }, () => {
  it('removes planted leftovers before the first test starts', async () => {
    const planted = await plantLeftovers(sample);
    const result = await vitest(['tests/planted/']);
    expect(result.code, output(result)).toBe(0);
    const observed = sample.out<{ alive: number[]; files: string[]; owner: string }>('observed.json');
    expect(observed).toMatchObject({ alive: [], files: [] });
    expect(observed.owner).toMatch(/^run-[0-9a-f]{12}\/w\d+\/tests:planted:first\.test\.ts$/);
    for (const pid of planted.pids) expect(isAlive(pid)).toBe(false);
    expectStandinsRan();
    await expectNothingLeft();
  });

  it('warn: names the leaking file and pid, reading owner tags through ps -E, and stops it', async () => {
    const result = await vitest(['tests/leak/']);
    const { pid, owner } = sample.out<{ pid: number; owner: string }>('leak.json');
    sample.track(pid);
    expect(result.code, output(result)).toBe(0);
    expect(result.stderr).toContain(`tests/leak/leak.test.ts left a daemon running; mcp-reaper stopped it:\n  pid ${pid} terminated:`);
    expect(output(result)).toMatch(/Test Files\s+2 passed/);
    expect(output(result)).not.toContain('clean.test.ts left');
    expect(owner).toMatch(/\/tests:leak:leak\.test\.ts$/);
    expect(isAlive(pid)).toBe(false);
    expectStandinsRan();
    // The leak check tells a file's daemons by their owner tag, which macOS gives only through ps -E.
    expect(calls()).toContain(`ps -E -ww -o command= -p ${pid}`);
    await expectNothingLeft();
  });

  it('a run SIGKILLed as a process group: the watchdog (also on the macOS path) stops its daemon', async () => {
    const hangFile = path.join(sample.project.dir, 'out/hang.json');
    fs.rmSync(hangFile, { force: true });
    const child = sample.project.start('npx', ['vitest', 'run', 'tests/hang/'], { env: darwinEnv() });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const { pid } = await waitFor(() => fs.existsSync(hangFile) && (JSON.parse(fs.readFileSync(hangFile, 'utf8')) as { pid: number }), {
        timeoutMs: 120_000,
        message: () => `the hanging test to start its daemon; output:\n${child.output()}`,
      });
      sample.track(pid);
      const before = calls().length;
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      await waitFor(() => !isAlive(pid), { timeoutMs: 60_000, message: `daemon ${pid} stopped by the watchdog` });
      // The watchdog's sweep listed processes through the stand-in after the kill.
      await waitFor(() => calls().slice(before).some((c) => c.startsWith('ps -axww')), { timeoutMs: 10_000 });
      await waitFor(() => sample.running().length === 0 && sample.stateFiles().length === 0 && sample.anythingRunning().length === 0, {
        timeoutMs: 10_000,
        message: () => `nothing left; still there: ${[...sample.anythingRunning(), ...sample.stateFiles()].join(', ')}`,
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
});
