import { ReaperError, describeValue as describe, isUsageError, loadOptions, onLeakProblem, type OnLeak, type SweepOptions } from '@mcp-reaper/core';

/** Where Jest users put their overrides; named in every error message. */
export const OVERRIDES_FROM = 'testEnvironmentOptions.mcpReaper';

/**
 * `testEnvironmentOptions.mcpReaper` in the Jest config: the core's options (they override the shared
 * config file and MCP_REAPER_* variables key by key) plus `onLeak`, which only the adapter knows.
 */
export interface McpReaperJestOptions
  extends Pick<SweepOptions, 'dir' | 'names' | 'files' | 'pidFile' | 'graceMs' | 'killWaitMs' | 'respawnWindowMs'> {
  /**
   * What happens when a test file leaves a daemon running (it is stopped in every mode): `'warn'`
   * prints its pid and command on stderr, `'fail'` fails the file with that message, `'kill'` says
   * nothing. Default: `'warn'`.
   */
  onLeak?: OnLeak;
}

export interface JestOptions {
  onLeak: OnLeak;
  /** The resolved sweep options (shared config, environment, then the Jest overrides). */
  sweep: SweepOptions;
}

/** Reads the options once per hook: the shared config found from `rootDir`, with the Jest config on top. */
export async function loadJestOptions(rootDir: string, testEnvironmentOptions: unknown): Promise<JestOptions> {
  const given = (testEnvironmentOptions as { mcpReaper?: unknown } | undefined)?.mcpReaper;
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw withoutStack(new ReaperError('EINVALIDOPTION', `Invalid ${OVERRIDES_FROM}: expected an object of options, got ${describe(given)}.`));
  }
  const { onLeak = 'warn', ...overrides } = (given ?? {}) as Record<string, unknown>;
  const onLeakInvalid = onLeakProblem(onLeak);
  if (onLeakInvalid) throw withoutStack(new ReaperError('EINVALIDOPTION', `Invalid ${OVERRIDES_FROM}:\n  - ${onLeakInvalid}`));
  try {
    // `dryRun` makes no sense around a test run (the leak check must stop what it finds): dropped.
    const { configFile: _configFile, dryRun: _dryRun, ...sweep } = await loadOptions({
      cwd: rootDir,
      overrides: overrides as SweepOptions,
      overridesFrom: OVERRIDES_FROM,
    });
    return { onLeak: onLeak as OnLeak, sweep };
  } catch (error) {
    throw withoutStack(error);
  }
}

/**
 * Jest prints an error's stack under "Test suite failed to run" and for a failed global setup. A
 * user's config mistake is fixed from the message alone, so its stack is the message.
 */
export function withoutStack(error: unknown): unknown {
  if (isUsageError(error)) error.stack = `${error.name}: ${error.message}`;
  return error;
}


