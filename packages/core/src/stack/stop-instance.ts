// Stopping a stack instance from its record, without the handle of whoever started it: the run's end
// stops the instances its workers started (a Vitest worker that started one has exited since), and
// the watchdog stops every instance of a runner that was killed. Services started through an
// interpreter or a launcher (`python3 coordinator.py`, `npx vite`) have no name a sweep could find
// them by; the record names each one's process group leader and its start time.
import { isDead } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { removeInstance, type InstanceRecord, type RecordedService } from '../registry/instances.js';
import { releaseLeases } from '../registry/port-leases.js';
import { sweepReport } from '../report.js';
import { stopDaemonGroup } from '../daemon/stop-group.js';
import { stillHeld, type ServiceStop } from './service.js';
import { keepReason, type StackReport } from './start-stack.js';

/**
 * Stops a recorded service's process group, verified, and checks that it let go of its socket and
 * port. Its leader running with another start time is another process that got the pid, so the group
 * is gone: nothing is signalled. (The kernel hands out no pid that is still a live group's id.)
 */
export async function stopRecordedService(service: RecordedService, source: ProcessSource): Promise<ServiceStop> {
  const now = (await source.probe([service.pid])).get(service.pid);
  if (!isDead(now) && now!.startKey !== service.startKey) return { name: service.name, report: sweepReport({ dryRun: false, durationMs: 0, processes: [], files: [] }), held: [], ok: true };
  const report = await stopDaemonGroup({
    pid: service.pid,
    command: `stack service ${service.name}`,
    exit: isDead(now) ? { code: null, signal: null } : undefined,
    source,
    graceMs: service.graceMs,
    killWaitMs: service.killWaitMs,
    ...(service.socket !== undefined && { socketPath: service.socket }),
  });
  const held = report.ok && service.ready ? await stillHeld(service) : [];
  return { name: service.name, report, held, ok: report.ok && held.length === 0 };
}

/**
 * Stops every service of a recorded instance (the last started first: a service starts only once
 * what it depends on is ready), releases its port leases, and forgets it: its record, and its dir
 * unless a test that used it failed, or the stop was not clean. `dir: 'remove'` removes the dir
 * whatever happened: the watchdog's, after a killed runner, which named no dir to keep.
 */
export async function stopRecordedInstance(record: InstanceRecord, source: ProcessSource, options: { dir?: 'auto' | 'remove' } = {}): Promise<StackReport> {
  const startedAt = performance.now();
  const stops: ServiceStop[] = [];
  for (const service of [...record.services].reverse()) stops.push(await stopRecordedService(service, source));
  await releaseLeases(source, { runId: record.runId, instance: record.instance });
  const ok = stops.every((s) => s.ok);
  const keptBecause = options.dir === 'remove' ? undefined : keepReason({ asked: false, testsFailed: record.testsFailed === true, failedStart: record.state === 'failed', clean: ok });
  removeInstance(record, { keepDir: keptBecause !== undefined });
  return { ok, services: stops, durationMs: Math.round((performance.now() - startedAt) * 10) / 10, dir: record.dir, keptDir: keptBecause !== undefined, ...(keptBecause !== undefined && { keptBecause }) };
}
