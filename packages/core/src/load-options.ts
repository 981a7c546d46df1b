import { resolveCliOptions } from './cli/config.js';
import { validateSweepOptions, type SweepOptions } from './options.js';

export interface LoadOptionsInput {
  /** Where the config file search starts. Default: `process.cwd()`. */
  cwd?: string;
  /** Where MCP_REAPER_* variables come from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The runner's own settings (e.g. Jest's `testEnvironmentOptions.mcpReaper`): they win over the rest. */
  overrides?: SweepOptions;
  /** Where `overrides` come from, for error messages. Default: `'options'`. */
  overridesFrom?: string;
}

/**
 * The options as the CLI resolves them (`mcp-reaper.config.*` or package.json `mcpReaper` found from
 * `cwd` upward, then MCP_REAPER_* variables, then defaults), with a runner's own settings on top.
 * What every adapter reads, so one config file serves the CLI and all runners alike.
 */
export async function loadOptions(input: LoadOptionsInput = {}): Promise<SweepOptions & { configFile: string | null }> {
  const { cwd = process.cwd(), env = process.env, overrides = {}, overridesFrom = 'options' } = input;
  validateSweepOptions(overrides, overridesFrom);
  const { options, configFile } = await resolveCliOptions({ cwd, env, flags: {} });
  return { ...options, ...overrides, configFile };
}
