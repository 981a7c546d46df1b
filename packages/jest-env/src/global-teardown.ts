import { say } from './options.js';
import { getRunState, setRunState } from './run-state.js';

/**
 * `globalTeardown: '@mcp-reaper/jest-env/global-teardown'`: the run's `end()`. Stops what the run
 * left (its owner tag only), removes its record, stops the watchdog and restores process.env; names
 * what it stopped as `onLeak` says, and fails the run when something could not be stopped.
 */
export default async function globalTeardown(): Promise<void> {
  const state = getRunState();
  if (!state) return; // no global setup ran (or it failed): nothing of ours to end
  state.projects -= 1;
  if (state.projects > 0) return;
  setRunState(undefined);
  // end() holds the event loop while it waits for the watchdog (core's watchdog.stop()).
  const verdict = await state.run.end();
  say(verdict.lines);
  if (verdict.error) throw verdict.error;
}
