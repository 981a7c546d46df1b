import path from 'node:path';
import { loadConfigFile } from './config-file.js';
import { envLayer, mergeLayers, settingsLayer, type Layer, type Provenance, type UserConfig } from './layers.js';
import { invalidOptions, type ConfigKey } from './rules.js';

/** A configuration, checked: the values that were set (defaults are applied where they are used) and where each came from. */
export interface ResolvedConfig {
  values: UserConfig;
  sources: Partial<Record<ConfigKey, Provenance>>;
  /** The config file that was loaded, or null when none was given or found. */
  configFile: string | null;
}

/**
 * The config file and the environment, merged: what every entry point shares, before the CLI's flags
 * or a runner's settings go on top. A run resolves it once and hands it to its workers, so that no
 * test file reads the config file again.
 */
export type BaseConfig = ResolvedConfig;

export interface BaseInput {
  /** Where the config file search starts (and what a relative MCP_REAPER_DIR is resolved against). */
  cwd: string;
  /** Where MCP_REAPER_* variables come from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Load this file instead of searching (the CLI's --config). */
  configFile?: string;
}

const FIX = 'Fix or unset each setting named above: a flag, an MCP_REAPER_* variable, the config file, or the runner\'s settings.';

/** The problems of the config file and environment, without throwing: the caller adds its own and throws once. */
async function readBase(input: BaseInput): Promise<{ base: BaseConfig; problems: string[] }> {
  const loaded = await loadConfigFile(input.cwd, input.configFile);
  const layers: Layer[] = [];
  const problems: string[] = [];
  const given = input.configFile === undefined ? '' : ' (given with --config)';
  if (loaded.problem !== undefined) {
    problems.push(`config file ${loaded.file}${given}: ${loaded.problem}`);
  } else if (loaded.file !== null) {
    const file = loaded.file;
    layers.push(
      settingsLayer(loaded.config, {
        where: `config file ${file}${given}`,
        baseDir: path.dirname(file),
        provenance: () => ({ from: 'config', file }),
      }),
    );
  }
  layers.push(envLayer(input.env ?? process.env, input.cwd));
  for (const layer of layers) problems.push(...layer.problems);
  return { base: { ...mergeLayers(layers), configFile: loaded.file }, problems };
}

/** `base` with `top` over it, key by key. Throws one `EINVALIDOPTION` error listing every problem of `top`. */
export function withTop(base: BaseConfig, top: Layer): ResolvedConfig {
  if (top.problems.length > 0) throw invalidOptions('configuration', top.problems, FIX);
  const baseLayer: Layer = { values: base.values, sources: base.sources, problems: [] };
  return { ...mergeLayers([baseLayer, top]), configFile: base.configFile };
}

/**
 * The configuration every entry point resolves the same way: the config file (`mcp-reaper.config.*`
 * or package.json `mcpReaper`, found from `cwd` upward), then `MCP_REAPER_*` variables, then `top`
 * (the CLI's flags or a runner's settings). Every problem of every source is reported at once, in one
 * `EINVALIDOPTION` error. Also returns `base`, the file and environment alone, which a run hands to
 * its workers.
 */
export async function resolveWithBase(input: BaseInput & { top?: Layer }): Promise<{ base: BaseConfig; config: ResolvedConfig }> {
  const { base, problems } = await readBase(input);
  const all = [...(input.top?.problems ?? []), ...problems];
  if (all.length > 0) throw invalidOptions('configuration', all, FIX);
  return { base, config: input.top ? withTop(base, input.top) : base };
}

/** The configuration as `resolveWithBase()` resolves it. */
export async function resolveConfig(input: BaseInput & { top?: Layer }): Promise<ResolvedConfig> {
  return (await resolveWithBase(input)).config;
}
