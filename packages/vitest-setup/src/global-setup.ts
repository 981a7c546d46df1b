// globalSetup: ['@mcp-reaper/vitest-setup/global-setup']. Runs once, in Vitest's main process,
// before any worker starts, so the run id it puts in process.env reaches both pools.
import { forRunner, startRunnerRun } from '@mcp-reaper/core';
import type { TestProject } from 'vitest/node';
import { OPTIONS_KEY, RUN_KEY } from './options.js';

export type { VitestReaperOptions } from './options.js';

/**
 * The core's `startRunnerRun()`: sweeps every leftover of earlier runs (keeping other live runs'
 * daemons), tags the run, starts the crash watchdog, records the run as live, and hands the run to
 * the test files. Returns the teardown, which Vitest runs at the end of the run (in watch mode: when
 * it quits): it stops whatever the run still left, named as `onLeak` says.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let run;
  try {
    run = await startRunnerRun({
      runner: 'vitest',
      root: project.config.root,
      settings: (project.getProvidedContext() as Record<string, unknown>)[OPTIONS_KEY],
    });
  } catch (error) {
    throw forRunner(error);
  }
  // Cast: the ProvidedContext augmentation in options.ts is for users; tsup's declaration build does not apply it here.
  project.provide(RUN_KEY as never, run.handoff as never);
  for (const line of run.notices) console.warn(line);

  return async () => {
    const { lines, error } = await run.end();
    for (const line of lines) console.warn(line);
    if (error) throw error;
  };
}
