// Shared helpers for the benchmarks: statistics, a sandbox of uniquely named fake daemons, and
// cleanup that only ever touches processes this run started.
//
// Safety rules every bench follows:
//   - fake daemons run under a unique kernel name (`mcpb-` + 6 hex digits, 11 characters), from a
//     wrapper in a fresh temp dir; sweep() is always called with `names: [that name]` and a `dir`
//     inside that temp dir, never with the defaults;
//   - a process is signalled by cleanup only if it is our own unreaped child (Node has not seen it
//     exit, so its pid cannot have been reused) or its /proc/PID/cmdline names our temp dir.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const FAKE_SCRIPT = path.join(REPO, 'test/fixtures/fake-mcp-server-pm.mjs');

// The committed bench imports the built library; MCP_REAPER_BENCH_CORE may point at another build
// of the same sources (e.g. an esbuild bundle while the CLI entry is mid-edit and tsup fails).
const coreUrl = process.env.MCP_REAPER_BENCH_CORE
  ? pathToFileURL(path.resolve(process.env.MCP_REAPER_BENCH_CORE)).href
  : new URL('../packages/core/dist/index.js', import.meta.url).href;
/** The core's `sweep`, from ../packages/core/dist/index.js. */
export const core = await import(coreUrl);
export const { sweep } = core;
export { coreUrl };

// ---------------------------------------------------------------------------------------------
// Statistics and formatting.

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function stats(values) {
  return {
    n: values.length,
    median: round(median(values)),
    p90: round(percentile(values, 90)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  };
}

export function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmtMs(ms) {
  return ms >= 100 ? `${Math.round(ms)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function ratio(a, b) {
  return round(a / b, 2);
}

export async function timeAsync(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** True when the file is executed directly (`node bench/x.mjs`), not imported by run.mjs. */
function isMain(metaUrl) {
  return process.argv[1] !== undefined && pathToFileURL(path.resolve(process.argv[1])).href === metaUrl;
}

/** A bench file's entry point: when executed directly, runs its bench and prints the summary. */
export async function runIfMain(metaUrl, run) {
  if (!isMain(metaUrl)) return;
  const result = await run();
  console.log(result.summary.join('\n'));
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${os.release()}`,
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    loadavg: os.loadavg().map((l) => round(l, 2)),
    processes: countProcesses(),
    date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// /proc helpers (Linux).

export function countProcesses() {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
}

/** State letter of a process from /proc/PID/stat, or undefined when there is no such entry. */
export function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Gone for every purpose: no entry, or a zombie / dead entry (pid 1 may reap late here). */
export function isGone(pid) {
  const state = procState(pid);
  return state === undefined || state === 'Z' || state === 'X';
}

export function readCmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

export const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until every pid is gone (or a zombie); throws after `timeoutMs`. */
export async function waitGone(pids, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  let left = pids.filter((pid) => !isGone(pid));
  while (left.length > 0) {
    if (performance.now() > deadline) throw new Error(`still running after ${timeoutMs} ms: ${left.join(', ')}`);
    await pause(2);
    left = left.filter((pid) => !isGone(pid));
  }
}

// ---------------------------------------------------------------------------------------------
// Sandbox: temp dir, uniquely named fake daemon, tracked processes, cleanup.

const liveSandboxes = new Set();

// Last resort if a bench dies between spawn and its `finally`: kill our own unreaped children.
process.once('exit', () => {
  for (const sandbox of liveSandboxes) sandbox.killChildrenSync();
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const sandbox of liveSandboxes) sandbox.cleanupSync();
    process.exit(130);
  });
}

export function uniqueName() {
  return `mcpb-${randomBytes(3).toString('hex')}`;
}

