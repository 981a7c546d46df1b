// Test helpers around the fake daemon (test/fixtures/fake-mcp-server-pm.mjs).
//
// Typical use:
//   let sandbox: Sandbox;
//   beforeEach(async () => { sandbox = await createSandbox(); });
//   afterEach(async () => { await sandbox.cleanup(); });
//   const daemon = await sandbox.start();                  // forking `daemon`, like the real one
//   const fg = await sandbox.start({ foreground: true, env: { FAKE_MCP_IGNORE_TERM: '1' } });
//
// Every fake runs under a unique kernel name (`mcpt-xxxxxx`, never `mcp-server-pm`, which other
// sessions' tests sweep), from a wrapper in the sandbox's own bin dir. Cleanup kills only processes
// it can prove are this sandbox's: same start time as when recorded, and either spawned here (even
// if it exec'd into something else since) or with a command line that names the sandbox's bin dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LOG_DIR_ENV, LOG_DIR_PREFIX } from '../../packages/core/src/config/names.js';
import { isAlive, liveProcesses, readCmdline, readStat, waitFor } from './wait.js';

/** Absolute path of the fake daemon's implementation. */
export const FAKE_SCRIPT = fileURLToPath(new URL('../fixtures/fake-mcp-server-pm.mjs', import.meta.url));
/** The other fakes a stack is made of: the REST server, the coordinator, the one-shot seed. */
export const FAKE_REST = fileURLToPath(new URL('../fixtures/fake-rest-server-pm.mjs', import.meta.url));
export const FAKE_COORDINATOR = fileURLToPath(new URL('../fixtures/fake-coordinator.mjs', import.meta.url));
export const FAKE_SEED = fileURLToPath(new URL('../fixtures/fake-seed.mjs', import.meta.url));

/** The kernel keeps at most 15 characters of a process name (/proc/PID/comm). */
export const MAX_COMM_LENGTH = 15;

/** A fresh fake name, `mcpt-` + 6 hex digits: unique, and short enough to survive comm truncation. */
export function uniqueFakeName(): string {
  return `mcpt-${randomBytes(3).toString('hex')}`;
}

/**
 * Writes an executable `<binDir>/<name>` that runs the fake. The shebang names node by absolute
 * path (not `/usr/bin/env node`, which would exec node and make the process name `node`), so the
 * process's comm is `name` and its argv is `[node, <binDir>/<name>, ...args]`.
 */
