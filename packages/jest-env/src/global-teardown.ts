import type { Config } from '@jest/types';
import { say } from './options.js';
import { getRunState, setRunState } from './run-state.js';

/**
 * `globalTeardown: '@mcp-reaper/jest-env/global-teardown'`: the run's `end()`. Stops what the run
 * left (its owner tag only), removes its record, stops the watchdog and restores process.env; names
 * what it stopped as `onLeak` says, and fails the run when something could not be stopped.
 */
export default async function globalTeardown(globalConfig?: Config.GlobalConfig): Promise<void> {
  const state = getRunState();
  if (!state) return; // no global setup ran (or it failed): nothing of ours to end
  state.projects -= 1;
  if (state.projects > 0) return;
  // Watch mode: the run and its stack stay up for the next rerun; what this rerun's files left (an
  // interrupted file never ran its own check) is stopped now. The watchdog ends the run when the
  // watcher exits (Jest exits on q and Ctrl-C without a teardown).
  if (state.watching) {
    const slots = Array.from({ length: Math.max(1, globalConfig?.maxWorkers ?? 1) }, (_, i) => i + 1);
    const verdict = await state.run.checkRerun(slots);
    say([...verdict.lines, ...(verdict.error ? [verdict.error.message] : [])]);
    return;
  }
  setRunState(undefined);
  // end() holds the event loop while it waits for the watchdog (core's watchdog.stop()).
  const verdict = await state.run.end();
  say(verdict.lines);
  if (verdict.error) throw verdict.error;
}
