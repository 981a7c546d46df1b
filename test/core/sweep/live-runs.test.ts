// Two runs, one machine: a sweep never stops the daemons of another run that is still live. Run A
// is another process (test/fixtures/run-holder.mjs, on the built core, as a runner's global setup
// would be); run B is this test, through the core API and the CLI. Everything runs under a unique
// fake name in a sandbox, so no other process of the machine can match.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { OWNER_ENV, sweep } from '../../../packages/core/src/index.js';
import { readRunRecord } from '../../../packages/core/src/registry/runs.js';
import { createSandbox, startSupervisor, type Sandbox } from '../../helpers/fake-daemon.js';
import { runCli } from '../../helpers/run-cli.js';
import { isAlive, waitFor } from '../../helpers/wait.js';
import { describeNeeds, needs } from '../../helpers/needs.js';

const DIST = new URL('../../../packages/core/dist/index.js', import.meta.url).href;
const HOLDER = fileURLToPath(new URL('../../fixtures/run-holder.mjs', import.meta.url));

let sb: Sandbox;
const holders: ChildProcess[] = [];
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  for (const holder of holders.splice(0)) if (holder.exitCode === null && holder.signalCode === null) process.kill(-holder.pid!, 'SIGKILL');
  await sb.cleanup();
});

interface Held {
  runId: string;
  watchdog: number;
  daemons: number[];
  holder: ChildProcess;
}

/** Starts run A in a process group of its own, holding one daemon per socket. */
async function holdRun(name: string, sockets: string[]): Promise<Held> {
  const out = path.join(sb.root, `${name}.json`);
  const orders = { dist: DIST, names: [sb.name], dir: sb.stateDir, bin: sb.bin, dataHome: sb.dataHome, sockets, out, mode: 'hold' };
  const holder = spawn(process.execPath, [HOLDER], {
    detached: true,
    stdio: 'ignore',
    // A user's other terminal: nothing of this test process's run or tags.
    env: { ...process.env, RUN_HOLDER: JSON.stringify(orders), MCP_REAPER_RUN: undefined, MCP_REAPER_OWNER: undefined },
  });
  holders.push(holder);
  sb.track(holder.pid!);
  const held = await waitFor(() => fs.existsSync(out) && (JSON.parse(fs.readFileSync(out, 'utf8')) as Omit<Held, 'holder'>), {
    timeoutMs: 20_000,
    message: `run ${name} to hold its daemons`,
  });
  for (const pid of [held.watchdog, ...held.daemons]) sb.track(pid);
  return { ...held, holder };
}