export async function installFake(binDir: string, name: string, script = FAKE_SCRIPT): Promise<string> {
  if (name.length === 0 || name.length > MAX_COMM_LENGTH || name.includes('/')) {
    throw new Error(`fake name must be 1-${MAX_COMM_LENGTH} characters without '/': ${JSON.stringify(name)}`);
  }
  if (name === 'mcp-server-pm') {
    throw new Error('refusing the real name: other test sessions sweep processes called mcp-server-pm');
  }
  await fsp.mkdir(binDir, { recursive: true });
  const bin = path.join(binDir, name);
  const body = `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(script).href)});\n`;
  await fsp.writeFile(bin, body, { mode: 0o755 });
  return bin;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process this sandbox spawned directly. */
export interface RawProcess {
  pid: number;
  child: ChildProcess;
  /** Settles when the process exits (its stdio may still be open). */
  exited: Promise<ExitInfo>;
  /** Settles when the process exited and its stdio closed: all output is in. */
  closed: Promise<ExitInfo>;
  /** Output captured so far ('' when that stream is not piped). */
  stdout(): string;
  stderr(): string;
}

export interface SpawnRawOptions {
  /** Executable to run (default: the sandbox's fake). Use `sandbox.install()` for a second fake. */
  command?: string;
  /** Own session and process group (setsid). Default false. */
  detached?: boolean;
  /** 'pipe' (default) captures output and lets the test write to stdin; 'ignore' uses /dev/null. */
  stdio?: 'pipe' | 'ignore';
  cwd?: string;
}

export interface StartOptions {
  /** Arguments (default ['daemon']). */
  args?: string[];
  /** Extra environment; `undefined` removes a variable. XDG_DATA_HOME is the sandbox's by default. */
  env?: Record<string, string | undefined>;
  /** Adds `--foreground`: the spawned process is the daemon itself (no fork). */
  foreground?: boolean;
  /**
   * Spawn in a new session/process group. Default false, so a foreground daemon shares the test
   * runner's group: beware of killing its group. (A forking daemon is in its own session anyway.)
   */
  detached?: boolean;
  /** How long to wait for the daemon to be ready (default 15 s: node starts twice in fork mode, slow on a loaded box). */
  timeoutMs?: number;
}

/** A daemon that reported ready. */
export interface StartedDaemon {
  /** The real daemon: the forked child in fork mode, the spawned process with --foreground. */
  pid: number;
  /** Its process group (from /proc/PID/stat), when known. */
  pgid: number | undefined;
  /** Children the daemon spawned (FAKE_MCP_CHILDREN, then FAKE_MCP_DETACHED_CHILD last). */
  children: number[];
  /** Absolute socket path (which may not exist yet with FAKE_MCP_SOCKET_DELAY_MS / NO_SOCKET). */
  socketPath: string;
  /** The process the test spawned: the short-lived forking parent, or the daemon itself. */
  launcher: RawProcess;
}

export interface Sandbox {
  /** Temp dir holding everything below. */
  root: string;
  binDir: string;
  /** Passed to fakes as XDG_DATA_HOME. */
  dataHome: string;
  /** `dataHome/AIAgentPM`, created by the first daemon, not up front. */
  stateDir: string;
  pidFile: string;
  /** The default socket path, `stateDir/mcp.sock`. */
  socketPath: string;
  /** The fake's unique name (also its comm). */
  name: string;
  /** Path of the fake's wrapper executable. */
  bin: string;
  /** Log lines of every fake started by this sandbox (forked daemons' stderr goes nowhere). */
  logFile: string;
  /** Installs another fake in binDir (fresh unique name by default; the fake daemon unless `script` says) and returns its path. */
  install(name?: string, script?: string): Promise<string>;
  /** Starts a daemon and waits until it reports ready. */
  start(options?: StartOptions): Promise<StartedDaemon>;
  /** Spawns the fake (or `options.command`) with these args, not waiting for anything. */
  spawnRaw(args: string[], env?: Record<string, string | undefined>, options?: SpawnRawOptions): RawProcess;
  /** Records a pid (e.g. one a test learned elsewhere) so cleanup kills it if it is still ours. */
  track(pid: number): void;
  /** SIGKILLs every process of this sandbox that is still alive, waits for them, removes root. Idempotent. */
  cleanup(): Promise<void>;
}

/** A pid cleanup may kill, with what identifies it as ours. */
interface Tracked {
  startTime: string;
  /** Spawned here (not found by a scan or learned elsewhere): its start time alone proves it ours. */
  spawned?: true;
}

const OUTPUT_LIMIT = 1 << 20;

/** Creates a sandbox with a freshly installed fake. Call `cleanup()` in afterEach. */
export async function createSandbox(): Promise<Sandbox> {
  const root = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'mcp-reaper-test-')));
  const binDir = path.join(root, 'bin');
  const dataHome = path.join(root, 'data');
  const stateDir = path.join(dataHome, 'AIAgentPM');
  const logFile = path.join(root, 'fake.log');
  await fsp.mkdir(dataHome);
  const name = uniqueFakeName();
  const bin = await installFake(binDir, name);

  const tracked = new Map<number, Tracked>();
  const logDirs = new Set<string>();
  // Exit events of the children spawned here: cleanup waits for them, so that no ProcessWrap of this
  // test is still open in the next one (a test that counts the event loop's handles would see it).
  const exits: Array<Promise<unknown>> = [];
  let readyCounter = 0;
  let cleaning: Promise<void> | undefined;

  const track = (pid: number, spawned = false): void => {
    const stat = readStat(pid);
    if (stat === undefined || tracked.has(pid)) return;
    tracked.set(pid, spawned ? { startTime: stat.startTime, spawned } : { startTime: stat.startTime });
  };

  const environment = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {};
    // The runner's own FAKE_MCP_* settings must not leak into a fake.
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('FAKE_MCP_')) env[key] = value;
    }
    env.XDG_DATA_HOME = dataHome;
    env.FAKE_MCP_LOG_FILE = logFile;
    for (const [key, value] of Object.entries(extra)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    return env;
  };

  const spawnRaw = (
    args: string[],
    env: Record<string, string | undefined> = {},
    options: SpawnRawOptions = {},
  ): RawProcess => {
    if (cleaning) throw new Error('sandbox already cleaned up');
    const command = options.command ?? bin;
    const stdio = options.stdio ?? 'pipe';
    const child = spawn(command, args, {
      env: environment(env),
      detached: options.detached ?? false,
      stdio,
      cwd: options.cwd ?? root,
    });
    if (child.pid === undefined) {
      throw new Error(`could not spawn ${command}`);
    }
    track(child.pid, true);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (out.length < OUTPUT_LIMIT) out += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (err.length < OUTPUT_LIMIT) err += chunk;
    });
    // A test may stop reading or the process may die while a write is pending: not an error here.
    child.stdin?.on('error', () => {});
    const settle = (event: 'exit' | 'close') =>
      new Promise<ExitInfo>((resolve) => {
        child.once(event, (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
      });
    const exited = settle('exit');
    const closed = settle('close');
    exits.push(exited);
    child.on('error', () => {}); // surfaced through exited/closed and the pid check above
    return { pid: child.pid, child, exited, closed, stdout: () => out, stderr: () => err };
  };

  const start = async (options: StartOptions = {}): Promise<StartedDaemon> => {
    const args = [...(options.args ?? ['daemon'])];
    if (options.foreground && !args.includes('--foreground')) args.push('--foreground');
    const readyFile = path.join(root, `ready-${++readyCounter}.json`);
    const launcher = spawnRaw(args, { ...options.env, FAKE_MCP_READY_FILE: readyFile }, {
      detached: options.detached ?? false,
    });
    let exit: ExitInfo | undefined;
    void launcher.exited.then((info) => (exit = info));
    // In fork mode the launcher exits 0 early by design; any other exit before ready is a failure.
    const forking = args[0] === 'daemon' && !args.includes('--foreground');
    const failed = (info: ExitInfo): boolean => !forking || info.code !== 0;

    type Outcome = { ready: ReadyInfo } | { exit: ExitInfo };
    const outcome = await waitFor<Outcome>(
      () => {
        const ready = readReadyFile(readyFile);
        if (ready) return { ready };
        if (exit && failed(exit)) return { exit };
        return undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 15_000,
        message: () => `fake ${name} ${args.join(' ')} to be ready\n${diagnostics(launcher, logFile)}`,
      },
    );
    if ('exit' in outcome) {
      await Promise.race([launcher.closed, new Promise((resolve) => setTimeout(resolve, 200))]);
      throw new Error(
        `fake ${name} ${args.join(' ')} exited before ready (code ${outcome.exit.code}, signal ${outcome.exit.signal})\n` +
          diagnostics(launcher, logFile),
      );
    }
    const { ready } = outcome;
    track(ready.pid);
    for (const pid of ready.children) track(pid);
    return {
      pid: ready.pid,
      pgid: ready.pgid ?? readStat(ready.pid)?.pgid,
      children: ready.children,
      socketPath: ready.socketPath ?? path.join(stateDir, 'mcp.sock'),
      launcher,
    };
  };

  /** True if `pid` is still the process we recorded (same start time) and still one of ours. */
  const stillOurs = (pid: number, record: Tracked): boolean => {
    const stat = readStat(pid);
    if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
    if (stat.startTime !== record.startTime) return false; // pid reused by someone else
    // Spawned here, with this start time: ours, whatever it exec'd into since (`exec -a`) or however
    // it retitled itself; its command line no longer names the bin dir.
    if (record.spawned) return true;
    return (readCmdline(pid) ?? []).some((arg) => arg.startsWith(binDir + path.sep));
  };

  /** Live processes whose argv names this sandbox's bin dir, e.g. a daemon whose ready file we never read. */
  const scanForStrays = (): void => {
    for (const { pid, argv } of liveProcesses()) {
      if (!tracked.has(pid) && argv.some((arg) => arg.startsWith(binDir + path.sep))) track(pid);
    }
  };

  const killAll = async (): Promise<void> => {
    // A dying daemon may have forked a moment ago: scan and kill until a pass finds nothing.
    for (let round = 0; round < 5; round++) {
      // /proc, not the platform: the darwin project runs the core as macOS on Linux, and strays still exist.
      if (fs.existsSync('/proc/self/stat')) scanForStrays();
      const victims = [...tracked].filter(([pid, record]) => stillOurs(pid, record)).map(([pid]) => pid);
      if (victims.length === 0) return;
      // A daemon startDaemon() started logs to a temp dir that whoever stops it removes: here, us.
      for (const pid of victims) {
        const dir = logDirOf(pid);
        if (dir !== undefined) logDirs.add(dir);
      }
      for (const pid of victims) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone between the check and the kill.
        }
      }
      await waitFor(() => victims.every((pid) => !isAlive(pid)), {
        timeoutMs: 5_000,
        message: `sandbox processes ${victims.join(', ')} to die after SIGKILL`,
      });
    }
  };

  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      try {
        await killAll();
        for (const dir of logDirs) await fsp.rm(dir, { recursive: true, force: true });
        // Every direct child is dead by now: its exit event follows as soon as Node reaps it.
        await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      } finally {
        await fsp.rm(root, { recursive: true, force: true });
      }
    })();
    return cleaning;
  };

  return {
    root,
    binDir,
    dataHome,
    stateDir,
    pidFile: path.join(stateDir, 'daemon.pid'),
    socketPath: path.join(stateDir, 'mcp.sock'),
    name,
    bin,
    logFile,
    install: (another = uniqueFakeName(), script = FAKE_SCRIPT) => installFake(binDir, another, script),
    start,
    spawnRaw,
    track: (pid) => track(pid),
    cleanup,
  };
}

