import { ReaperError, describeValue as describe, onLeakProblem, type OnLeak, type SweepOptions } from '@mcp-reaper/core';

/**
 * What `test.provide.mcpReaper` in vitest.config.ts may hold: the sweep options of the shared config
 * (`mcp-reaper.config.*` or package.json `mcpReaper`), which it overrides, plus the adapter's own.
 */
export interface VitestReaperOptions extends Omit<SweepOptions, 'owner' | 'descendantsOf' | 'dryRun' | 'source'> {
  /**
   * What happens when a test file leaves a daemon running (it is stopped in every mode):
   * `'warn'` prints the pids, `'fail'` fails the file naming them, `'kill'` says nothing.
   * Default: `MCP_REAPER_ON_LEAK` from the environment, else `'warn'`.
   */
  onLeak?: OnLeak;
  /** Start the crash-safety watchdog that sweeps the run if the runner is killed. Default: `true`. */
  watchdog?: boolean;
}

/** The run as global setup hands it to every test file (through Vitest's provide/inject). */
export interface ProvidedRun {
  runId: string;
  /** Vitest's root: test file paths in owner tags are relative to it. */
  root: string;
  onLeak: OnLeak;
  /** The resolved sweep options (config file, MCP_REAPER_* variables and `test.provide.mcpReaper`). */
  options: SweepOptions;
}

/** The key users set in `test.provide`. */
export const OPTIONS_KEY = 'mcpReaper';
/** The key global setup provides the run under. */
export const RUN_KEY = 'mcpReaperRun';
/** Sets `onLeak` when `test.provide.mcpReaper` does not. */
export const ON_LEAK_ENV = 'MCP_REAPER_ON_LEAK';
/** Where user options come from, for error messages. */
export const OPTIONS_FROM = 'test.provide.mcpReaper (vitest.config)';

declare module 'vitest' {
  interface ProvidedContext {
    mcpReaper?: VitestReaperOptions;
    mcpReaperRun?: ProvidedRun;
  }
}


/** Splits the adapter's own options from the sweep options, validating the adapter's (the core validates the rest). */
export function splitOptions(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env,
): { onLeak: OnLeak; watchdog: boolean; sweep: SweepOptions } {
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ReaperError('EINVALIDOPTION', `Invalid ${OPTIONS_FROM}: expected an object of options, got ${describe(raw)}.`);
  }
  const { onLeak: given, watchdog = true, ...sweep } = raw as Record<string, unknown>;
  const fromEnv = given === undefined && env[ON_LEAK_ENV] !== undefined && env[ON_LEAK_ENV] !== '';
  const onLeak = given ?? (fromEnv ? env[ON_LEAK_ENV] : 'warn');
  const problems: string[] = [];
  const onLeakInvalid = onLeakProblem(onLeak, fromEnv ? `${ON_LEAK_ENV} (environment)` : '"onLeak"');
  if (onLeakInvalid) problems.push(onLeakInvalid);
  if (typeof watchdog !== 'boolean') problems.push(`"watchdog" must be a boolean, got ${describe(watchdog)}`);
  if (problems.length > 0) throw new ReaperError('EINVALIDOPTION', `Invalid ${OPTIONS_FROM}:\n  - ${problems.join('\n  - ')}`);
  return { onLeak: onLeak as OnLeak, watchdog: watchdog as boolean, sweep: sweep as SweepOptions };
}
