import { debuglog } from 'node:util';
import { DEFAULT_GRACE_MS, DEFAULT_KILL_WAIT_MS, DEFAULT_NAMES, DEFAULT_READY_TIMEOUT_MS } from '../config/defaults.js';
import { OWNER_ENV } from '../config/names.js';
import { invalidOptions } from '../config/rules.js';
import { stackRule } from '../config/stack-rules.js';
import { ReaperError } from '../errors.js';
import { defaultProcessSource, type ProcessSource } from '../processes/process-source.js';
import type { ProcessReport } from '../report.js';
import { stopProcess } from '../sweep/stop-process.js';
import { describeHolder, portHolders } from './port-holder.js';
import { isListening } from './port-listeners.js';
import { ServiceStartError, startService, type RunningService, type ServiceHandle, type ServiceStop } from './service.js';
import { envPrefix, stackFacts, substitute, sweepName } from './stack-env.js';
import type { StackConfig } from './stack-options.js';

const debug = debuglog('mcp-reaper');

/** How long a port may take to be free after its leftover holder was stopped. */
const PORT_FREE_WAIT_MS = 2000;

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
}

export interface StackReport {
  /** True when every service stopped (verified) and let go of its socket and port. */
  ok: boolean;
  /** In the order they were stopped (dependents first). */
  services: ServiceStop[];
  durationMs: number;
}

export interface StackHandle extends AsyncDisposable {
  readonly services: Readonly<Record<string, ServiceHandle>>;
  /** Leftovers of ours that held a service's port, stopped before it started. */
  readonly freed: readonly ProcessReport[];
  /** What the tests are told: `MCP_REAPER_STACK_<NAME>_PID`, `_PORT`, `_SOCKET`, `_URL`, `_LOG`. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops every service, dependents first, each verified. Every call returns the same promise. */
  stop(): Promise<StackReport>;
}

/** Why a stack did not start: the service, its last output, and what was stopped after it. */
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
  if (cleanup.services.length === 0) return message;
  const stopped = cleanup.services.map((s) => s.name).join(', ');
  const trouble = cleanup.services.filter((s) => !s.ok).map((s) => `"${s.name}": ${[...s.report.processes.filter((p) => p.action === 'survived').map((p) => `pid ${p.pid} survived`), ...s.held].join('; ')}`);
  return `${message}\nThe services started before it were stopped (${stopped})${trouble.length === 0 ? '.' : `, and NOT cleanly: ${trouble.join('; ')}`}`;
}

/** The environment variables that tell tests where each service is. */
function envOf(services: readonly ServiceHandle[]): Record<string, string> {
  const env: Record<string, string> = {};
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

/**
 * Before a service listens on its port: whoever listens there already is found (the listener, never
 * the clients connected to it). A leftover of ours is stopped, verified; anything else fails the start
 * with its pid, command and start time, and is never signalled.
 */
async function claimPort(name: string, port: number, context: { names: ReadonlySet<string>; source: ProcessSource; graceMs: number; killWaitMs: number }): Promise<ProcessReport[]> {
  const holders = await portHolders(port, context);
  const refused = holders.filter((h) => h.kind !== 'leftover');
  if (refused.length > 0) {
    const who = refused.map((h) => `${describeHolder(h.info)}: ${h.reason}`).join('; ');
    throw new ServiceStartError(
      'EPORTHELD',
      `stack service "${name}" cannot start: port ${port} is held by ${who}. mcp-reaper never signals a process it cannot prove is its own leftover: stop it yourself, or give "${name}" another port.`,
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
async function stopAll(started: ReadonlyMap<string, RunningService>, stack: StackConfig): Promise<StackReport> {
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
 * once), in a process group of its own, tagged with `owner`, its output in a log file. If any service
 * exits early, is not ready in time or finds its port held by a stranger, everything already started
 * is stopped (verified) and the promise rejects with a `StackStartError` naming the service, what it
 * waited for and its last output lines.
 */
export async function startStack(options: StartStackOptions): Promise<StackHandle> {
  const problems = stackRule(options.services, 'services');
  const list = typeof problems === 'string' ? [problems] : [...(problems ?? [])];
  if (list.length > 0) throw invalidOptions('startStack() options', list);
  const stack = options.services;
  const source = options.source ?? defaultProcessSource();
  const owner = options.owner ?? process.env[OWNER_ENV];
  const names = new Set([...(options.names ?? DEFAULT_NAMES), ...Object.values(stack).flatMap((s) => sweepName(s) ?? [])]);
  const facts = stackFacts(stack);
  const defaults = {
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    killWaitMs: options.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
    readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
  };

  const started = new Map<string, RunningService>();
  const freed: ProcessReport[] = [];
  const readyOf = new Map<string, Promise<void>>();
  const startOne = (name: string): Promise<void> => {
    let promise = readyOf.get(name);
    if (!promise) {
      const spec = stack[name]!;
      promise = Promise.all((spec.dependsOn ?? []).map(startOne)).then(async () => {
        const graceMs = spec.graceMs ?? defaults.graceMs;
        const killWaitMs = spec.killWaitMs ?? defaults.killWaitMs;
        const port = facts[name]!.port;
        if (port !== undefined) freed.push(...(await claimPort(name, port, { names, source, graceMs, killWaitMs })));
        const env = Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, v === undefined ? v : substitute(v, facts)]));
        const service = await startService(name, spec, {
          owner,
          source,
          graceMs,
          killWaitMs,
          readyTimeoutMs: spec.readyTimeoutMs ?? defaults.readyTimeoutMs,
          facts: facts[name]!,
          command: spec.command.map((arg) => substitute(arg, facts)),
          env,
        });
        started.set(name, service);
      });
      readyOf.set(name, promise);
    }
    return promise;
  };

  // Every service's start settles (or never begins) before a failure is reported, so that the
  // teardown below sees all that were started.
  const results = await Promise.allSettled(Object.keys(stack).map(startOne));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    const cleanup = await stopAll(started, stack);
    const error = failed.reason as unknown;
    if (error instanceof ServiceStartError) throw new StackStartError(error, cleanup, freed);
    throw error;
  }

  const services = Object.fromEntries(
    [...started.values()].map((s) => [s.name, { name: s.name, pid: s.pid, port: s.port, socket: s.socket, url: s.url, logFile: s.logFile }]),
  );
  let stopping: Promise<StackReport> | undefined;
  const stop = () => (stopping ??= stopAll(started, stack));
  return {
    services,
    freed,
    env: envOf(Object.values(services)),
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
