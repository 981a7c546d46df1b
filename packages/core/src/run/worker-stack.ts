// A runner worker's own stack instance: the config's worker-scoped services, started before the first
// test file of a worker slot runs and shared by the slot's later files, stopped when the worker ends
// (Playwright) or by the run's end (at the latest, in every runner). A slot outlives the processes a
// runner starts for it (Vitest's `isolate` starts a process per file), so the instance is found again
// through its record in the registry, not through a handle in memory.
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_GRACE_MS, DEFAULT_KILL_WAIT_MS, DEFAULT_NAMES, DEFAULT_READY_TIMEOUT_MS } from '../config/defaults.js';
import { RUN_INSTANCE, stackTag, workerInstance } from '../config/names.js';
import { servicesOf, type ServiceFacts } from '../config/stack-options.js';
import { ReaperError } from '../errors.js';
import { isDead } from '../processes/process-info.js';
import { defaultProcessSource, type ProcessSource } from '../processes/process-source.js';
import { deadServiceOf } from './stack-health.js';
import { claimInstance, markTestsFailed, readInstance, removeInstance, type Holder, type InstanceRecord } from '../registry/instances.js';
import { readRunRecord } from '../registry/runs.js';
import type { ServiceHandle } from '../stack/service.js';
import { stackEnv, startStack, type StackHandle, type StackReport } from '../stack/start-stack.js';
import { stopRecordedInstance } from '../stack/stop-instance.js';
import type { JoinedRun } from './runner-run.js';
export { workerInstance };
import { setEnv } from './set-env.js';

/** Slack over the services' own readiness timeouts while another process starts the slot's instance. */
const WAIT_SLACK_MS = 10_000;

/** A worker's instance, as a test file sees it. */
export interface WorkerStack {
  /** `w<slot>`. */
  instance: string;
  /** `${dir}` of the instance. */
  dir: string;
  /** Its services (the worker-scoped ones) by name. */
  services: Readonly<Record<string, ServiceHandle>>;
  /** `MCP_REAPER_STACK_<NAME>_…` of its services and its `MCP_REAPER_STACK_DIR`, over the run's. */
  env: Readonly<Record<string, string>>;
  /** Whether this process started it (else an earlier file of the slot did). */
  startedHere: boolean;
  /** Stops it now, verified, and forgets it (Playwright, when its worker ends); otherwise the run's end does. */
  stop(): Promise<StackReport>;
}


function handlesOf(record: InstanceRecord): Record<string, ServiceHandle> {
  return Object.fromEntries(
    record.services.map((s) => [s.name, { name: s.name, pid: s.pid, port: s.port, socket: s.socket, url: s.url, logFile: s.logFile }]),
  );
}

async function alive(holder: Holder, source: ProcessSource): Promise<boolean> {
  const now = (await source.probe([holder.pid])).get(holder.pid);
  return !isDead(now) && now!.startKey === holder.startKey;
}

/**
 * The worker-scoped services of `run`'s config for worker slot `slot`: started here if no file of the
 * slot started them yet, else the running instance. Undefined when the stack has no worker-scoped
 * service. Throws the start's error (a `StackStartError`, naming the service, its output and the dir
 * kept for reading) when they cannot start.
 */
