// One service of a stack: started in a process group of its own with the run's tag and its output
// in a log file, ready by its check, stopped as a daemon is (SIGTERM to the group, grace, SIGKILL,
// each verified), and then checked to have let go of its socket and port. A service with `port: 0`
// picks its own port: it is read from the group's listening sockets (or a named group of a `line`
// check) before the ready check, which may use `${port}`, runs.
import { debuglog } from 'node:util';
import { OWNER_ENV } from '../config/names.js';
import { lineGives, substituteReady, type PlaceholderValues, type ReadyCheck, type ServiceFacts } from '../config/stack-options.js';
import { spawnDetached, type DetachedChild } from '../daemon/spawn-detached.js';
import { describeExit, stopDaemonGroup, type DaemonExit } from '../daemon/stop-group.js';
import { ReaperError } from '../errors.js';
import { openOutputLog, type OutputLog } from '../files/output-log.js';
import type { ProcessSource } from '../processes/process-source.js';
import { hostsOf, lineProbe, portProbe, socketIdentity, socketProbe, urlProbe } from '../ready/probes.js';
import { waitReady, type Probe, type ReadyOutcome } from '../ready/wait-ready.js';
import type { SweepReport } from '../report.js';
import { groupListeningPorts, isListening } from './port-listeners.js';

const debug = debuglog('mcp-reaper');

/** How many of a service's last output lines a failed start shows. */
const OUTPUT_LINES = 20;
/** How long a stopped service's port may take to be free (its sockets close as it exits). */
const RELEASE_WAIT_MS = 1000;
/** The longest pause between looks for the port a `port: 0` service bound: each look lists the process table. */
const DISCOVERY_POLL_MS = 25;

/** A service that is running and ready. */
export interface ServiceHandle {
  readonly name: string;
  /** The process that was started: the leader of its own process group. */
  readonly pid: number;
  readonly port: number | undefined;
  readonly socket: string | undefined;
  readonly url: string | undefined;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
}

/** How a service was stopped, and whether it let go of what it declared. */
export interface ServiceStop {
  name: string;
  /** The stop of its process group, as a sweep reports. */
  report: SweepReport;
  /** Declared and still held after the stop: its socket file, its port. Empty when all was released. */
  held: string[];
  ok: boolean;
}

export interface RunningService extends ServiceHandle {
  /** Every call returns the same promise. */
  stop(): Promise<ServiceStop>;
}

/** Why a service did not start: the service, what it waited for, its last output, what was cleaned up. */
export class ServiceStartError extends ReaperError {
  constructor(
    code: 'ESERVICEEXIT' | 'ESERVICETIMEOUT' | 'EPORTHELD' | 'EINVALIDOPTION',
    message: string,
    readonly service: string,
    readonly output: string[] = [],
    options?: { cause?: unknown },
    /** It exited before it was ready: `port` was what it was given. The stack may try another auto port. */
    readonly exitedEarly = false,
  ) {
    super(code, message, options);
  }
}

/** One service, with every placeholder it can know before it starts already replaced. */
export interface ServiceContext {
  /** The instance's tag, set as MCP_REAPER_OWNER in the service's environment. */
  owner: string | undefined;
  source: ProcessSource;
  graceMs: number;
  killWaitMs: number;
  readyTimeoutMs: number;
  command: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Its log: appended to, and kept (the stack removes its instance dir, logs and all). */
  logFile: string;
  /** Its ready check as written: `${port}` of a `port: 0` service is replaced once the port is known. */
  ready: ReadyCheck;
  /** `${dir}` and the dependencies' facts, and `port` unless it is 0. */
  values: PlaceholderValues;
  /** 0: the service picks its port, read once it listens. */
  discoverPort: boolean;
  /** Called once it is spawned, before it is ready, so it can be recorded for whoever must stop it. */
  onSpawn?(pid: number): Promise<void> | void;
  /** Called when it exits after it was ready and before anyone stopped it: it died mid-run. */
  onDeath?(exit: DaemonExit): void;
}

/** What the check waits for, in words, for messages. */
export function waitsFor(ready: ReadyCheck): string {
  if ('socket' in ready) return `a JSON-RPC answer on ${ready.socket}`;
  if ('url' in ready) {
    const status = ready.status === undefined ? 'a 2xx status' : `status ${[ready.status].flat().join(' or ')}`;
    return `GET ${ready.url} answered with ${status}`;
  }
  if ('port' in ready) return `a TCP connection to port ${ready.port}`;
  if ('line' in ready) return `a line of its output matching /${ready.line}/`;
  return `its exit with code ${ready.exit}`;
}