// The checks read /proc (isAlive, run-holder.mjs), so they need Linux's kernel; the core under test may
// still take its macOS path there (the darwin project, through the ps/lsof stand-ins).
describeNeeds([needs.proc], 'a sweep and another live run', () => {
  it("keeps a live run's daemons and names the run, in the same dir and another; still stops untagged and dead runs' daemons", async () => {
    const a = await holdRun('a', [sb.socketPath, path.join(sb.root, 'a-own.sock')]);
    const record = readRunRecord(a.runId);
    expect(record).toMatchObject({ runId: a.runId, pid: a.holder.pid, watchdog: { pid: a.watchdog } });

    // Their state elsewhere: the pid file in the swept dir stays A's.
    const elsewhereData = path.join(sb.root, 'other-data');
    const orphan = await sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, 'orphan.sock')], env: { [OWNER_ENV]: undefined, XDG_DATA_HOME: elsewhereData } });
    const ofDeadRun = await sb.start({
      args: ['daemon', '--socket-path', path.join(sb.root, 'dead.sock')],
      env: { [OWNER_ENV]: 'run-0123456789ab/w1/x.test.ts', XDG_DATA_HOME: elsewhereData },
    });

    // Run B sweeps the same state dir as A, where A's daemon listens on mcp.sock.
    const report = await sweep({ names: [sb.name], dir: sb.stateDir });
    expect(report.ok).toBe(true);
    const byPid = new Map(report.processes.map((p) => [p.pid, p]));
    for (const pid of a.daemons) {
      expect(byPid.get(pid)).toMatchObject({
        action: 'kept',
        reason: expect.stringContaining(`a daemon of live run ${a.runId}, whose owner pid ${a.holder.pid}`),
        liveRun: { runId: a.runId, pid: a.holder.pid, command: expect.stringContaining('run-holder.mjs') },
      });
      expect(isAlive(pid)).toBe(true);
    }
    expect(byPid.get(orphan.pid)?.action).toBe('terminated');
    expect(byPid.get(ofDeadRun.pid)?.action).toBe('terminated');
    const files = new Map(report.files.map((f) => [f.path, f]));
    expect(files.get(sb.socketPath)).toMatchObject({ action: 'kept', reason: `in use by daemon ${a.daemons[0]} of live run ${a.runId}` });
    expect(files.get(sb.pidFile)?.action).toBe('kept');
    expect(fs.existsSync(sb.socketPath)).toBe(true);

    // Another dir: the same daemons, found by name, kept all the same.
    const elsewhere = await sweep({ names: [sb.name], dir: path.join(sb.root, 'elsewhere') });
    expect(elsewhere.ok).toBe(true);
    expect(elsewhere.processes.filter((p) => p.action === 'kept').map((p) => p.pid).sort()).toEqual([...a.daemons].sort());

    // The CLI says why, and exits 0: nothing is wrong.
    const cli = await runCli(['--name', sb.name, '--dir', sb.stateDir], sb.root, { ...process.env, HOME: sb.root });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`kept\\s+${a.daemons[0]}\\s.*live run ${a.runId}`));
    expect(cli.stdout).toContain('2 kept');
    for (const pid of a.daemons) expect(isAlive(pid)).toBe(true);

    // A user who means it stops them too.
    const all = await runCli(['--name', sb.name, '--dir', sb.stateDir, '--include-live-runs', '--json'], sb.root, { ...process.env });
    expect(all.code, all.stderr).toBe(0);
    const stopped = (JSON.parse(all.stdout) as { processes: Array<{ pid: number; action: string }> }).processes;
    expect(stopped.filter((p) => a.daemons.includes(p.pid)).map((p) => p.action)).toEqual(['terminated', 'terminated']);
  });

  it('a run SIGKILLed mid-run: its daemons are gone within 2 s (the watchdog), and so is its record', async () => {
    const a = await holdRun('killed', [path.join(sb.root, 'k.sock')]);
    const killedAt = Date.now();
    process.kill(-a.holder.pid!, 'SIGKILL');
    // 2 s is the promise on Linux. In the darwin project every `ps` of the watchdog's sweep is a Node
    // process reading /proc (the test/darwin stand-in, ~150 ms each here), so it gets longer there.
    const withinMs = process.platform === 'darwin' ? 30_000 : 2_000;
    await waitFor(() => a.daemons.every((pid) => !isAlive(pid)), { timeoutMs: withinMs, message: "the watchdog to stop the killed run's daemon" });
    console.info(`run SIGKILLed: its daemon gone ${Date.now() - killedAt} ms later`);
    await waitFor(() => readRunRecord(a.runId) === undefined, { timeoutMs: 5_000, message: "the killed run's record to be removed" });
  });

  it('a dead run whose record is still there (no watchdog): its daemons are leftovers, and the sweep removes the record', async () => {
    const out = path.join(sb.root, 'nowatch.json');
    const orders = { dist: DIST, names: [sb.name], dir: sb.stateDir, bin: sb.bin, dataHome: sb.dataHome, sockets: [path.join(sb.root, 'n.sock')], out, mode: 'hold', watchdog: false };
    const holder = spawn(process.execPath, [HOLDER], { detached: true, stdio: 'ignore', env: { ...process.env, RUN_HOLDER: JSON.stringify(orders) } });
    holders.push(holder);
    sb.track(holder.pid!);
    const held = await waitFor(() => fs.existsSync(out) && (JSON.parse(fs.readFileSync(out, 'utf8')) as { runId: string; daemons: number[] }), {
      timeoutMs: 20_000,
      message: 'the run to hold its daemon',
    });
    for (const pid of held.daemons) sb.track(pid);
    process.kill(-holder.pid!, 'SIGKILL');
    await waitFor(() => !isAlive(holder.pid!));
    expect(readRunRecord(held.runId)).toBeDefined();
    const report = await sweep({ names: [sb.name], dir: sb.stateDir });
    expect(report.processes.map((p) => [p.pid, p.action])).toEqual([[held.daemons[0], 'terminated']]);
    expect(readRunRecord(held.runId)).toBeUndefined();
  });

  it("a daemon another live run starts where a stopped one's parent starts them is that run's, not a respawn", async () => {
    // Found by the rounds below: run A's holder starts its daemons one run after another, so the
    // parent of a daemon it left behind (a leftover here) also starts the next run's daemon.
    const held = await holdRun('a', [path.join(sb.root, 'a.sock')]);
    const supervisor = startSupervisor(sb, { restartEnv: { [OWNER_ENV]: held.runId }, restartSocket: path.join(sb.root, 'a2.sock') });
    const first = await supervisor.firstDaemon;
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, respawnWindowMs: 3000 });
    expect(report.processes).toContainEqual(expect.objectContaining({ pid: first, action: 'terminated' }));
    expect(report.processes.filter((p) => p.action === "respawned"), JSON.stringify(report.processes)).toEqual([]);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    // The supervisor did start it again, as run A's: kept, and still running.
    const again = await sweep({ names: [sb.name], dir: sb.stateDir, respawnWindowMs: 0, dryRun: true });
    const ofA = again.processes.filter((p) => p.liveRun?.runId === held.runId && p.pid !== held.daemons[0]);
    expect(ofA).toEqual([expect.objectContaining({ action: 'kept' })]);
    expect(isAlive(ofA[0]!.pid)).toBe(true);
  });

  it('2 processes x 10 rounds of start run, start daemon, hold, stop, end, at once: every daemon lives until its own stop, nothing is left', async () => {
    const outs = ['p1', 'p2'].map((name) => path.join(sb.root, `${name}.jsonl`));
    const procs = outs.map((out, i) => {
      const orders = { dist: DIST, names: [sb.name], dir: sb.stateDir, bin: sb.bin, dataHome: sb.dataHome, sockets: [path.join(sb.root, `r${i}.sock`)], out, mode: 'rounds', rounds: 10, holdMs: 60 };
      const child = spawn(process.execPath, [HOLDER], { stdio: 'ignore', env: { ...process.env, RUN_HOLDER: JSON.stringify(orders) } });
      sb.track(child.pid!);
      return new Promise<number | null>((resolve) => child.once('exit', resolve));
    });
    expect(await Promise.all(procs)).toEqual([0, 0]);
    const rounds = outs.flatMap((out) => fs.readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as {
      daemon: number;
      diedEarly: boolean;
      stopOk: boolean;
      endOk: boolean;
      before: Array<{ pid: number; action: string; signal?: string; liveRun?: string }>;
    }));
    expect(rounds).toHaveLength(20);
    const log = outs.map((out) => fs.readFileSync(out, 'utf8')).join('');
    for (const round of rounds) {
      expect(round, log).toMatchObject({ diedEarly: false, stopOk: true, endOk: true });
      // Whatever the other process held at this round's start was kept, as a live run's, and never
      // signalled: one its owner was stopping just then is, at most, seen to exit on its own.
      for (const seen of round.before) {
        expect(seen.signal, log).toBeUndefined();
        if (seen.action === 'kept') expect(seen.liveRun, log).toMatch(/^run-/);
        else expect(seen.action, log).toBe('terminated');
      }
      expect(isAlive(round.daemon)).toBe(false);
    }
    const kept = rounds.flatMap((r) => r.before).filter((seen) => seen.action === 'kept').length;
    console.info(`2 x 10 rounds: ${kept} daemons of the other run kept by a sweep before a run`);
  });
});
