// Reliability, faults: what goes wrong while a sweep runs (a target exits or its pid is reused between
// the survey and the signal, zombies, a daemon that ignores SIGTERM, children escaping into their own
// session, a supervisor bringing the daemon back, the runner SIGKILLed, 16 sweeps at once).
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_DIR_ENV } from '../../packages/core/src/config/names.js';
import { OWNER_ENV, sweep, type SweepReport } from '../../packages/core/src/index.js';
import { uniqueFakeName } from '../helpers/fake-daemon.js';
import { isAlive, readStat, waitFor } from '../helpers/wait.js';
import { pausedSource } from './harness/paused-source.js';
import { createScene, judge, settle, wrapper, type Scene, type SeenFile, type SeenProcess } from './harness/scene.js';
import { itNeeds, needs, pidNamespaceArgs } from '../helpers/needs.js';

const FAMILY = 'faults';
const DIST = new URL('../../packages/core/dist/index.js', import.meta.url).href;
const ZOMBIE_LEADER_C = fileURLToPath(new URL('./fixtures/zombie-leader.c', import.meta.url));
const REUSE_IN_NAMESPACE = fileURLToPath(new URL('./fixtures/reuse-in-namespace.mjs', import.meta.url));
const run = promisify(execFile);

const stubborn = { FAKE_MCP_IGNORE_TERM: '1' };

/** Where the report says it signalled each pid. */
const signalled = (report: SweepReport) => report.processes.filter((p) => p.signal !== undefined).map((p) => p.pid);

/** `<binDir>/nap`: sleep under a name of our own, so the sandbox's cleanup finds it by its path. */
function nap(scene: Scene): string {
  const file = path.join(scene.sb.binDir, 'nap');
  if (!fs.existsSync(file)) fs.symlinkSync('/bin/sleep', file);
  return file;
}

