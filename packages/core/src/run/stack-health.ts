// A stack service that dies mid-run is named. From its readiness until its teardown each service is
// watched: the process that started it records its exit (code or signal) in the instance's record;
// a service started by a process that has ended since (a Vitest worker under `isolate`) is found gone
// by its pid and start time. Before each test file and each test, the runner adapters ask; a dead
// service fails the file (or the test) with one reason: its name, how it ended, how long after it was
// ready, and the last lines of its log. Later tests fail with the same reason, not with ECONNREFUSED,
// and the run's end fails the run even if no test noticed.
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { RUN_INSTANCE, workerInstance } from '../config/names.js';
import { isDead } from '../processes/process-info.js';
import { defaultProcessSource, type ProcessSource } from '../processes/process-source.js';
import { goneService, readInstance, type InstanceRecord, type RecordedService } from '../registry/instances.js';
import { readRunRecord } from '../registry/runs.js';
import { PREFIX } from './verdict.js';

/** How many of a dead service's last log lines its reason shows. */
const LOG_LINES = 20;
/** How long its starter, still running, may take to record a service's exit. */
const RECORD_WAIT_MS = 1000;

/** A service that is no longer running, with why, in one message. */
export interface DeadService {
  instance: string;
  service: RecordedService;
  message: string;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** How much of the end of a log is read for its last lines. */
const TAIL_BYTES = 16 * 1024;

/** The last non-empty lines of a log (the whole file: a service's log holds its own output only). */
export function lastLines(file: string, count = LOG_LINES): string[] {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(size, TAIL_BYTES));
      fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      text = buffer.toString('utf8');
      // A read that started mid-file starts mid-line: that first piece is dropped.
      if (size > buffer.length) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return [];
  }
  return text.split(/\r?\n/).filter((line) => line.trim() !== '').slice(-count);
}

/**
 * Why a service is dead, in one message. `for: 'tests'` (the default) says every test from here on
 * fails with it; `for: 'run'` is the run's end, or `up`'s terminal.
 */
export function deathMessage(instance: InstanceRecord, service: RecordedService, options: { for?: 'tests' | 'run'; now?: number } = {}): string {
  const now = options.now ?? Date.now();
  const died = service.died;
  const how = died
    ? died.signal
      ? `was killed by ${died.signal}`
      : `exited with code ${died.code}`
    : `is no longer running (its exit status went to pid ${instance.starter.pid}, which started it)`;
  const when = service.readyAt === undefined ? '' : died ? ` ${duration(died.at - service.readyAt)} after it was ready` : `; found gone ${duration(now - service.readyAt)} after it was ready`;
  const where = instance.instance === RUN_INSTANCE ? '' : ` of worker ${instance.instance}`;
  const lines = lastLines(service.logFile);
  const tail = lines.length === 0 ? `It wrote nothing to ${service.logFile}.` : `Its last lines (${service.logFile}):\n  ${lines.join('\n  ')}`;
  const after = options.for === 'run' ? '' : ' Every test from here on fails with this reason.';
  return `${PREFIX}stack service "${service.name}"${where} (pid ${service.pid}) ${how}${when}.${after}\n${tail}`;
}

/** The first service of `instance` that is no longer running: recorded as dead, or gone from the process table. */
export async function deadServiceOf(instance: InstanceRecord | undefined, source: ProcessSource, audience: 'tests' | 'run' = 'tests'): Promise<DeadService | undefined> {
  if (!instance || instance.state !== 'up') return undefined;
  const recorded = instance.services.find((s) => s.died !== undefined);
  if (recorded) return { instance: instance.instance, service: recorded, message: deathMessage(instance, recorded, { for: audience }) };
  const gone = await goneService(instance, source);
  if (!gone) return undefined;
  // A starter that still runs records the exit (its code or signal) as soon as its event loop sees it.
  let again = gone;
  const starter = (await source.probe([instance.starter.pid])).get(instance.starter.pid);
  if (!isDead(starter) && starter!.startKey === instance.starter.startKey) {
    const deadline = Date.now() + RECORD_WAIT_MS;
    do {
      again = readInstance(instance.runId, instance.instance)?.services.find((s) => s.name === gone.name) ?? gone;
      if (again.died) break;
      await delay(10);
    } while (Date.now() < deadline);
  }
  return { instance: instance.instance, service: again, message: deathMessage(instance, again, { for: audience }) };
}

/**
 * The first dead service of the stack a test of `runId` (in worker `slot`) uses: the run's own
 * services (or the `up`'s it reuses), then the worker's. Undefined while all run.
 */
export async function deadService(runId: string, slot?: string | number, source: ProcessSource = defaultProcessSource()): Promise<DeadService | undefined> {
  const stackRun = readRunRecord(runId)?.reusedFrom ?? runId;
  return (
    (await deadServiceOf(readInstance(stackRun, RUN_INSTANCE), source)) ??
    (slot === undefined ? undefined : await deadServiceOf(readInstance(runId, workerInstance(slot)), source))
  );
}
