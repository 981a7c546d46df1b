import { inUiMode, takeRun } from './run-store.js';

/**
 * `globalTeardown: '@mcp-reaper/playwright-fixture/global-teardown'`: the run's `end()`. Stops what the
 * run left (its owner tag only), removes its record, stops the watchdog and restores the environment;
 * names what it stopped as `onLeak` says, and fails the run when something could not be stopped.
 * Running it twice, or without the global setup, does nothing more.
 */
export default async function globalTeardown(): Promise<void> {
  // UI mode: the run and its stack stay up for the next run of the session; the watchdog ends the
  // run when the UI exits.
  if (inUiMode()) return;
  const run = takeRun();
  if (!run) return;
  // end() holds the event loop while it waits for the watchdog (core's watchdog.stop()).
  const { lines, error } = await run.end();
  for (const line of lines) console.warn(line);
  if (error) throw error;
}
