// globalSetup: ['@mcp-reaper/vitest-setup/global-setup']. Runs once, in Vitest's main process,
// before any worker starts, so the run id it puts in process.env reaches both pools.
import { loadOptions, startRun, type SweepReport } from '@mcp-reaper/core';
import type { TestProject } from 'vitest/node';
import { OPTIONS_FROM, OPTIONS_KEY, RUN_KEY, splitOptions, type ProvidedRun } from './options.js';

export type { VitestReaperOptions } from './options.js';

/**
 * Sweeps every leftover of earlier runs, tags the run, starts the crash watchdog and hands the
 * resolved options to the test files. Returns the teardown, which Vitest runs at the end of the run
 * (in watch mode: when it quits) and which stops whatever this run still left.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { onLeak, watchdog, sweep } = splitOptions((project.getProvidedContext() as Record<string, unknown>)[OPTIONS_KEY]);
  const { configFile: _configFile, ...options } = await loadOptions({
    cwd: project.config.root,
    overrides: sweep,
    overridesFrom: OPTIONS_FROM,
  });
  const run = await startRun({ ...options, watchdog });
  const provided: ProvidedRun = { runId: run.runId, root: project.config.root, onLeak, options };
  // Cast: the ProvidedContext augmentation in options.ts is for users; tsup's declaration build does not apply it here.
  project.provide(RUN_KEY as never, provided as never);
  if (!run.before.ok) console.warn(problems('before the run', run.before));

  return async () => {
    const report = await run.end();
    if (!report.ok) console.warn(problems('at the end of the run', report));
  };
}

/** The processes and files a sweep could not deal with, in words. */
function problems(when: string, report: SweepReport): string {
  const lines = [
    ...report.processes.filter((p) => p.action === 'survived' || p.action === 'skipped' || p.action === 'respawned').map((p) => `  pid ${p.pid} ${p.action}: ${p.command} (${p.reason})`),
    ...report.files.filter((f) => f.action === 'skipped').map((f) => `  ${f.path} skipped: ${f.reason}`),
  ];
  return `mcp-reaper: the sweep ${when} could not clean everything:\n${lines.join('\n')}`;
}
