// A stack instance: services started in dependency order, each in a process group of its own with
// the instance's tag and its output in the instance's private dir, stopped in reverse. The instance
// is recorded in the registry (registry/instances.ts) from its first spawn on, so that a process
// other than the one that started it can stop it: the run's end, the watchdog.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debuglog } from 'node:util';
import { DEFAULT_GRACE_MS, DEFAULT_KILL_WAIT_MS, DEFAULT_NAMES, DEFAULT_READY_TIMEOUT_MS } from '../config/defaults.js';
import { INSTANCE_LOGS_DIR, OWNER_ENV, RUN_INSTANCE, STACK_DIR_ENV } from '../config/names.js';
import { invalidOptions } from '../config/rules.js';
import { substitute, substituteReady, usesOwn, type PlaceholderValues, type ServiceFacts, type StackConfig } from '../config/stack-options.js';
import { MAX_SOCKET_PATH_BYTES } from '../daemon/start-options.js';
import { stackRule } from '../config/stack-rules.js';
import { ReaperError } from '../errors.js';
import { defaultProcessSource, type ProcessSource } from '../processes/process-source.js';
import { ensureInstanceDir, readInstance, removeInstance, writeInstance, type Holder, type InstanceRecord, type RecordedService } from '../registry/instances.js';
import { leasePort, type PortLease } from '../registry/port-leases.js';
import type { ProcessReport } from '../report.js';
import { stopProcess } from '../sweep/stop-process.js';
import { describeHolder, portHolders } from './port-holder.js';
import { isListening } from './port-listeners.js';
import type { DaemonExit } from '../daemon/stop-group.js';
import { ServiceStartError, startService, type RunningService, type ServiceHandle, type ServiceStop } from './service.js';
import { envPrefix, sweepName } from './stack-env.js';

const debug = debuglog('mcp-reaper');

/** How long a port may take to be free after its leftover holder was stopped. */
const PORT_FREE_WAIT_MS = 2000;
/** Starts of a `port: "auto"` service whose port a stranger took first, before it fails like any start. */
const AUTO_PORT_TRIES = 3;

export interface StartStackOptions {
  /** The services by name (the config key `stack`). */
  services: StackConfig;
  /** The tag set as MCP_REAPER_OWNER in every service. Default: this process's (a run's). */
  owner?: string;
  /**
   * The names a leftover of ours goes by, for a process found holding a service's port: it is stopped
   * when it is one of these or one of the services' names, or carries the tag of a run that is gone.
   * Default: `['mcp-server-pm']`.
   */
  names?: readonly string[];
  /** Defaults of the services' own settings. Default: 500, 2000 and 10000 ms. */
  graceMs?: number;
  killWaitMs?: number;
  readyTimeoutMs?: number;
  /** Where process facts come from. Default: /proc on Linux, `ps` on macOS. For tests. */
  source?: ProcessSource;
  /** Called when a service exits after it was ready and before the stack was stopped (it is also recorded). */
  onDeath?: (service: string, exit: DaemonExit) => void;
}

/** Where an instance belongs, for the core's own callers: a run's services, or one worker's. */
export interface InstanceOrigin {
  runId: string;
  /** `run`, or `w<slot>` for a worker's. */
  instance: string;
  /** The process the instance lives as long as (the run's owner): its port leases are held in its name. */
  holder: Holder;
  /** Services of another instance these may use (a worker's view of the run's): `${stack.NAME.…}`. */
  upstream?: Readonly<Record<string, ServiceFacts>>;
}

export interface StackReport {
  /** True when every service stopped (verified) and let go of its socket and port. */
  ok: boolean;
  /** In the order they were stopped (dependents first). */
  services: ServiceStop[];
  durationMs: number;
  /** The instance's private dir, and whether it was kept, and why (a test failed, the start failed, the stop was not clean). */
  dir: string;
  keptDir: boolean;
  keptBecause?: string;
}

