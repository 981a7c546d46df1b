// The watchdog process (see watchdog.ts): waits for the watched process to die, sweeps its run, and
// removes the run's record from the registry of live runs.
import { setTimeout as delay } from 'node:timers/promises';
import { isDead } from '../processes/process-info.js';
import { defaultProcessSource } from '../processes/process-source.js';
import { sweep } from '../sweep/sweep.js';
import { RUN_INSTANCE, WATCHDOG_ORDERS_ENV } from '../config/names.js';
import { readInstances } from '../registry/instances.js';
import { releaseLeases } from '../registry/port-leases.js';
import { removeRunRecord } from '../registry/runs.js';
import { stopRecordedInstance } from '../stack/stop-instance.js';
import type { WatchdogOrders } from './watchdog.js';

async function alive(orders: WatchdogOrders): Promise<boolean> {
  if (process.platform === 'linux') {
    const now = (await defaultProcessSource().probe([orders.watchPid])).get(orders.watchPid);
    return !isDead(now) && now!.startKey === orders.watchStartKey;
  }
  // Elsewhere a probe spawns `ps`; kill(pid, 0) is free, and a killed runner is reaped by its shell.
  try {
    process.kill(orders.watchPid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function watch(orders: WatchdogOrders): Promise<void> {
  // Stopped on purpose (the run's teardown did the cleanup): leave without sweeping.
  process.once('SIGTERM', () => process.exit(0));
  // The terminal's Ctrl-C or hang-up reaches the runner, not us (own session); ignore strays anyway.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  while (await alive(orders)) await delay(orders.intervalMs);
  try {
    // The run's stack instances first (its workers', then its own: theirs may depend on it), each
    // stopped in reverse start order, with their dirs: no output named one to keep.
    const runId = orders.sweep.owner;
    const source = defaultProcessSource();
    const instances = readInstances(runId).filter((r) => r.holder.pid === orders.watchPid);
    instances.sort((a, b) => Number(a.instance === RUN_INSTANCE) - Number(b.instance === RUN_INSTANCE));
    for (const instance of instances) await stopRecordedInstance(instance, source, { dir: 'remove' }).catch(() => undefined);
    await releaseLeases(source, { runId });
    await sweep(orders.sweep);
  } finally {
    // The run's owner is gone, so its record is stale: removed while it still names the watched process.
    removeRunRecord(orders.sweep.owner, orders.watchPid);
  }
}

const orders = process.env[WATCHDOG_ORDERS_ENV];
if (orders) await watch(JSON.parse(orders) as WatchdogOrders);
