// Stack instances in the registry. An instance is a set of services started together with a private
// dir of their own: a run's run-scoped services (instance `run`), or one runner worker's
// worker-scoped ones (`w<slot>`). Its record lists each service's process group leader as soon as it
// is spawned, so that whoever stops the instance without its handle can: the run's end (a Vitest
// worker that started it has exited long since), the watchdog after the runner was killed, the next
// file of the same worker slot (which reuses it).
import fs from 'node:fs';
import path from 'node:path';
import { debuglog } from 'node:util';
import { REGISTRY_STACKS_DIR } from '../config/names.js';
import { isDead } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { checkPrivateDir, ensurePrivateDir, userDir, writeWhole } from './private-dir.js';

const debug = debuglog('mcp-reaper');

/** A process that holds something: the same pid with the same start time (see ProcessInfo.startKey). */
export interface Holder {
  pid: number;
  startKey: string;
}

/** One service of an instance as recorded: enough to stop its group without its handle, and to say where it is. */
export interface RecordedService {
  name: string;
  /** Its process group leader (the process that was started). */
  pid: number;
  startKey: string;
  graceMs: number;
  killWaitMs: number;
  logFile: string;
  /** Known once it is ready. */
  port?: number;
  socket?: string;
  url?: string;
  /** False between its spawn and its readiness. */
  ready: boolean;
  /** A one-shot task (an `exit` ready check): ready when it has exited, so its absence is no death. */
  oneShot?: boolean;
  /** When it was ready (ms since the epoch). */
  readyAt?: number;
  /** Set by the process that started it, when it exited between its readiness and its teardown. */
  died?: { code: number | null; signal: string | null; at: number };
}

export interface InstanceRecord {
  version: 1;
  runId: string;
  instance: string;
  /** `${dir}`: private to the instance, removed after a clean stop, kept when asked (a failed start or test). */
  dir: string;
  /** The process the instance lives as long as: the run's owner. Its leases are held in its name. */
  holder: Holder;
  /** `starting` while its services come up (`starter` is the process starting them), `up`, or `failed` (with `error`). */
  state: 'starting' | 'up' | 'failed';
  starter: Holder;
  /** In start order. */
  services: RecordedService[];
  error?: string;
  /** A test that used the instance failed: its dir is kept, for its logs and database. */
  testsFailed?: boolean;
}

/** An instance id as a file name: `run`, `w1`… (a run id may hold "/", so both are encoded). */
const encode = (part: string) => encodeURIComponent(part);

function runStacksDir(runId: string): string {
  return path.join(userDir(), REGISTRY_STACKS_DIR, encode(runId));
}

function recordFile(runId: string, instance: string): string {
  return path.join(runStacksDir(runId), `${encode(instance)}.json`);
}

/** The instance's private dir, created (mode 700) and checked. Its path is short: a Unix socket in it must fit in sun_path. */
export function ensureInstanceDir(runId: string, instance: string): string {
  return ensurePrivateDir(REGISTRY_STACKS_DIR, encode(runId), encode(instance));
}

function parse(text: string): InstanceRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<InstanceRecord>;
    if (value?.version !== 1 || typeof value.runId !== 'string' || typeof value.instance !== 'string' || !Array.isArray(value.services)) return undefined;
    return value as InstanceRecord;
  } catch {
    return undefined; // being written by a claim (see claimInstance), or debris
  }
}

/** Writes (or rewrites) an instance's record whole. */
export function writeInstance(record: InstanceRecord): void {
  const dir = ensurePrivateDir(REGISTRY_STACKS_DIR, encode(record.runId));
  writeWhole(dir, recordFile(record.runId, record.instance), JSON.stringify(record));
}

/**
 * Records `record` only if no record of that instance exists yet: the one process that gets `true`
 * starts the instance; the others wait for its record to say `up` or `failed`.
 */
export function claimInstance(record: InstanceRecord): boolean {
  ensurePrivateDir(REGISTRY_STACKS_DIR, encode(record.runId));
  try {
    fs.writeFileSync(recordFile(record.runId, record.instance), JSON.stringify(record), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export function readInstance(runId: string, instance: string): InstanceRecord | undefined {
  try {
    return parse(fs.readFileSync(recordFile(runId, instance), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every instance recorded for `runId` (none when the registry cannot be read: the caller's own handles still stop theirs). */
export function readInstances(runId: string): InstanceRecord[] {
  if (checkPrivateDir(REGISTRY_STACKS_DIR, encode(runId)).problem) return [];
  let names: string[];
  try {
    names = fs.readdirSync(runStacksDir(runId));
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith('.json')).flatMap((name) => readInstance(runId, decodeURIComponent(name.slice(0, -'.json'.length))) ?? []);
}

/** The run ids that have instances recorded. */
export function runsWithInstances(): string[] {
  if (checkPrivateDir(REGISTRY_STACKS_DIR).problem) return [];
  try {
    return fs.readdirSync(path.join(userDir(), REGISTRY_STACKS_DIR)).map(decodeURIComponent);
  } catch {
    return [];
  }
}

/** The first recorded service that no longer runs (gone, or its pid another process's now), if any. */
export async function goneService(record: InstanceRecord, source: ProcessSource): Promise<RecordedService | undefined> {
  const now = await source.probe(record.services.filter((s) => !s.oneShot).map((s) => s.pid));
  return record.services.find((s) => {
    if (s.oneShot) return false;
    const info = now.get(s.pid);
    return isDead(info) || info!.startKey !== s.startKey;
  });
}

/** Marks instances whose tests failed, so that their dirs are kept. */
export function markTestsFailed(runId: string, instances: readonly string[]): void {
  for (const instance of instances) {
    const record = readInstance(runId, instance);
    if (record && !record.testsFailed) writeInstance({ ...record, testsFailed: true });
  }
}

/**
 * Forgets an instance: its record, and its dir unless `keepDir`. The run's dir of instances goes
 * when it is empty. The dir is removed only where the record says it is, inside the registry.
 */
export function removeInstance(record: Pick<InstanceRecord, 'runId' | 'instance' | 'dir'>, options: { keepDir: boolean }): void {
  const expected = path.join(runStacksDir(record.runId), encode(record.instance));
  if (!options.keepDir && record.dir === expected) fs.rmSync(record.dir, { recursive: true, force: true });
  fs.rmSync(recordFile(record.runId, record.instance), { force: true });
  try {
    fs.rmdirSync(runStacksDir(record.runId)); // only when nothing else is left in it
  } catch {
    // other instances, or a kept dir
  }
  debug('removed instance %s of %s%s', record.instance, record.runId, options.keepDir ? ` (kept ${record.dir})` : '');
}
