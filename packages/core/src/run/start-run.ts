import { randomBytes } from 'node:crypto';
import { debuglog } from 'node:util';
import { DEFAULT_WATCHDOG } from '../config/defaults.js';
import { OWNER_ENV, RUN_ENV } from '../config/names.js';
import type { BaseConfig } from '../config/resolve-config.js';
import { checkOptions, RUN_KEYS } from '../config/rules.js';
import { ReaperError } from '../errors.js';
import { defaultProcessSource } from '../processes/process-source.js';
import type { SweepReport } from '../report.js';
import type { SweepOptions } from '../sweep/sweep-options.js';
import { sweep } from '../sweep/sweep.js';
import { registerRun, removeRunRecord, type RunKind } from './registry.js';
import { setEnv } from './set-env.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

const debug = debuglog('mcp-reaper');

/** Options of `startRun()`: the sweep's (less the scope, which is the run) plus the watchdog switch. */
export interface StartRunOptions extends Omit<SweepOptions, 'owner' | 'descendantsOf' | 'dryRun' | 'source'> {
  /** Start the crash-safety watchdog. Default: `true`. */
  watchdog?: boolean;
  /** The run's id. Default: a new `run-<12 hex digits>`. */
  runId?: string;
}

/** A test run in progress: see `startRun()`. */
export interface Run {
  runId: string;
  /** What the sweep before the run found and did (leftovers from earlier runs). */
  before: SweepReport;
  watchdog: Watchdog | undefined;
  /**
   * Sweeps what this run left (its owner tag only), removes its record from the registry of live
   * runs, stops the watchdog and restores the environment. Every call returns the same promise.
   */
  end(): Promise<SweepReport>;
}

/** What only the core's own callers pass: who starts the run, and the config its workers start from. */
export interface RunOrigin {
  kind?: RunKind;
  root?: string;
  base?: BaseConfig;
}

/**
 * What a runner's global setup does, in one call: sweep every leftover from earlier runs (keeping the
 * daemons of other live runs), tag this run (`MCP_REAPER_RUN` and `MCP_REAPER_OWNER` in
 * `process.env`, which the runner's workers and every daemon they start inherit), start the watchdog
 * that sweeps the run if the runner dies, and record the run as live so that other runs' sweeps keep
 * its daemons.
 */
export async function startRun(options: StartRunOptions = {}, origin: RunOrigin = {}): Promise<Run> {
  checkOptions(options, RUN_KEYS, 'startRun() options');
  const { watchdog: withWatchdog = DEFAULT_WATCHDOG, runId = `run-${randomBytes(6).toString('hex')}`, includeLiveRuns, ...sweepOptions } = options;
  // Set before the first sweep, which belongs to this run: an enclosing run (a runner under
  // `mcp-reaper run`) is then another live run, and its daemons are kept.
  const restoreEnv = setEnv({ [RUN_ENV]: runId, [OWNER_ENV]: runId });
  let watchdog: Watchdog | undefined;
  let before: SweepReport;
  try {
    before = await sweep({ ...sweepOptions, includeLiveRuns });
    watchdog = withWatchdog ? await startWatchdog({ ...sweepOptions, owner: runId }) : undefined;
    const self = (await defaultProcessSource().probe([process.pid])).get(process.pid);
    if (!self) throw new ReaperError('EPROCESSLIST', `Cannot read this process (pid ${process.pid}) in the process table, so the run cannot be recorded as live.`);
    registerRun({
      version: 1,
      runId,
      kind: origin.kind ?? 'api',
      pid: process.pid,
      startKey: self.startKey,
      cwd: process.cwd(),
      startedAt: new Date().toISOString(),
      ...(watchdog && { watchdog: { pid: watchdog.pid } }),
      ...(origin.root && { root: origin.root }),
      ...(origin.base && { base: origin.base }),
    });
  } catch (error) {
    // A failed start leaves nothing: no watchdog, no tag in the environment.
    await watchdog?.stop();
    restoreEnv();
    throw error;
  }
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
          removeRunRecord(runId, process.pid);
          await watchdog?.stop();
          restoreEnv();
        }
      })();
      return ending;
    },
  };
}