interface ReadyInfo {
  pid: number;
  pgid?: number;
  children: number[];
  socketPath?: string;
}

/** The fake's ready file, or undefined while it is not there (it is renamed into place whole). */
function readReadyFile(file: string): ReadyInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as ReadyInfo;
}

function diagnostics(launcher: RawProcess, logFile: string): string {
  let log = '';
  try {
    log = fs.readFileSync(logFile, 'utf8');
  } catch {
    // No fake has logged yet.
  }
  return `--- stderr of pid ${launcher.pid} ---\n${launcher.stderr()}--- ${logFile} ---\n${log}`;
}

/** One JSON-RPC message as the fake sends it. */
export interface RpcResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string };
}

/**
 * Sends `requests` over one connection to a Unix socket, one JSON line each, and resolves to the
 * replies in arrival order once one has come for every request that has an id.
 */
export function socketRpc(socketPath: string, requests: readonly object[], timeoutMs = 5_000): Promise<RpcResponse[]> {
  const expected = requests.filter((request) => 'id' in request).length;
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const replies: RpcResponse[] = [];
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${socketPath} within ${timeoutMs} ms (got ${replies.length}/${expected})`));
    }, timeoutMs);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(requests.map((request) => `${JSON.stringify(request)}\n`).join(''));
      if (expected === 0) finish();
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        replies.push(JSON.parse(buffer.slice(0, newline)) as RpcResponse);
        buffer = buffer.slice(newline + 1);
      }
      if (replies.length >= expected) finish();
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => {
      if (replies.length < expected) finish(new Error(`${socketPath} closed after ${replies.length}/${expected} replies`));
    });
  });
}

/** The temp log dir startDaemon() gave this process (MCP_REAPER_LOG_DIR), if it is one. */
function logDirOf(pid: number): string | undefined {
  let environ: string;
  try {
    environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const dir = environ.split('\0').find((entry) => entry.startsWith(`${LOG_DIR_ENV}=`))?.slice(LOG_DIR_ENV.length + 1);
  return dir !== undefined && path.dirname(dir) === os.tmpdir() && path.basename(dir).startsWith(LOG_DIR_PREFIX) ? dir : undefined;
}

/**
 * A small supervisor in `sb`, like launchd's KeepAlive: starts the sandbox's daemon (foreground, on
 * `kept-alive.sock`), and again each time it exits. Resolves `firstDaemon` to the first one's pid.
 * `restartEnv`, `restartSocket`: what the daemons it starts again get on top of its environment, and
 * their socket (the first daemon gets neither).
 */
export function startSupervisor(
  sb: Sandbox,
  options: { restartEnv?: Record<string, string>; restartSocket?: string } = {},
): { pid: number; firstDaemon: Promise<number> } {
  const ready = path.join(sb.root, 'first-ready.json');
  const script = path.join(sb.binDir, 'supervisor.mjs');
  fs.writeFileSync(
    script,
    `import { spawn } from 'node:child_process';
const start = (ready) => {
  const env = { ...process.env, ...(ready ? { FAKE_MCP_READY_FILE: ready } : ${JSON.stringify(options.restartEnv ?? {})}) };
  const socket = ready ? ${JSON.stringify(path.join(sb.root, 'kept-alive.sock'))} : ${JSON.stringify(options.restartSocket ?? path.join(sb.root, 'kept-alive.sock'))};
  spawn(${JSON.stringify(sb.bin)}, ['daemon', '--foreground', '--socket-path', socket], { stdio: 'ignore', env })
    .on('exit', () => start());
};
start(${JSON.stringify(ready)});
setInterval(() => {}, 1e6);
`,
  );
  const supervisor = sb.spawnRaw([script], {}, { command: process.execPath, detached: true, stdio: 'ignore' });
  const firstDaemon = waitFor(() => fs.existsSync(ready), { message: 'the supervised daemon' }).then(
    () => (JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number }).pid,
  );
  return { pid: supervisor.pid, firstDaemon };
}