export interface StackHandle extends AsyncDisposable {
  readonly services: Readonly<Record<string, ServiceHandle>>;
  /** Leftovers of ours that held a service's port, stopped before it started. */
  readonly freed: readonly ProcessReport[];
  /** `${dir}`: the instance's private directory (mode 700), removed after a clean stop. */
  readonly dir: string;
  /** What the tests are told: `MCP_REAPER_STACK_<NAME>_PID`, `_PORT`, `_SOCKET`, `_URL`, `_LOG`, and `MCP_REAPER_STACK_DIR`. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Stops every service, dependents first, each verified; then removes the dir, unless `keepDir` (a
   * test failed: its logs and database are worth reading) or the stop was not clean. Every call
   * returns the same promise.
   */
  stop(options?: { keepDir?: boolean }): Promise<StackReport>;
}

/** Why a stack did not start: the service, its last output, what was stopped after it, and the dir kept for reading. */
export class StackStartError extends ReaperError {
  /** The service that did not start. */
  readonly service: string;
  /** Its last lines of output. */
  readonly output: string[];
  constructor(
    failure: ServiceStartError,
    /** The stop of the services started before it. */
    readonly cleanup: StackReport,
    /** Leftovers stopped because they held a service's port. */
    readonly freed: ProcessReport[],
  ) {
    super(failure.code, cleanupText(failure.message, cleanup), { cause: failure });
    this.service = failure.service;
    this.output = failure.output;
  }
}

function cleanupText(message: string, cleanup: StackReport): string {
  const kept = cleanup.keptDir ? `Its logs are kept in ${cleanup.dir}.` : '';
  if (cleanup.services.length === 0) return kept === '' ? message : `${message}\n${kept}`;
  const stopped = cleanup.services.map((s) => s.name).join(', ');
  const trouble = cleanup.services.filter((s) => !s.ok).map((s) => `"${s.name}": ${[...s.report.processes.filter((p) => p.action === 'survived').map((p) => `pid ${p.pid} survived`), ...s.held].join('; ')}`);
  return `${message}\nThe services started before it were stopped (${stopped})${trouble.length === 0 ? '.' : `, and NOT cleanly: ${trouble.join('; ')}`}${kept === '' ? '' : ` ${kept}`}`;
}

/** The environment variables that tell tests where each service is, and the instance's dir. */
export function stackEnv(services: readonly ServiceHandle[], dir: string): Record<string, string> {
  const env: Record<string, string> = { [STACK_DIR_ENV]: dir };
  for (const service of services) {
    const prefix = envPrefix(service.name);
    env[`${prefix}PID`] = String(service.pid);
    env[`${prefix}LOG`] = service.logFile;
    if (service.port !== undefined) env[`${prefix}PORT`] = String(service.port);
    if (service.socket !== undefined) env[`${prefix}SOCKET`] = service.socket;
    if (service.url !== undefined) env[`${prefix}URL`] = service.url;
  }
  return env;
}

interface ClaimContext {
  names: ReadonlySet<string>;
  source: ProcessSource;
  graceMs: number;
  killWaitMs: number;
  ownTag: string | undefined;
}

/**
 * Before a service listens on its fixed port: whoever listens there already is found (the listener,
 * never the clients connected to it). A leftover of ours is stopped, verified; anything else fails the
 * start with its pid, command and start time, and is never signalled.
 */
