// The watchdog process (see watchdog.ts): waits for the watched process to die, sweeps its run, and
// removes the run's record from the registry of live runs.
import { setTimeout as delay } from 'node:timers/promises';
import { WATCHDOG_ORDERS_ENV } from '../config/names.js';
import { isDead } from '../processes/process-info.js';
import { defaultProcessSource } from '../processes/process-source.js';
import { sweep } from '../sweep/sweep.js';
import { stopRecordedService } from '../stack/recorded-services.js';
import { readRunRecord, removeRunRecord } from './registry.js';
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
    // The run's stack first, dependents before what they depend on (the record lists them in start order).
    const record = readRunRecord(orders.sweep.owner);
    const source = defaultProcessSource();
    for (const service of [...(record?.pid === orders.watchPid ? (record.services ?? []) : [])].reverse()) {
      await stopRecordedService(service, source).catch(() => undefined);
    }
    await sweep(orders.sweep);
  } finally {
    // The run's owner is gone, so its record is stale: removed while it still names the watched process.
    removeRunRecord(orders.sweep.owner, orders.watchPid);
  }
}

const orders = process.env[WATCHDOG_ORDERS_ENV];
if (orders) await watch(JSON.parse(orders) as WatchdogOrders);
