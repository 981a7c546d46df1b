import { randomBytes } from 'node:crypto';
import { debuglog } from 'node:util';
import type { SweepOptions } from '../options.js';
import { OWNER_ENV } from '../processes/owner-tag.js';
import type { SweepReport } from '../report.js';
import { sweep } from '../sweep.js';
import { startWatchdog, type Watchdog } from '../watchdog.js';

const debug = debuglog('mcp-reaper');

/** The run's id, set by the run's global setup and inherited by the runner's workers. */
export const RUN_ENV = 'MCP_REAPER_RUN';

/** Options of `startRun()`: the sweep's (less the scope, which is the run) plus the watchdog switch. */
export interface StartRunOptions extends Omit<SweepOptions, 'owner' | 'descendantsOf' | 'dryRun' | 'source'> {
  /** Start the crash-safety watchdog. Default: `true`. */
  watchdog?: boolean;
  /** The run's id. Default: an inherited `MCP_REAPER_RUN`, else a new `run-<12 hex digits>`. */
  runId?: string;
}

/** A test run in progress: see `startRun()`. */
export interface Run {
  runId: string;
  /** What the sweep before the run found and did (leftovers from earlier runs). */
  before: SweepReport;
  watchdog: Watchdog | undefined;
  /**
   * Sweeps what this run left (its owner tag only), stops the watchdog and restores the environment.
   * Every call returns the same promise.
   */
  end(): Promise<SweepReport>;
}

/**
 * What a runner's global setup does, in one call: sweep every leftover from earlier runs, tag this
 * run (`MCP_REAPER_RUN` and `MCP_REAPER_OWNER` in `process.env`, which the runner's workers and every
 * daemon they start inherit) and start the watchdog that sweeps the run if the runner dies.
 */
export async function startRun(options: StartRunOptions = {}): Promise<Run> {
  const { watchdog: withWatchdog = true, runId: givenId, ...sweepOptions } = options;
  const before = await sweep(sweepOptions);
  const runId = givenId ?? process.env[RUN_ENV] ?? `run-${randomBytes(6).toString('hex')}`;

  const saved = { run: process.env[RUN_ENV], owner: process.env[OWNER_ENV] };
  process.env[RUN_ENV] = runId;
  process.env[OWNER_ENV] = runId;
  const watchdog = withWatchdog ? await startWatchdog({ ...sweepOptions, owner: runId }) : undefined;
  debug('run %s started (watchdog %s)', runId, watchdog?.pid);

  let ending: Promise<SweepReport> | undefined;
  return {
    runId,
    before,
    watchdog,
    end() {
      ending ??= (async () => {
        try {
          return await sweep({ ...sweepOptions, owner: runId });
        } finally {
          await watchdog?.stop();
          restore(RUN_ENV, saved.run);
          restore(OWNER_ENV, saved.owner);
        }
      })();
      return ending;
    },
  };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
