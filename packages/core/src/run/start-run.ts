import { randomBytes } from 'node:crypto';
import { debuglog } from 'node:util';
import { DEFAULT_GRACE_MS, DEFAULT_KILL_WAIT_MS, DEFAULT_NAMES, DEFAULT_STACK_REUSE, DEFAULT_WATCHDOG, type StackReuse } from '../config/defaults.js';
import { stackHash } from '../config/stack-identity.js';
import { OWNER_ENV, RUN_ENV, RUN_INSTANCE, stackTag } from '../config/names.js';
import type { BaseConfig } from '../config/resolve-config.js';
import { checkOptions, RUN_KEYS } from '../config/rules.js';
import { ReaperError } from '../errors.js';
import { defaultProcessSource } from '../processes/process-source.js';
import type { SweepReport } from '../report.js';
import type { SweepOptions } from '../sweep/sweep-options.js';
import { sweep } from '../sweep/sweep.js';
import { sweepName } from '../stack/stack-env.js';
import { servicesOf, type StackConfig } from '../config/stack-options.js';
import { stackEnv, startStack, type StackHandle, type StackReport } from '../stack/start-stack.js';
import { explainClash, findReusableUp } from './stack-reuse.js';
import { stopRecordedInstance } from '../stack/stop-instance.js';
import { readInstance, readInstances } from '../registry/instances.js';
import { deadServiceOf, deathMessage } from './stack-health.js';
import { releaseLeases } from '../registry/port-leases.js';
import { registerRun, removeRunRecord, type RunKind, type RunRecord } from '../registry/runs.js';
import { setEnv } from './set-env.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

const debug = debuglog('mcp-reaper');

/** Runs whose workers start their own worker-scoped services. */
const RUNNER_KINDS: readonly RunKind[] = ['jest', 'vitest', 'playwright'];

/** Options of `startRun()`: the sweep's (less the scope, which is the run) plus the watchdog switch. */
export interface StartRunOptions extends Omit<SweepOptions, 'owner' | 'descendantsOf' | 'dryRun' | 'source'> {
  /** Start the crash-safety watchdog. Default: `true`. */
  watchdog?: boolean;
  /** The run's id. Default: a new `run-<12 hex digits>`. */
  runId?: string;
  /**
   * Services to start after the first sweep and stop at the end (see `startStack()`), tagged with
   * the run: their names join the sweep's, and the watchdog stops them if the runner is killed. A
   * runner's run starts the run-scoped ones; its workers start their own worker-scoped ones
   * (`joinWorkerStack()`), which the run's end stops at the latest. Anything else has no workers, and
   * starts every service once.
   */
  stack?: StackConfig;
  /** Whether the stack of a live `mcp-reaper up` of the same config may be used instead. Default: `'local'` (unless `CI` is set). */
  stackReuse?: StackReuse;
}

/** A test run in progress: see `startRun()`. */
export interface Run {
  runId: string;
  /** What the sweep before the run found and did (leftovers from earlier runs). */
  before: SweepReport;
  watchdog: Watchdog | undefined;
  /** The run's stack, ready; its `env` (MCP_REAPER_STACK_*) is in `process.env` while the run lasts. Undefined when it reuses an `up`'s. */
  stack: StackHandle | undefined;
  /** The live `mcp-reaper up` whose stack the run uses (its `MCP_REAPER_STACK_*` are in `process.env`); it is never stopped by this run. */
  reusedFrom?: string;
  /** What to tell the user now, one line each (a reused `up`, one that could not be). */
  notices: string[];
  /** The stack's places as the tests get them (`MCP_REAPER_STACK_*`), its own or the reused `up`'s; empty without a stack. */
  stackEnv: Readonly<Record<string, string>>;
  /** The services of the run's stack (its own, its workers', the reused `up`'s) that died mid-run, each with its reason. */
  deaths(): Promise<string[]>;
  /**
   * Stops the stack (dependents first, verified), sweeps what this run left (its owner tag only),
   * removes its record from the registry of live runs, stops the watchdog and restores the
   * environment. Every call returns the same promise.
   */
  end(): Promise<RunEnd>;
}