describe('reliability: faults', () => {
  let scene: Scene;
  beforeEach(async () => {
    scene = await createScene(FAMILY);
  });
  afterEach(() => scene.cleanup());

  it('the daemon exits between the survey and the signal', async () => {
    const daemon = await scene.sb.start({ env: stubborn });
    scene.target('the daemon', daemon.pid);
    scene.remove('its socket', daemon.socketPath);
    scene.remove('its pid file', scene.sb.pidFile);
    await scene.bystander('an unrelated process');
    const source = pausedSource({
      async between() {
        process.kill(daemon.pid, 'SIGKILL');
        await waitFor(() => !isAlive(daemon.pid), { message: 'the daemon to die' });
      },
    });
    const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir, source });
    expect(source.paused).toBe(true);
    scene.check('the daemon exits between the survey and the signal', report);
    expect(report.processes).toContainEqual(
      expect.objectContaining({ pid: daemon.pid, action: 'terminated', reason: expect.stringContaining('exited on its own before it was signalled') }),
    );
    expect(signalled(report)).not.toContain(daemon.pid);
  });

  it('the pid is reused between the survey and the signal, as the survey is shown it', async () => {
    // The survey is shown a daemon at the bystander's pid, started earlier (so, a process that has
    // since exited); from the pause on, the source tells the truth: that pid is the bystander, a real
    // process with another start time. Cycling real pids would need a pid namespace around the sweeper.
    const holder = await scene.bystander('the unrelated process now holding the pid');
    const source = pausedSource({
      between: async () => {},
      surveyed: (info) =>
        info.pid === holder
          ? { ...info, name: scene.name, argv: [scene.name, 'daemon'], startKey: `${info.startKey}-earlier`, startedAt: info.startedAt - 60_000 }
          : info,
    });
    const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir, source });
    expect(source.paused).toBe(true);
    scene.check('the pid is reused between the survey and the signal, as the survey is shown it', report);
    expect(report.processes).toContainEqual(expect.objectContaining({ pid: holder, action: 'terminated', reason: expect.stringContaining('before it was signalled') }));
  });

  itNeeds([needs.pidNamespace], 'the pid is reused between the survey and the signal, for real, in a pid namespace', async () => {
    const dataHome = path.join(scene.sb.root, 'ns-data');
    const input = { name: scene.name, bin: scene.sb.bin, bystander: wrapper(scene.sb.binDir, 'bystander'), dataHome, dist: DIST, logDirEnv: LOG_DIR_ENV };
    const { stdout } = await run('unshare', [...pidNamespaceArgs(), process.execPath, REUSE_IN_NAMESPACE, JSON.stringify(input)], {
      timeout: 60_000,
      killSignal: 'SIGKILL', // unshare --kill-child passes SIGKILL on to the namespace's init
    });
    const result = JSON.parse(stdout) as { paused: boolean; daemon: number; holder: number; holderPgid: number; report: SweepReport; seen: SeenProcess[] };
    expect(result.paused).toBe(true);
    expect([result.holder, result.holderPgid]).toEqual([result.daemon, result.daemon]);
    const stale = (label: string, file: string): SeenFile => ({ label, path: file, role: 'remove', problem: fs.existsSync(file) ? 'is still there' : undefined });
    const dir = path.join(dataHome, 'AIAgentPM');
    const verdict = judge(result.seen, [stale('its socket', path.join(dir, 'mcp.sock')), stale('its pid file', path.join(dir, 'daemon.pid'))], result.report);
    settle(FAMILY, 'the pid is reused between the survey and the signal, in a pid namespace', verdict);
    expect(result.report.processes).toContainEqual(
      expect.objectContaining({ pid: result.daemon, action: 'terminated', reason: expect.stringContaining('before it was signalled') }),
    );
  });

  it('a zombie target', async () => {
    // The daemon's parent execs sleep, which never reaps: once killed, the daemon stays a zombie.
    const ready = path.join(scene.sb.root, 'zombie-ready.json');
    const parent = scene.sb.spawnRaw(['-c', `${scene.sb.bin} daemon --foreground & exec ${nap(scene)} 100000`], { FAKE_MCP_READY_FILE: ready }, {
      command: '/bin/sh',
      detached: true,
      stdio: 'ignore',
    });
    await waitFor(() => fs.existsSync(ready), { timeoutMs: 15_000, message: 'the daemon' });
    const { pid } = JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await waitFor(() => readStat(pid)?.state === 'Z' && readStat(pid)?.threads === 1, { message: 'the daemon to be a zombie' });
    scene.watch('the zombie’s parent (sleep)', parent.pid);
    scene.target('the zombie', pid);
    scene.remove('its socket', scene.sb.socketPath);
    scene.remove('its pid file', scene.sb.pidFile);
    const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir });
    scene.check('a zombie target', report);
    expect(report.processes.map((p) => p.pid)).not.toContain(pid);
  });

  itNeeds([needs.gcc], 'a zombie leader with live threads', async () => {
    const bin = path.join(scene.sb.binDir, scene.name);
    fs.rmSync(bin);
    execFileSync('gcc', ['-O1', '-pthread', '-o', bin, ZOMBIE_LEADER_C]);
    const ready = path.join(scene.sb.root, 'leader-ready');
    // Started from a subshell that exits at once: an orphan, as a leftover is (its argv, unreadable
    // once the leader is a zombie, cannot say `daemon`).
    scene.sb.spawnRaw(['-c', `(${bin} daemon ${ready} &)`], {}, { command: '/bin/sh', detached: true, stdio: 'ignore' });
    await waitFor(() => fs.existsSync(ready), { message: 'the leader to start' });
    const pid = Number(fs.readFileSync(ready, 'utf8'));
    scene.sb.track(pid);
    await waitFor(() => readStat(pid)?.state === 'Z', { message: 'the leader to exit while its thread runs' });
    expect(readStat(pid)?.threads).toBe(2);
    scene.target('the zombie leader', pid);
    const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir });
    scene.check('a zombie leader with live threads', report);
    expect(signalled(report)).toContain(pid);
  });

  it('a daemon that ignores SIGTERM', async () => {
    const daemon = await scene.sb.start({ env: stubborn });
    scene.target('the daemon', daemon.pid);
    scene.remove('its socket', daemon.socketPath);
    scene.remove('its pid file', scene.sb.pidFile);
    await scene.bystander('an unrelated process');
    const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir, graceMs: 200 });
    scene.check('a daemon that ignores SIGTERM', report);
    expect(report.processes).toContainEqual(expect.objectContaining({ pid: daemon.pid, action: 'killed', signal: 'SIGKILL' }));
  });

  it('children that escape into a session of their own', async () => {
    const daemon = await scene.sb.start({ env: { ...stubborn, FAKE_MCP_CHILDREN: '2', FAKE_MCP_CHILD_IGNORE_TERM: '1', FAKE_MCP_DETACHED_CHILD: '1' } });
    const escaped = daemon.children.at(-1)!;
    expect(readStat(escaped)?.sid).toBe(escaped);
    scene.target('the daemon', daemon.pid);
    for (const child of daemon.children) scene.target(child === escaped ? 'the child in its own session' : 'a child', child);
    await scene.bystander('an unrelated process');
    const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir, graceMs: 200 });
    scene.check('children that escape into a session of their own', report);
  });

  it('a supervisor that starts the daemon again', async () => {
    const firstReady = path.join(scene.sb.root, 'first-ready.json');
    const script = path.join(scene.sb.binDir, 'supervisor.mjs');
    fs.writeFileSync(
      script,
      `import { spawn } from 'node:child_process';
const start = (ready) => spawn(${JSON.stringify(scene.sb.bin)}, ['daemon', '--foreground'], { stdio: 'ignore', env: { ...process.env, ...(ready && { FAKE_MCP_READY_FILE: ready }) } }).on('exit', () => start());
start(${JSON.stringify(firstReady)});
setInterval(() => {}, 1e6);
`,
    );
    const supervisor = scene.sb.spawnRaw([script], {}, { command: process.execPath, detached: true, stdio: 'ignore' });
    await waitFor(() => fs.existsSync(firstReady), { timeoutMs: 15_000, message: 'the supervised daemon' });
    const first = (JSON.parse(fs.readFileSync(firstReady, 'utf8')) as { pid: number }).pid;
    scene.watch('the supervisor (not a daemon: never signalled)', supervisor.pid);
    scene.target('the first daemon', first);
    const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir, respawnWindowMs: 3000 });
    scene.check('a supervisor that starts the daemon again', report);
    // The one that came back is not hidden: it is reported, and the sweep is not ok.
    expect(report.ok).toBe(false);
    expect(report.processes.filter((p) => p.action === 'respawned')).toHaveLength(1);
  });

  it('the runner is SIGKILLed mid-run: its watchdog sweeps its daemons, and only those', async () => {
    const runId = `run-${uniqueFakeName()}`;
    const marker = path.join(scene.sb.root, 'marker.json');
    const ready = path.join(scene.sb.root, 'run-daemon.json');
    const runSocket = path.join(scene.sb.root, 'run.sock');
    const runner = path.join(scene.sb.binDir, 'fake-runner.mjs');
    fs.writeFileSync(
      runner,
      `import { spawn } from 'node:child_process';
import fs from 'node:fs';
const { startWatchdog } = await import(${JSON.stringify(DIST)});
const watchdog = await startWatchdog({ owner: ${JSON.stringify(runId)}, names: [${JSON.stringify(scene.name)}], dir: ${JSON.stringify(scene.sb.stateDir)}, intervalMs: 100 });
spawn(${JSON.stringify(scene.sb.bin)}, ['daemon', '--foreground', '--socket-path', ${JSON.stringify(runSocket)}], {
  detached: true, stdio: 'ignore',
  env: { ...process.env, FAKE_MCP_IGNORE_TERM: '1', ${OWNER_ENV}: ${JSON.stringify(`${runId}/w1/t1`)}, FAKE_MCP_READY_FILE: ${JSON.stringify(ready)} },
}).unref();
while (!fs.existsSync(${JSON.stringify(ready)})) await new Promise((resolve) => setTimeout(resolve, 5));
fs.writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ watchdog: watchdog.pid, daemon: JSON.parse(fs.readFileSync(${JSON.stringify(ready)}, 'utf8')).pid }));
setInterval(() => {}, 1e6);
`,
    );
    const otherSocket = path.join(scene.sb.root, 'other.sock');
    const neighbour = await scene.sb.start({ args: ['daemon', '--socket-path', otherSocket], env: { [OWNER_ENV]: 'another-run/w1' } });
    await scene.bystander('an unrelated process');
    const child = spawn(process.execPath, [runner], { detached: true, stdio: 'ignore', env: { ...process.env, XDG_DATA_HOME: scene.sb.dataHome } });
    scene.sb.track(child.pid!);
    await waitFor(() => fs.existsSync(marker), { timeoutMs: 15_000, message: 'the fake runner to start its daemon' });
    const { watchdog, daemon } = JSON.parse(fs.readFileSync(marker, 'utf8')) as { watchdog: number; daemon: number };
    scene.sb.track(watchdog);
    scene.sb.track(daemon);
    scene.target("the run's daemon", daemon);
    scene.remove("the run's socket", runSocket);
    scene.watch("another run's daemon", neighbour.pid);
    scene.keep("another run's socket", otherSocket);

    process.kill(-child.pid!, 'SIGKILL');
    await waitFor(() => !isAlive(daemon) && !isAlive(watchdog), { timeoutMs: 15_000, message: "the watchdog to stop the run's daemon and exit" });
    await waitFor(() => !fs.existsSync(runSocket), { message: "the run's socket to be removed" }).catch(() => undefined);
    scene.check('the runner is SIGKILLed mid-run');
  });

  it('16 sweeps at once over the same mess', async () => {
    const sockets: string[] = [];
    const daemons = [await scene.sb.start({ env: stubborn })];
    sockets.push(daemons[0]!.socketPath);
    for (let i = 0; i < 3; i++) {
      const socket = path.join(scene.sb.root, `own-${i}.sock`);
      sockets.push(socket);
      daemons.push(await scene.sb.start({ args: ['daemon', '--socket-path', socket], env: { ...(i % 2 === 0 && stubborn), FAKE_MCP_CHILDREN: '1' } }));
    }
    for (const daemon of daemons) {
      scene.target('a daemon', daemon.pid);
      for (const child of daemon.children) scene.target('a daemon’s child', child);
    }
    for (const socket of sockets.slice(0, 3).filter((_, i) => i % 2 === 0)) scene.remove('a stubborn daemon’s socket', socket);
    scene.remove('the pid file', scene.sb.pidFile);
    const foreign = path.join(scene.sb.root, 'foreign.sock');
    await scene.bystander('a process listening on a foreign socket', { listen: foreign });
    scene.keep('the foreign socket', foreign);
    await scene.bystander('a serve in use', { name: scene.name, dir: path.join(scene.sb.binDir, 'serve'), args: ['serve'] });

    const options = JSON.stringify({ names: [scene.name], dir: scene.sb.stateDir, graceMs: 300 });
    const code = `const { sweep } = await import(${JSON.stringify(DIST)}); console.log(JSON.stringify(await sweep(${options})));`;
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, () => run(process.execPath, ['--input-type=module', '-e', code], { maxBuffer: 1 << 24 })),
    );
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(errors).toEqual([]);
    const reports = results.map((r) => JSON.parse((r as PromiseFulfilledResult<{ stdout: string }>).value.stdout) as SweepReport);
    scene.check('16 sweeps at once over the same mess', { processes: reports.flatMap((r) => r.processes) });

    // No double-reporting: within a report each pid and path once; across all, each file removed once.
    for (const report of reports) {
      expect(new Set(report.processes.map((p) => p.pid)).size).toBe(report.processes.length);
      expect(new Set(report.files.map((f) => f.path)).size).toBe(report.files.length);
      expect(report.processes.filter((p) => p.action === 'survived' || p.action === 'skipped')).toEqual([]);
    }
    const removals = reports.flatMap((r) => r.files.filter((f) => f.action === 'removed').map((f) => f.path));
    expect(new Set(removals).size).toBe(removals.length);
  });
});
