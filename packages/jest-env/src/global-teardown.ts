import { getRunState, setRunState } from './run-state.js';

/**
 * `globalTeardown: '@mcp-reaper/jest-env/global-teardown'`: the core's `run.end()`. Stops what the run
 * left (its owner tag only), stops the watchdog and restores process.env.
 */
export default async function globalTeardown(): Promise<void> {
  const state = getRunState();
  if (!state) return; // no global setup ran (or it failed): nothing of ours to end
  state.projects -= 1;
  if (state.projects > 0) return;
  setRunState(undefined);
  // run.end() holds the event loop while it waits for the watchdog (core's watchdog.stop()).
  const report = await state.run.end();
  const stopped = report.processes.filter((p) => p.parentDaemon === undefined && p.action !== 'kept');
  if (stopped.length > 0 && (state.onLeak !== 'kill' || !report.ok)) {
    process.stderr.write(
      `\nmcp-reaper: the run left ${stopped.length === 1 ? 'a daemon' : `${stopped.length} daemons`} running:\n` +
        `${stopped.map((p) => `  pid ${p.pid} ${p.action}: ${p.command} (${p.reason})`).join('\n')}\n`,
    );
  }
}