/** What a run's end did: its sweep, and the stop of its stack instances (its own first, then its workers'). */
export interface RunEnd extends SweepReport {
  stack?: StackReport;
  /** The instances its workers started and left for the run's end to stop. */
  workerStacks: StackReport[];
  /** Services that died between their readiness and the run's end, each with its reason: they fail the run. */
  deaths: string[];
}

/** What only the core's own callers pass: who starts the run, and the config its workers start from. */
export interface RunOrigin {
  kind?: RunKind;
  root?: string;
  base?: BaseConfig;
  /** The config file the run resolved (null: none), which a reusable `up` must share. */
  configFile?: string | null;
  /** Told when one of the run's own services dies mid-run (`mcp-reaper up` says so at once). */
  onServiceDeath?: (message: string) => void;
}

/**
 * What a runner's global setup does, in one call: sweep every leftover from earlier runs (keeping the
 * daemons of other live runs), tag this run (`MCP_REAPER_RUN` and `MCP_REAPER_OWNER` in
 * `process.env`, which the runner's workers and every daemon they start inherit), start the watchdog
 * that sweeps the run if the runner dies, and record the run as live so that other runs' sweeps keep
 * its daemons.
 */
export async function startRun(options: StartRunOptions = {}, origin: RunOrigin = {}): Promise<Run> {
  checkOptions(options, RUN_KEYS, 'startRun() options');
  const {
    watchdog: withWatchdog = DEFAULT_WATCHDOG,
    runId = `run-${randomBytes(6).toString('hex')}`,
    includeLiveRuns,
    stack: services,
    stackReuse = DEFAULT_STACK_REUSE,
    ...given
  } = options;
  // A stack's services join the names the run sweeps: a leftover of an earlier run is stopped first.
  const serviceNames = Object.values(services ?? {}).flatMap((service) => sweepName(service) ?? []);
  const sweepOptions = serviceNames.length === 0 ? given : { ...given, names: [...new Set([...(given.names ?? DEFAULT_NAMES), ...serviceNames])] };
  // Set before the first sweep, which belongs to this run: an enclosing run (a runner under
  // `mcp-reaper run`) is then another live run, and its daemons are kept.
  const restoreEnv = setEnv({ [RUN_ENV]: runId, [OWNER_ENV]: runId });
  const notices: string[] = [];
  let reusedFrom: string | undefined;
  let placesEnv: Readonly<Record<string, string>> = {};
  let watchdog: Watchdog | undefined;
  let stack: StackHandle | undefined;
  let restoreStackEnv = () => {};
  let before: SweepReport;
  try {
    before = await sweep({ ...sweepOptions, includeLiveRuns });
    watchdog = withWatchdog ? await startWatchdog({ ...sweepOptions, owner: runId }) : undefined;
    const source = defaultProcessSource();
    const self = (await source.probe([process.pid])).get(process.pid);
    if (!self) throw new ReaperError('EPROCESSLIST', `Cannot read this process (pid ${process.pid}) in the process table, so the run cannot be recorded as live.`);
    const record: RunRecord = {
      version: 1,
      runId,
      kind: origin.kind ?? 'api',
      pid: process.pid,
      startKey: self.startKey,
      cwd: process.cwd(),
      startedAt: new Date().toISOString(),
      ...(watchdog && { watchdog: { pid: watchdog.pid } }),
      ...(origin.root && { root: origin.root }),
      ...(origin.base && { base: origin.base }),
      ...(origin.configFile !== undefined && { configFile: origin.configFile }),
    };
    // A runner's workers start the worker-scoped services; with no workers, every service runs here.
    const own = services && (RUNNER_KINDS.includes(record.kind) ? servicesOf(services, 'run') : services);
    const hasOwn = own !== undefined && Object.keys(own).length > 0;
    // What another run would compare to reuse this one's stack.
    if (hasOwn) Object.assign(record, { stack: own, stackHash: stackHash(own) });
    registerRun(record);
    // The developer's `mcp-reaper up` of the same stack, if any: used, never stopped.
    const reuse =
      hasOwn && record.kind !== 'up'
        ? await findReusableUp({ services: own, configFile: origin.configFile ?? null, mode: stackReuse, env: process.env, source })
        : { notices: [] };
    notices.push(...reuse.notices);
    if (reuse.reused) {
      reusedFrom = reuse.reused.up.record.runId;
      registerRun({ ...record, reusedFrom });
      const { instance } = reuse.reused;
      placesEnv = stackEnv(instance.services.map((s) => ({ name: s.name, pid: s.pid, port: s.port, socket: s.socket, url: s.url, logFile: s.logFile })), instance.dir);
      restoreStackEnv = setEnv(placesEnv);
    } else if (hasOwn) {
      // The watchdog learns the services from the instance's record as each is spawned: the runner
      // may be killed from now on.
      try {
        stack = await startStack(
          {
            services: own,
            owner: stackTag(runId, RUN_INSTANCE),
            names: sweepOptions.names ?? DEFAULT_NAMES,
            graceMs: sweepOptions.graceMs ?? DEFAULT_GRACE_MS,
            killWaitMs: sweepOptions.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
            source,
            onDeath: (name) => {
              const instance = readInstance(runId, RUN_INSTANCE);
              const service = instance?.services.find((s) => s.name === name);
              if (instance && service) origin.onServiceDeath?.(deathMessage(instance, service, { for: 'run' }));
            },
          },
          { runId, instance: RUN_INSTANCE, holder: { pid: process.pid, startKey: self.startKey } },
        );
      } catch (error) {
        // A port held by a live `up` of another config (another worktree, or an edited config): say which, and how it differs.
        if (error instanceof ReaperError && error.code === 'EPORTHELD') {
          const clash = await explainClash({ services: own, configFile: origin.configFile ?? null, source });
          if (clash) error.message = `${error.message}\n${clash}`;
        }
        throw error;
      }
      placesEnv = stack.env;
      restoreStackEnv = setEnv(stack.env);
    }
  } catch (error) {
    // A failed start leaves nothing: no stack (it stopped its own services), no record, no watchdog,
    // no tag in the environment.
    await stack?.stop();
    await releaseLeases(defaultProcessSource(), { runId });
    removeRunRecord(runId, process.pid);
    await watchdog?.stop();
    restoreEnv();
    throw error;
  }
  debug('run %s started (watchdog %s)', runId, watchdog?.pid);

  const findDeaths = async (): Promise<string[]> => {
    const source = defaultProcessSource();
    const deaths: string[] = [];
    for (const instance of [...readInstances(runId), ...(reusedFrom === undefined ? [] : [readInstance(reusedFrom, RUN_INSTANCE)])]) {
      const dead = await deadServiceOf(instance, source, 'run');
      if (dead) deaths.push(dead.message);
    }
    return deaths;
  };
  let ending: Promise<RunEnd> | undefined;
  return {
    deaths: findDeaths,
    runId,
    before,
    watchdog,
    stack,
    ...(reusedFrom !== undefined && { reusedFrom }),
    notices,
    stackEnv: placesEnv,
    end() {
      ending ??= (async () => {
        try {
          const source = defaultProcessSource();
          // Services that died mid-run, before their instances are stopped and forgotten.
          const deaths = await findDeaths();
          // The workers' instances first: theirs may depend on the run's services, never the reverse.
          const workerStacks: StackReport[] = [];
          for (const instance of readInstances(runId).filter((r) => r.instance !== RUN_INSTANCE)) workerStacks.push(await stopRecordedInstance(instance, source));
          const stopped = await stack?.stop();
          await releaseLeases(source, { runId });
          const report = await sweep({ ...sweepOptions, owner: runId });
          return { ...report, workerStacks, deaths, ...(stopped && { stack: stopped }) };
        } finally {
          removeRunRecord(runId, process.pid);
          await watchdog?.stop();
          restoreStackEnv();
          restoreEnv();
        }
      })();
      return ending;
    },
  };
}
