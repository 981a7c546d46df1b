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
   * How `mcpDaemon` and `mcpWorkerDaemon` start the daemon (`startDaemon()` options). Default: `{}`,
   * with `dir` defaulting to the sweep's `dir` and `socketPath` to one socket per worker in it
   * (`mcp-w<workerIndex>.sock`, `mcp-w<workerIndex>-worker.sock`), so parallel workers never share one.
   */
  daemon?: Omit<StartDaemonOptions, 'owner' | 'source'>;
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
  daemon: Omit<StartDaemonOptions, 'owner' | 'source'>;
  configFile: string | null;
}

const FROM = 'test.use({ mcpReaper })';


/**
 * Defaults and validation in one place. `cwd` is where the config file search starts: the
 * directory of playwright.config.* (or the project's rootDir).
 */
export async function resolveOptions(options: McpReaperOptions | undefined, cwd: string): Promise<ResolvedMcpReaperOptions> {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ReaperError('EINVALIDOPTION', `Invalid ${FROM}: expected an object of options, got ${describe(options)}.`);
  }
  const { onLeak = 'warn', daemon = {}, ...overrides } = options ?? {};
  const problems: string[] = [];
  const onLeakInvalid = onLeakProblem(onLeak);
  if (onLeakInvalid) problems.push(onLeakInvalid);
  if (typeof daemon !== 'object' || daemon === null || Array.isArray(daemon)) {
    problems.push(`"daemon" must be an object of startDaemon() options, got ${describe(daemon)}`);
  }
  if (problems.length > 0) {
    throw new ReaperError('EINVALIDOPTION', `Invalid ${FROM}:\n  - ${problems.join('\n  - ')}`);
  }
  // loadOptions() validates the sweep options and names `test.use({ mcpReaper })` when one is wrong.
  const { configFile, ...sweep } = await loadOptions({ cwd, overrides, overridesFrom: FROM });
  const { respawnWindowMs: _respawn, dryRun: _dryRun, ...rest } = sweep;
  const scoped: SweepOptions = rest;
  if (overrides.respawnWindowMs !== undefined) scoped.respawnWindowMs = overrides.respawnWindowMs;
  return { sweep, scoped, onLeak, daemon, configFile };
}

/** Where the config file search starts: playwright.config's directory, else rootDir, else cwd. */
export function configDir(config: { configFile?: string; rootDir?: string }): string {
  if (config.configFile) return path.dirname(config.configFile);
  return config.rootDir || process.cwd();
}
