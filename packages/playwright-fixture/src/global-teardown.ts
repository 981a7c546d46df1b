import { takeRun } from './run-store.js';

/**
 * `globalTeardown: '@mcp-reaper/playwright-fixture/global-teardown'`: stops what the run left (its
 * owner tag only), stops the watchdog and restores the environment. Running it twice, or without the
 * global setup, does nothing more.
 */
export default async function globalTeardown(): Promise<void> {
  const run = takeRun();
  if (!run) return;
  // run.end() holds the event loop while it waits for the watchdog (core's watchdog.stop()).
  const report = await run.end();
  const survivors = report.processes.filter((p) => p.action === 'survived' || p.action === 'respawned');
  if (survivors.length > 0) {
    throw new Error(
      `mcp-reaper could not stop ${survivors.length === 1 ? 'a daemon' : `${survivors.length} daemons`} this run left:\n` +
        survivors.map((p) => `  pid ${p.pid}: ${p.command} (${p.reason})`).join('\n'),
    );
  }
}