function probeFor(ready: ReadyCheck, log: OutputLog, socketBefore: string | undefined, onLine?: (groups: Record<string, string>) => void): Probe | undefined {
  if ('socket' in ready) return socketProbe(ready.socket, socketBefore);
  if ('url' in ready) return urlProbe(new URL(ready.url), ready.status === undefined ? undefined : [ready.status].flat());
  if ('port' in ready) return portProbe(Number(ready.port), hostsOf(ready.host ?? 'localhost'));
  if ('line' in ready) return lineProbe(log, new RegExp(ready.line), onLine);
  return undefined; // exit: the exit itself
}

/** The facts a ready check states once its placeholders are replaced (see factsOf), never throwing on a bad URL. */
function factsOfReady(ready: ReadyCheck): ServiceFacts {
  if ('socket' in ready) return { socket: ready.socket };
  if ('port' in ready) return Number.isInteger(ready.port) ? { port: Number(ready.port) } : {};
  if ('url' in ready) {
    try {
      const url = new URL(ready.url);
      return { url: url.href, port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port) };
    } catch {
      return {};
    }
  }
  return {};
}

function spawnFailure(name: string, file: string, error: NodeJS.ErrnoException | undefined): ServiceStartError {
  const code = error?.code ?? 'unknown error';
  const fix =
    code === 'ENOENT'
      ? `\`${file}\` was not found${file.includes('/') ? '' : ' on PATH'}: check "command" (there is no shell: write ["sh", "-c", "…"] for shell syntax)`
      : code === 'EACCES'
        ? `\`${file}\` is not executable by this user: check its mode (chmod +x)`
        : `check "command" and "cwd"`;
  return new ServiceStartError('ESERVICEEXIT', `stack service "${name}" could not start: ${code}; ${fix}.`, name, [], { cause: error });
}

/** Waits for the exit of a one-shot task (an `exit` check), or the deadline. */
async function exitReady(ready: { exit: number }, deadline: number, exited: Promise<DaemonExit>): Promise<ReadyOutcome<DaemonExit>> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    exited.then((exit) => ({ kind: 'exit', exit }) as const),
    new Promise<{ kind: 'timeout'; lastProblem: string }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout', lastProblem: 'it was still running' }), Math.max(0, deadline - performance.now()));
    }),
  ]);
  clearTimeout(timer);
  // A one-shot task is ready when it exited with the expected code.
  if (outcome.kind === 'exit' && outcome.exit.code === ready.exit) return { kind: 'ready' };
  return outcome;
}

/**
 * Starts one service and resolves once it is ready. On any failure its whole group is stopped before
 * the promise rejects with a `ServiceStartError` that says what it waited for and shows its last
 * output lines.
 */