export class Sandbox {
  constructor() {
    this.name = uniqueName();
    if (this.name.length > 15) throw new Error('process names are cut at 15 characters');
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${this.name}-`));
    this.binDir = path.join(this.tmp, 'bin');
    /** Where the fake keeps daemon.pid ($XDG_DATA_HOME/AIAgentPM); the `dir` given to sweep(). */
    this.stateDir = path.join(this.tmp, 'AIAgentPM');
    fs.mkdirSync(this.binDir);
    fs.mkdirSync(path.join(this.tmp, 'run'));
    this.bin = path.join(this.binDir, this.name);
    // Absolute node in the shebang: the kernel then names the process after the wrapper (comm).
    fs.writeFileSync(this.bin, `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(FAKE_SCRIPT).href)});\n`, {
      mode: 0o755,
    });
    /** Every ChildProcess we spawned (daemons and filler processes). */
    this.children = [];
    /** Pids reported by daemons' ready files (their children are not ours to wait for). */
    this.extraPids = new Set();
    this.serial = 0;
    liveSandboxes.add(this);
  }

  /** The options every sweep of this sandbox uses: only our name, only our dir. */
  sweepOptions(extra = {}) {
    return { names: [this.name], dir: this.stateDir, ...extra };
  }

  /**
   * Starts `count` fake daemons (own session each) and waits until all are ready. By default they
   * run in the foreground, our children. `orphaned`: in fork mode, as the real daemon runs, the
   * launcher exits and init adopts the daemon, as it does every leftover whose runner is gone.
   */
  async startDaemons(count, env = {}, { orphaned = false } = {}) {
    const pending = [];
    for (let i = 0; i < count; i++) {
      const id = this.serial++;
      const readyPath = path.join(this.tmp, 'run', `${id}.ready`);
      const sock = path.join(this.tmp, 'run', `${id}.sock`);
      const args = orphaned ? ['daemon', '--socket-path', sock] : ['daemon', '--foreground', '--socket-path', sock];
      const child = spawn(this.bin, args, {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, ...env, XDG_DATA_HOME: this.tmp, FAKE_MCP_READY_FILE: readyPath },
      });
      child.on('error', () => {}); // reported as "not ready" below
      child.unref();
      this.children.push(child);
      pending.push({ child, readyPath });
    }
    const daemons = [];
    const deadline = performance.now() + 60_000;
    for (const { child, readyPath } of pending) {
      for (;;) {
        const text = tryRead(readyPath);
        if (text) {
          const ready = JSON.parse(text);
          for (const pid of ready.children) this.extraPids.add(pid);
          daemons.push(ready);
          break;
        }
        const launcherDone = orphaned && child.exitCode === 0;
        if (!launcherDone && (child.exitCode !== null || child.signalCode !== null)) {
          throw new Error(`fake daemon ${child.pid} exited before it was ready (${child.exitCode ?? child.signalCode})`);
        }
        if (performance.now() > deadline) throw new Error(`fake daemon ${child.pid} not ready after 60 s`);
        await pause(2);
      }
    }
    // An orphan is adopted once its launcher has exited (at once, after the fork).
    if (orphaned) await Promise.all(pending.map(({ child }) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
    return daemons;
  }

  /** Spawns `count` `sleep 600` processes (tracked, killed at cleanup). */
  spawnSleepers(count) {
    const pids = [];
    for (let i = 0; i < count; i++) {
      const child = spawn('sleep', ['600'], { stdio: 'ignore' });
      child.on('error', () => {});
      this.children.push(child);
      pids.push(child.pid);
    }
    return pids;
  }

  /** SIGKILL our children Node has not reaped yet (so their pids cannot have been reused). */
  killChildrenSync() {
    for (const child of this.children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /** SIGKILL every process whose command line names our temp dir (the daemons' children among them). */
  killStraysSync() {
    const killed = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (pid === process.pid || isGone(pid)) continue;
      const cmdline = readCmdline(pid);
      if (cmdline && cmdline.includes(this.tmp)) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.push(pid);
        } catch {
          // gone meanwhile
        }
      }
    }
    return killed;
  }

  cleanupSync() {
    this.killChildrenSync();
    this.killStraysSync();
    fs.rmSync(this.tmp, { recursive: true, force: true });
    liveSandboxes.delete(this);
  }

  async cleanup() {
    this.killChildrenSync();
    const strays = this.killStraysSync();
    const pids = [...this.children.map((c) => c.pid).filter((p) => p !== undefined), ...this.extraPids, ...strays];
    try {
      await waitGone(pids, 10_000);
      // Our own children stay zombies until Node reaps them: wait for that, so none outlive the run.
      const deadline = performance.now() + 5_000;
      while (this.children.some((c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null)) {
        if (performance.now() > deadline) break;
        await pause(2);
      }
    } catch (error) {
      process.stderr.write(`bench cleanup: ${error.message}\n`);
    }
    fs.rmSync(this.tmp, { recursive: true, force: true });
    liveSandboxes.delete(this);
  }
}

function tryRead(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `pkill -9 -x <name>`: exact kernel-name match, our unique name only. Returns the wall time in ms. */
export function pkillExact(name, signal = 'KILL') {
  if (!/^mcpb-[0-9a-f]{6}$/.test(name)) throw new Error(`refusing to pkill ${name}`);
  const t0 = performance.now();
  const result = spawnSync('pkill', [`-${signal}`, '-x', name], { stdio: 'ignore' });
  const ms = performance.now() - t0;
  if (result.error) throw result.error;
  return { ms, status: result.status };
}

// ---------------------------------------------------------------------------------------------
// Sample projects: our packages as a user installs them, the fixtures under unique names.

/** Packs these workspace packages (pnpm rewrites workspace:* as publishing would): name → `file:` tarball. */
export function packWorkspace(out, dirs) {
  const tarballs = {};
  for (const dir of dirs) {
    const packageDir = path.join(REPO, 'packages', dir);
    const { name } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const before = new Set(fs.readdirSync(out));
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: packageDir, stdio: 'ignore' });
    const file = fs.readdirSync(out).find((f) => !before.has(f));
    tarballs[name] = `file:${path.join(out, file)}`;
  }
  return tarballs;
}

/** A wrapper for a test fixture, named `name` (its kernel name), in the sandbox's bin dir: its path. */
export function installFixture(sandbox, fixture, name) {
  const bin = path.join(sandbox.binDir, name);
  const url = pathToFileURL(path.join(REPO, 'test/fixtures', fixture)).href;
  fs.writeFileSync(bin, `#!${process.execPath}\nimport(${JSON.stringify(url)});\n`, { mode: 0o755 });
  return bin;
}

/** Live processes (zombies are gone) whose command line names `dir`: ours, when it is our temp dir. */
export function processesNaming(dir) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (isGone(Number(entry))) continue;
    const cmdline = readCmdline(Number(entry));
    if (cmdline?.includes(dir)) found.push({ pid: Number(entry), cmd: cmdline.replaceAll('\0', ' ').trim() });
  }
  return found;
}

/** Polls `check` every 5 ms; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await pause(5);
  }
}

/** Every file and dir below `dir` (relative), or [] when it does not exist. */
export function entriesBelow(dir) {
  try {
    return fs.readdirSync(dir, { recursive: true }).map(String);
  } catch {
    return [];
  }
}

/** The registry below a bench's TMPDIR: every entry of `stacks/`, `ports/` and `runs/`, sorted. */
export function registryEntries(tmp) {
  const root = path.join(tmp, `mcp-reaper-${process.getuid()}`);
  return ['stacks', 'ports', 'runs'].flatMap((dir) => entriesBelow(path.join(root, dir)).map((e) => path.join(dir, e))).sort();
}