async function claimPort(name: string, port: number, context: ClaimContext): Promise<ProcessReport[]> {
  const holders = await portHolders(port, context);
  const refused = holders.filter((h) => h.kind !== 'leftover');
  if (refused.length > 0) {
    const who = refused.map((h) => `${describeHolder(h.info)}: ${h.reason}`).join('; ');
    throw new ServiceStartError(
      'EPORTHELD',
      `stack service "${name}" cannot start: port ${port} is held by ${who}. mcp-reaper never signals a process it cannot prove is its own leftover: stop it yourself, or give "${name}" another port ("port": "auto" lets mcp-reaper choose one).`,
      name,
    );
  }
  const freed: ProcessReport[] = [];
  for (const holder of holders) {
    debug('port %d of %s is held by leftover %d: %s', port, name, holder.info.pid, holder.reason);
    freed.push(...(await stopProcess(holder.info, `held port ${port} of stack service "${name}"; ${holder.reason}`, context)));
  }
  const deadline = performance.now() + PORT_FREE_WAIT_MS;
  while (holders.length > 0 && (await isListening(port)) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return freed;
}

/** Stops the services, each after every service that depends on it. */
async function stopAll(started: ReadonlyMap<string, RunningService>, stack: StackConfig): Promise<Omit<StackReport, 'dir' | 'keptDir'>> {
  const startedAt = performance.now();
  const stops: ServiceStop[] = [];
  const done = new Map<string, Promise<void>>();
  const stopOne = (name: string): Promise<void> => {
    let promise = done.get(name);
    if (!promise) {
      const dependents = [...started.keys()].filter((other) => stack[other]?.dependsOn?.includes(name));
      promise = Promise.all(dependents.map(stopOne)).then(async () => {
        const service = started.get(name);
        if (service) stops.push(await service.stop());
      });
      done.set(name, promise);
    }
    return promise;
  };
  await Promise.all([...started.keys()].map(stopOne));
  return { ok: stops.every((s) => s.ok), services: stops, durationMs: Math.round((performance.now() - startedAt) * 10) / 10 };
}

/**
 * Starts a stack: each service as soon as the services it depends on are ready (independent ones at
 * once), in a process group of its own, tagged with `owner`, its output in a log file in the
 * instance's private dir. If any service exits early, is not ready in time or finds its port held by
 * a stranger, everything already started is stopped (verified) and the promise rejects with a
 * `StackStartError` naming the service, what it waited for, its last output lines and the dir kept
 * for reading. A `port: "auto"` service whose port a stranger took first is started again on another
 * lease, up to 3 times.
 */
export async function startStack(options: StartStackOptions, origin?: InstanceOrigin): Promise<StackHandle> {
  if (!origin) {
    // The core's own callers pass a part of a stack the config's rules checked whole.
    const problems = stackRule(options.services, 'services');
    const list = typeof problems === 'string' ? [problems] : [...(problems ?? [])];
    if (list.length > 0) throw invalidOptions('startStack() options', list);
  }
  const stack = options.services;
  const source = options.source ?? defaultProcessSource();
  const owner = options.owner ?? process.env[OWNER_ENV];
  const names = new Set([...(options.names ?? DEFAULT_NAMES), ...Object.values(stack).flatMap((s) => sweepName(s) ?? [])]);
  const defaults = {
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    killWaitMs: options.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
    readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
  };
  const self = (await source.probe([process.pid])).get(process.pid);
  if (!self) throw new ReaperError('EPROCESSLIST', `Cannot read this process (pid ${process.pid}) in the process table, so the stack cannot be recorded.`);
  const me: Holder = { pid: process.pid, startKey: self.startKey };
  const runId = origin?.runId ?? `stack-${randomBytes(6).toString('hex')}`;
  const instance = origin?.instance ?? RUN_INSTANCE;
  const holder = origin?.holder ?? me;
  const dir = ensureInstanceDir(runId, instance);

  let record: InstanceRecord = { version: 1, runId, instance, dir, holder, state: 'starting', starter: me, services: [] };
  writeInstance(record);
  // Read, changed, written: another process may have marked the record (a failed test).
  const update = (change: (r: InstanceRecord) => InstanceRecord) => {
    record = change(readInstance(runId, instance) ?? record);
    writeInstance(record);
  };

  const facts: Record<string, ServiceFacts> = { ...origin?.upstream };
  const started = new Map<string, RunningService>();
  const leases = new Map<string, PortLease>();
  const freed: ProcessReport[] = [];
  const readyOf = new Map<string, Promise<void>>();

  const startOnce = async (name: string, lease: PortLease | undefined): Promise<RunningService> => {
    const spec = stack[name]!;
    const graceMs = spec.graceMs ?? defaults.graceMs;
    const killWaitMs = spec.killWaitMs ?? defaults.killWaitMs;
    const port = typeof spec.port === 'number' ? spec.port : lease?.port;
    const values: PlaceholderValues = { dir, facts, ...(port !== undefined && port !== 0 && { port }) };
    // A fixed port, or one a ready check states: whoever holds it is found first.
    const fixed = spec.port === undefined ? readyPort(substituteReady(spec.ready, values)) : spec.port === 'auto' || spec.port === 0 ? undefined : spec.port;
    if (fixed !== undefined) freed.push(...(await claimPort(name, fixed, { names, source, graceMs, killWaitMs, ownTag: owner })));
    const ready = substituteReady(spec.ready, values);
    if ('socket' in ready && Buffer.byteLength(ready.socket) > MAX_SOCKET_PATH_BYTES) {
      const fix = usesOwn((spec.ready as { socket: string }).socket, 'dir') ? `it is in the instance's dir (\${dir}, under TMPDIR ${os.tmpdir()}): set TMPDIR to a shorter directory` : 'choose a shorter path';
      throw new ServiceStartError('EINVALIDOPTION', `stack service "${name}" cannot listen on ${ready.socket}: that is ${Buffer.byteLength(ready.socket)} bytes, and a Unix socket path holds at most ${MAX_SOCKET_PATH_BYTES}; ${fix}.`, name);
    }
    const logFile = spec.logFile === undefined ? path.join(dir, INSTANCE_LOGS_DIR, `${name}.log`) : substitute(spec.logFile, values);
    fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
    return startService(name, {
      owner,
      source,
      graceMs,
      killWaitMs,
      readyTimeoutMs: spec.readyTimeoutMs ?? defaults.readyTimeoutMs,
      command: spec.command.map((arg) => substitute(arg, values)),
      env: Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, v === undefined ? v : substitute(v, values)])),
      cwd: spec.cwd === undefined ? process.cwd() : substitute(spec.cwd, values),
      logFile,
      ready: spec.ready,
      values,
      discoverPort: spec.port === 0,
      onDeath(exit) {
        if (readInstance(runId, instance) === undefined) return; // stopped and forgotten meanwhile
        debug('stack service %s (instance %s of %s) died: %o', name, instance, runId, exit);
        update((r) => ({ ...r, services: r.services.map((s) => (s.name === name ? { ...s, died: { code: exit.code, signal: exit.signal, at: Date.now() } } : s)) }));
        options.onDeath?.(name, exit);
      },
      async onSpawn(pid) {
        const leader = (await source.probe([pid])).get(pid);
        if (!leader) return; // gone already: its exit is the start's failure
        const oneShot = 'exit' in spec.ready;
        update((r) => ({ ...r, services: [...r.services.filter((s) => s.name !== name), { name, pid, startKey: leader.startKey, graceMs, killWaitMs, logFile, ready: false, ...(oneShot && { oneShot }) }] }));
      },
    });
  };

  const startOne = (name: string): Promise<void> => {
    let promise = readyOf.get(name);
    if (!promise) {
      const spec = stack[name]!;
      promise = Promise.all((spec.dependsOn ?? []).filter((dep) => dep in stack).map(startOne)).then(async () => {
        const tried = new Set<number>();
        for (let attempt = 1; ; attempt += 1) {
          let lease: PortLease | undefined;
          if (spec.port === 'auto') {
            lease = await leasePort({ runId, instance, service: name, holder }, source, tried);
            leases.set(name, lease);
            tried.add(lease.port);
          }
          try {
            const service = await startOnce(name, lease);
            started.set(name, service);
            facts[name] = { port: service.port, socket: service.socket, url: service.url };
            update((r) => ({
              ...r,
              services: r.services.map((s) => (s.name === name ? { ...s, ready: true, readyAt: Date.now(), port: service.port, socket: service.socket, url: service.url } : s)),
            }));
            return;
          } catch (error) {
            update((r) => ({ ...r, services: r.services.filter((s) => s.name !== name) }));
            lease?.release();
            leases.delete(name);
            // Its auto port was taken by someone else between the lease and its bind: another lease.
            const lost = lease !== undefined && error instanceof ServiceStartError && error.exitedEarly && (await isListening(lease.port));
            if (!lost || attempt >= AUTO_PORT_TRIES) throw error;
            debug('stack service %s lost port %d to another process; starting it again on another port', name, lease!.port);
          }
        }
      });
      readyOf.set(name, promise);
    }
    return promise;
  };
  const releaseAll = () => {
    for (const lease of leases.values()) lease.release();
    leases.clear();
  };

  // Every service's start settles (or never begins) before a failure is reported, so that the
  // teardown below sees all that were started.
  const results = await Promise.allSettled(Object.keys(stack).map(startOne));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    const stopped = await stopAll(started, stack);
    // Kept for its logs, and whatever the services wrote there; a start that failed before any
    // service wrote anything (a port held, a command not found) has nothing to read.
    const keptDir = hasFiles(dir);
    const cleanup: StackReport = { ...stopped, dir, keptDir, ...(keptDir && { keptBecause: 'the start failed' }) };
    releaseAll();
    const error = failed.reason as unknown;
    const wrapped = error instanceof ServiceStartError ? new StackStartError(error, cleanup, freed) : error;
    // Nothing of it runs any more; its dir stays, named in the error, for its logs.
    removeInstance(record, { keepDir: keptDir });
    throw wrapped;
  }
  update((r) => ({ ...r, state: 'up' }));

  const services = Object.fromEntries(
    [...started.values()].map((s) => [s.name, { name: s.name, pid: s.pid, port: s.port, socket: s.socket, url: s.url, logFile: s.logFile }]),
  );
  let stopping: Promise<StackReport> | undefined;
  const stop = (stopOptions: { keepDir?: boolean } = {}) =>
    (stopping ??= (async () => {
      const report = await stopAll(started, stack);
      releaseAll();
      // A test in another process may have marked the instance (a failing test keeps its dir).
      const keptBecause = keepReason({ asked: stopOptions.keepDir === true, testsFailed: readInstance(runId, instance)?.testsFailed === true, failedStart: false, clean: report.ok });
      removeInstance(record, { keepDir: keptBecause !== undefined });
      return { ...report, dir, keptDir: keptBecause !== undefined, ...(keptBecause !== undefined && { keptBecause }) };
    })());
  return {
    services,
    freed,
    dir,
    env: stackEnv(Object.values(services), dir),
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/** Whether `dir` holds a file anywhere below it. */
function hasFiles(dir: string): boolean {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).some((entry) => !entry.isDirectory() || hasFiles(path.join(dir, entry.name)));
  } catch {
    return false;
  }
}

/** Why an instance's dir is kept, or undefined when it goes. */
export function keepReason(facts: { asked: boolean; testsFailed: boolean; failedStart: boolean; clean: boolean }): string | undefined {
  if (facts.failedStart) return 'its start failed';
  if (facts.testsFailed) return 'a test that used it failed';
  if (!facts.clean) return 'it did not stop cleanly';
  if (facts.asked) return 'asked to keep it';
  return undefined;
}

/** The port a ready check states (a URL's, a port check's), if it states one. */
function readyPort(ready: ReturnType<typeof substituteReady>): number | undefined {
  if ('port' in ready) return Number.isInteger(ready.port) ? Number(ready.port) : undefined;
  if ('url' in ready) {
    try {
      const url = new URL(ready.url);
      return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