export async function startService(name: string, context: ServiceContext): Promise<RunningService> {
  const startedAt = performance.now();
  const { source, values } = context;
  const [file, ...args] = context.command as [string, ...string[]];
  // What is known before the start (a `port: 0` service's `${port}` is not, and stays as written).
  let ready = substituteReady(context.ready, values);
  const socketBefore = 'socket' in ready ? socketIdentity(ready.socket) : undefined;
  const log = openOutputLog(context.logFile);
  let started: DetachedChild;
  try {
    started = spawnDetached(file, args, {
      cwd: context.cwd,
      env: { ...context.env, ...(context.owner !== undefined && { [OWNER_ENV]: context.owner }) },
      log,
    });
  } catch (error) {
    throw spawnFailure(name, file, error as NodeJS.ErrnoException);
  }
  const { child, exited, exitNow } = started;
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    log.dispose();
    throw spawnFailure(name, file, started.spawnError());
  }
  const commandText = context.command.join(' ');
  debug('stack service %s started: pid %d: %s', name, pid, commandText);

  // Set once known: from the values, or discovered (port 0), or from a line's named groups.
  let port = values.port;
  let lineUrl: string | undefined;
  const socketOf = () => ('socket' in ready ? ready.socket : undefined);
  const stopGroup = () =>
    stopDaemonGroup({ pid, command: commandText, exit: exitNow(), source, graceMs: context.graceMs, killWaitMs: context.killWaitMs, ...(socketOf() !== undefined && { socketPath: socketOf()! }) });

  const deadline = startedAt + context.readyTimeoutMs;
  let outcome: ReadyOutcome<DaemonExit>;
  try {
    await context.onSpawn?.(pid);
    const fromLine = lineGives(context.ready);
    const onLine = (groups: Record<string, string>) => {
      if (groups.url !== undefined) lineUrl = groups.url;
      const fromUrl = lineUrl !== undefined ? factsOfReady({ url: lineUrl }).port : undefined;
      if (groups.port !== undefined && /^\d+$/.test(groups.port)) port = Number(groups.port);
      else if (fromUrl !== undefined) port ??= fromUrl;
    };
    if (context.discoverPort && fromLine.length === 0) {
      // First the port it bound, then the ready check with `${port}` replaced.
      const discover: Probe = async () => {
        const ports = await groupListeningPorts(pid, source);
        if (ports.length === 0) return { ok: false, problem: 'it listens on no TCP port yet (port 0: its port is read from its listening sockets)' };
        if (ports.length > 1) debug('stack service %s listens on %o: %d is taken as its port', name, ports, ports[0]);
        port = ports[0]!;
        return { ok: true };
      };
      outcome = await waitReady(discover, { deadline, exited, exitNow, firstProblem: 'it listens on no TCP port yet', maxPollMs: DISCOVERY_POLL_MS });
      if (outcome.kind === 'ready') ready = substituteReady(context.ready, { ...values, port });
    } else {
      outcome = { kind: 'ready' };
    }
    if (outcome.kind === 'ready') {
      const probe = probeFor(ready, log, socketBefore, fromLine.length > 0 ? onLine : undefined);
      outcome = probe
        ? await waitReady(probe, { deadline, exited, exitNow, firstProblem: `not ready yet: waiting for ${waitsFor(ready)}` })
        : await exitReady(ready as { exit: number }, deadline, exited);
      // A line check gave the port: the ready check's `${port}` (none: it is the line) is settled.
    }
  } catch (error) {
    await stopGroup().catch(() => undefined);
    log.dispose();
    throw error;
  }

  if (outcome.kind !== 'ready') {
    const elapsed = Math.round(performance.now() - startedAt);
    let cleanup: SweepReport | undefined;
    try {
      cleanup = await stopGroup();
    } catch (error) {
      debug('cleanup of %s failed: %s', name, error);
    }
    const output = log.tail(OUTPUT_LINES);
    log.dispose();
    const what =
      outcome.kind === 'exit'
        ? `it ${describeExit(outcome.exit)} after ${elapsed} ms${'exit' in ready ? `; it is ready only when it exits with code ${ready.exit}` : `, while waiting for ${waitsFor(ready)}`}`
        : `it was not ready within readyTimeoutMs (${context.readyTimeoutMs} ms) while waiting for ${waitsFor(ready)}: ${outcome.lastProblem}`;
    const left = cleanup && !cleanup.ok ? ' Its process group could not be stopped whole: see the cleanup report.' : '';
    throw new ServiceStartError(
      outcome.kind === 'exit' ? 'ESERVICEEXIT' : 'ESERVICETIMEOUT',
      `stack service "${name}" (pid ${pid}) did not start: ${what}.${left}\n` +
        (output.length === 0 ? 'It wrote nothing to stdout or stderr.' : `Its last output:\n  ${output.join('\n  ')}`),
      name,
      output,
      undefined,
      outcome.kind === 'exit' && !('exit' in ready),
    );
  }
  child.unref(); // ready: it must not keep the caller's event loop alive (it has no pipes to us either)
  debug('stack service %s ready in %d ms', name, Math.round(performance.now() - startedAt));

  const stated = factsOfReady(ready);
  const facts: ServiceFacts = {
    ...stated,
    ...(port !== undefined && { port }),
    ...(lineUrl !== undefined && { url: lineUrl }),
  };
  let stopping: Promise<ServiceStop> | undefined;
  // Watched from its readiness until its teardown: an exit in between is a death (this process
  // started it, so the exit status is ours to read).
  // A one-shot task is ready by exiting: not a death.
  if (!('exit' in ready)) {
    void exited.then((exit) => {
      if (stopping === undefined) context.onDeath?.(exit);
    });
  }
  return {
    name,
    pid,
    port: facts.port,
    socket: facts.socket,
    url: facts.url,
    logFile: log.path,
    stop() {
      stopping ??= (async () => {
        const report = await stopGroup();
        const held = await stillHeld(facts);
        return { name, report, held, ok: report.ok && held.length === 0 };
      })();
      return stopping;
    },
  };
}

/** What the service declared and still holds once stopped: its socket file, its port. */
export async function stillHeld(facts: ServiceFacts): Promise<string[]> {
  const held: string[] = [];
  if (facts.socket !== undefined && socketIdentity(facts.socket) !== undefined) held.push(`its socket ${facts.socket} is still there`);
  if (facts.port !== undefined) {
    // Its sockets close as it exits; a listener still there after a moment is another process's.
    const deadline = performance.now() + RELEASE_WAIT_MS;
    while ((await isListening(facts.port)) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    if (await isListening(facts.port)) held.push(`port ${facts.port} is still listened on`);
  }
  return held;
}