export async function joinWorkerStack(input: { run: JoinedRun; slot: string | number; source?: ProcessSource }): Promise<WorkerStack | undefined> {
  const { run } = input;
  const services = servicesOf(run.config.stack ?? {}, 'worker');
  if (Object.keys(services).length === 0) return undefined;
  const source = input.source ?? defaultProcessSource();
  const instance = workerInstance(input.slot);
  const owner = readRunRecord(run.runId);
  if (!owner) {
    throw new ReaperError('EREGISTRY', `The record of run ${run.runId} is gone from the registry, so worker ${instance}'s stack cannot be tied to it: did the run's global setup end early?`);
  }
  const holder: Holder = { pid: owner.pid, startKey: owner.startKey };
  const self = (await source.probe([process.pid])).get(process.pid);
  if (!self) throw new ReaperError('EPROCESSLIST', `Cannot read this process (pid ${process.pid}) in the process table.`);
  const me: Holder = { pid: process.pid, startKey: self.startKey };
  const { sweep } = run.config;
  const timeoutMs = Object.values(services).reduce((sum, s) => sum + (s.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS), 0) + WAIT_SLACK_MS;
  const deadline = performance.now() + timeoutMs;

  const joined = (record: InstanceRecord, handle?: StackHandle): WorkerStack => {
    const handles = handle?.services ?? handlesOf(record);
    return {
      instance,
      dir: record.dir,
      services: handles,
      env: handle?.env ?? stackEnv(Object.values(handles), record.dir),
      startedHere: handle !== undefined,
      stop: async () => {
        if (handle) return handle.stop();
        const now = readInstance(run.runId, instance);
        return now ? stopRecordedInstance(now, source) : { ok: true, services: [], durationMs: 0, dir: record.dir, keptDir: false };
      },
    };
  };

  for (;;) {
    const record = readInstance(run.runId, instance);
    if (record?.state === 'up') {
      const dead = await deadServiceOf(record, source);
      if (dead === undefined) return joined(record);
      throw new ReaperError('ESERVICEDIED', dead.message);
    }
    if (record && record.state === 'starting' && !(await alive(record.starter, source))) {
      // Its starter died mid-start (a worker killed): what it started is stopped, and the slot starts afresh.
      await stopRecordedInstance(record, source, { dir: 'remove' });
      continue;
    }
    if (record) {
      if (performance.now() > deadline) throw new ReaperError('ESERVICETIMEOUT', `worker ${instance}'s stack did not come up within ${timeoutMs} ms (another process of the slot, pid ${record.starter.pid}, is starting it)`);
      await delay(20);
      continue;
    }
    const claim: InstanceRecord = { version: 1, runId: run.runId, instance, dir: '', holder, state: 'starting', starter: me, services: [] };
    if (!claimInstance(claim)) continue; // another process of the slot got there first: wait for it

    // The run-scoped services: the run's own, or those of the `up` it reuses.
    const upstream: Record<string, ServiceFacts> = Object.fromEntries(
      (readInstance(owner.reusedFrom ?? run.runId, RUN_INSTANCE)?.services ?? []).map((s) => [s.name, { port: s.port, socket: s.socket, url: s.url }]),
    );
    let handle: StackHandle;
    try {
      handle = await startStack(
        {
          services,
          owner: stackTag(run.runId, instance),
          names: sweep.names ?? DEFAULT_NAMES,
          graceMs: sweep.graceMs ?? DEFAULT_GRACE_MS,
          killWaitMs: sweep.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
          source,
        },
        { runId: run.runId, instance, holder, upstream },
      );
    } catch (error) {
      // A start that failed before it recorded anything leaves our claim: withdrawn, so the next file of the slot tries again.
      const left = readInstance(run.runId, instance);
      if (left?.state === 'starting' && left.starter.pid === me.pid && left.dir === '') removeInstance(left, { keepDir: true });
      throw error;
    }
    return joined(readInstance(run.runId, instance)!, handle);
  }
}

/** A test that used the run's stack and worker `slot`'s failed: their dirs are kept (named at the run's end). */
export function markStackTestsFailed(run: Pick<JoinedRun, 'runId'>, slot?: string | number): void {
  markTestsFailed(run.runId, [RUN_INSTANCE, ...(slot === undefined ? [] : [workerInstance(slot)])]);
}

/** One service of the stack as a test sees it. */
export interface StackService {
  url: string | undefined;
  port: number | undefined;
  socket: string | undefined;
  pid: number;
  logFile: string;
}

/** The whole stack as a worker's tests see it: the run's services and the worker's own, by name, and the worker's `${dir}` (else the run's). */
export interface StackView {
  services: Readonly<Record<string, StackService>>;
  dir: string | undefined;
}

/** A worker's stack, in use by a test file (or by a Playwright worker): see `openWorkerStack()`. */
export interface OpenWorkerStack {
  /** The worker's own instance; undefined when the stack has no worker-scoped service. */
  stack: WorkerStack | undefined;
  view: StackView;
  /** Puts the environment back; with `testsFailed`, marks the run's and the worker's instances so that their dirs are kept. */
  close(options: { testsFailed: boolean }): void;
}

function viewOf(run: Pick<JoinedRun, 'runId'>, worker: WorkerStack | undefined): StackView {
  const services: Record<string, StackService> = {};
  // The run-scoped services: the run's own, or those of the `up` it reuses.
  const runRecord = readInstance(readRunRecord(run.runId)?.reusedFrom ?? run.runId, RUN_INSTANCE);
  const all = [...(runRecord?.services ?? []), ...Object.values(worker?.services ?? {})];
  for (const s of all) services[s.name] = { url: s.url, port: s.port, socket: s.socket, pid: s.pid, logFile: s.logFile };
  return { services, dir: worker?.dir ?? runRecord?.dir };
}

/**
 * What a test file (Vitest, Jest) or a worker (Playwright) does with the stack before its tests run:
 * joins its slot's instance (starting it if no file of the slot did), and puts its services' places
 * in `process.env` (and in each of `envs`, a sandbox's copy), over the run's.
 */
export async function openWorkerStack(input: { run: JoinedRun; slot: string | number; envs?: ReadonlyArray<NodeJS.ProcessEnv | undefined> }): Promise<OpenWorkerStack> {
  const stack = await joinWorkerStack(input);
  const restore = stack ? setEnv(stack.env, input.envs) : () => {};
  return {
    stack,
    view: viewOf(input.run, stack),
    close({ testsFailed }) {
      if (testsFailed && input.run.config.stack !== undefined) markStackTestsFailed(input.run, input.slot);
      restore();
    },
  };
}
