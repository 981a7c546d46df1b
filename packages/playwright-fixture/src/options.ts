import path from 'node:path';
import {
  describeValue as describe,
  loadOptions,
  onLeakProblem,
  ReaperError,
  type OnLeak,
  type StartDaemonOptions,
  type SweepOptions,
} from '@mcp-reaper/core';

/**
 * `test.use({ mcpReaper: {…} })`: merged over the shared config (`mcp-reaper.config.*` or the
 * `mcpReaper` key of package.json, then MCP_REAPER_* variables). Every field is optional.
 */
export interface McpReaperOptions extends Omit<SweepOptions, 'owner' | 'descendantsOf' | 'source'> {
  /**
   * What the automatic per-test check does when a test leaves a daemon running (the daemon is stopped
   * in every mode): `'warn'` prints the pids, `'fail'` fails the test naming them, `'kill'` stays
   * silent. Default: `'warn'`.
   */
  onLeak?: OnLeak;
  /**
   * How `mcpDaemon` and `mcpWorkerDaemon` start the daemon (`startDaemon()` options), or a function
   * of the worker that returns them (called once per worker): the way to give each parallel worker
   * a state dir of its own, e.g. `({ parallelIndex }) => ({ env: { XDG_DATA_HOME: \`/tmp/t/${parallelIndex}\` } })`.
   * Default: `{}`. `dir` defaults to the daemon's own state dir, computed from its environment as
   * `startDaemon()` does; `socketPath` to one socket per worker in it (`mcp-w<workerIndex>.sock`,
   * `mcp-w<workerIndex>-worker.sock`), so parallel workers never share one.
   */
  daemon?: DaemonOptions | ((worker: DaemonWorker) => DaemonOptions);
}

/** `startDaemon()` options as the fixtures take them (they set `owner` themselves). */
export type DaemonOptions = Omit<StartDaemonOptions, 'owner' | 'source'>;

/** What a `daemon` function is told about the worker it starts daemons for. */
export interface DaemonWorker {
  /** Playwright's `workerIndex`: unique for each worker process of the run. */
  workerIndex: number;
  /** Playwright's `parallelIndex`: 0 to workers - 1, reused by a worker that replaces another. */
  parallelIndex: number;
}

/** The options after the config file, the environment and `test.use()` are merged. */
export interface ResolvedMcpReaperOptions {
  /** For the run-wide sweep (global setup). */
  sweep: SweepOptions;
  /**
   * For the per-test and per-worker leak checks: as `sweep`, but `respawnWindowMs` only when
   * `test.use()` sets it (a test's own daemons have no supervisor, and the check stays fast).
   */
  scoped: SweepOptions;
  onLeak: OnLeak;
  /** The worker's daemon options, a `daemon` function already called. */
  daemon: DaemonOptions;
  configFile: string | null;
}

const FROM = 'test.use({ mcpReaper })';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A `daemon` function's options for this worker; its own throw names it, as a bad return does. */
function daemonFor(daemon: (worker: DaemonWorker) => DaemonOptions, worker: DaemonWorker): unknown {
  try {
    return daemon({ ...worker });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReaperError('EINVALIDOPTION', `Invalid ${FROM}: the "daemon" function threw for worker ${worker.workerIndex}: ${reason}`);
  }
}

/**
 * Defaults and validation in one place. `cwd` is where the config file search starts: the
 * directory of playwright.config.* (or the project's rootDir); `worker` is what a `daemon` function
 * is called with.
 */
export async function resolveOptions(
  options: McpReaperOptions | undefined,
  cwd: string,
  worker: DaemonWorker = { workerIndex: 0, parallelIndex: 0 },
): Promise<ResolvedMcpReaperOptions> {
  if (options !== undefined && !isRecord(options as unknown)) {
    throw new ReaperError('EINVALIDOPTION', `Invalid ${FROM}: expected an object of options, got ${describe(options)}.`);
  }
  const { onLeak = 'warn', daemon: given = {}, ...overrides } = options ?? {};
  const daemon = typeof given === 'function' ? daemonFor(given, worker) : given;
  const problems: string[] = [];
  const onLeakInvalid = onLeakProblem(onLeak);
  if (onLeakInvalid) problems.push(onLeakInvalid);
  if (!isRecord(daemon)) {
    const what = typeof given === 'function' ? 'the "daemon" function must return' : '"daemon" must be';
    problems.push(`${what} an object of startDaemon() options, got ${describe(daemon)}`);
  }
  if (problems.length > 0) {
    throw new ReaperError('EINVALIDOPTION', `Invalid ${FROM}:\n  - ${problems.join('\n  - ')}`);
  }
  // loadOptions() validates the sweep options and names `test.use({ mcpReaper })` when one is wrong.
  const { configFile, ...sweep } = await loadOptions({ cwd, overrides, overridesFrom: FROM });
  const { respawnWindowMs: _respawn, dryRun: _dryRun, ...rest } = sweep;
  const scoped: SweepOptions = rest;
  if (overrides.respawnWindowMs !== undefined) scoped.respawnWindowMs = overrides.respawnWindowMs;
  return { sweep, scoped, onLeak, daemon: daemon as DaemonOptions, configFile };
}

/** Where the config file search starts: playwright.config's directory, else rootDir, else cwd. */
export function configDir(config: { configFile?: string; rootDir?: string }): string {
  if (config.configFile) return path.dirname(config.configFile);
  return config.rootDir || process.cwd();
}
