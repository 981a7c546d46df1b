// One service of a stack: started in a process group of its own with the run's tag and its output
// in a log file, ready by its check, stopped as a daemon is (SIGTERM to the group, grace, SIGKILL,
// each verified), and then checked to have let go of its socket and port.
import { debuglog } from 'node:util';
import { OWNER_ENV } from '../config/names.js';
import { openOutputLog, type OutputLog } from '../daemon/output-log.js';
import { spawnDetached, type DetachedChild } from '../daemon/spawn-detached.js';
import { describeExit, stopDaemonGroup, type DaemonExit } from '../daemon/stop-group.js';
import { ReaperError } from '../errors.js';
import type { ProcessSource } from '../processes/process-source.js';
import { lineProbe, hostsOf, portProbe, socketIdentity, socketProbe, urlProbe } from '../ready/probes.js';
import { waitReady, type Probe, type ReadyOutcome } from '../ready/wait-ready.js';
import type { SweepReport } from '../report.js';
import { isListening } from './port-listeners.js';
import type { ReadyCheck, ServiceFacts, ServiceOptions } from './stack-options.js';

const debug = debuglog('mcp-reaper');

/** How many of a service's last output lines a failed start shows. */
const OUTPUT_LINES = 20;
/** How long a stopped service's port may take to be free (its sockets close as it exits). */
const RELEASE_WAIT_MS = 1000;

/** A service that is running and ready. */
export interface ServiceHandle {
  readonly name: string;
  /** The process that was started: the leader of its own process group. */
  readonly pid: number;
  readonly port: number | undefined;
  readonly socket: string | undefined;
  readonly url: string | undefined;
  /** Where its stdout and stderr go (a temporary file unless `logFile` was given). */
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
    code: 'ESERVICEEXIT' | 'ESERVICETIMEOUT' | 'EPORTHELD',
    message: string,
    readonly service: string,
    readonly output: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export interface ServiceContext {
  /** The run's tag, set as MCP_REAPER_OWNER in the service's environment. */
  owner: string | undefined;
  source: ProcessSource;
  graceMs: number;
  killWaitMs: number;
  readyTimeoutMs: number;
  /** Its own facts and its command and environment with every `${stack.…}` replaced. */
  facts: ServiceFacts;
  command: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
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

function probeFor(ready: ReadyCheck, log: OutputLog, socketBefore: string | undefined): Probe | undefined {
  if ('socket' in ready) return socketProbe(ready.socket, socketBefore);
  if ('url' in ready) return urlProbe(new URL(ready.url), ready.status === undefined ? undefined : [ready.status].flat());
  if ('port' in ready) return portProbe(ready.port, hostsOf(ready.host ?? 'localhost'));
  if ('line' in ready) return lineProbe(log, new RegExp(ready.line));
  return undefined; // exit: the exit itself
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

/** Waits for readiness; for an `exit` check, for the exit with the expected code. */
async function ready(
  spec: ServiceOptions,
  probe: Probe | undefined,
  deadline: number,
  exited: Promise<DaemonExit>,
  exitNow: () => DaemonExit | undefined,
): Promise<ReadyOutcome<DaemonExit>> {
  if (probe) return waitReady(probe, { deadline, exited, exitNow, firstProblem: `not ready yet: waiting for ${waitsFor(spec.ready)}` });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    exited.then((exit) => ({ kind: 'exit', exit }) as const),
    new Promise<{ kind: 'timeout'; lastProblem: string }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout', lastProblem: 'it was still running' }), Math.max(0, deadline - performance.now()));
    }),
  ]);
  clearTimeout(timer);
  // A one-shot task is ready when it exited with the expected code.
  if (outcome.kind === 'exit' && 'exit' in spec.ready && outcome.exit.code === spec.ready.exit) return { kind: 'ready' };
  return outcome;
}

/**
 * Starts one service and resolves once it is ready. On any failure its whole group is stopped and its
 * log removed (a named log is kept) before the promise rejects with a `ServiceStartError` that says
 * what it waited for and shows its last output lines.
 */
export async function startService(name: string, spec: ServiceOptions, context: ServiceContext): Promise<RunningService> {
  const startedAt = performance.now();
  const { facts, source } = context;
  const [file, ...args] = context.command as [string, ...string[]];
  const socketBefore = 'socket' in spec.ready ? socketIdentity(spec.ready.socket) : undefined;
  const log = openOutputLog(spec.logFile);
  let started: DetachedChild;
  try {
    started = spawnDetached(file, args, {
      cwd: spec.cwd ?? process.cwd(),
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

  const stopGroup = () =>
    stopDaemonGroup({ pid, command: commandText, exit: exitNow(), source, graceMs: context.graceMs, killWaitMs: context.killWaitMs, ...(facts.socket !== undefined && { socketPath: facts.socket }) });

  const outcome = await ready(spec, probeFor(spec.ready, log, socketBefore), startedAt + context.readyTimeoutMs, exited, exitNow);
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
        ? `it ${describeExit(outcome.exit)} after ${elapsed} ms${'exit' in spec.ready ? `; it is ready only when it exits with code ${spec.ready.exit}` : `, while waiting for ${waitsFor(spec.ready)}`}`
        : `it was not ready within readyTimeoutMs (${context.readyTimeoutMs} ms) while waiting for ${waitsFor(spec.ready)}: ${outcome.lastProblem}`;
    const left = cleanup && !cleanup.ok ? ' Its process group could not be stopped whole: see the cleanup report.' : '';
    throw new ServiceStartError(
      outcome.kind === 'exit' ? 'ESERVICEEXIT' : 'ESERVICETIMEOUT',
      `stack service "${name}" (pid ${pid}) did not start: ${what}.${left}\n` +
        (output.length === 0 ? 'It wrote nothing to stdout or stderr.' : `Its last output:\n  ${output.join('\n  ')}`),
      name,
      output,
    );
  }
  child.unref(); // ready: it must not keep the caller's event loop alive (it has no pipes to us either)
  debug('stack service %s ready in %d ms', name, Math.round(performance.now() - startedAt));

  let stopping: Promise<ServiceStop> | undefined;
  return {
    name,
    pid,
    port: facts.port,
    socket: facts.socket,
    url: facts.url,
    logFile: log.path,
    stop() {
      stopping ??= (async () => {
        try {
          const report = await stopGroup();
          const held = await stillHeld(facts);
          return { name, report, held, ok: report.ok && held.length === 0 };
        } finally {
          log.dispose();
        }
      })();
      return stopping;
    },
  };
}

/** What the service declared and still holds once stopped: its socket file, its port. */
async function stillHeld(facts: ServiceFacts): Promise<string[]> {
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
