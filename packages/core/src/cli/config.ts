import os from 'node:os';
import path from 'node:path';
import { debuglog } from 'node:util';
import { defaultLoaders, lilconfig, type Loader, type Loaders } from 'lilconfig';
import { ReaperError } from '../errors.js';
import {
  DEFAULT_FILES,
  DEFAULT_GRACE_MS,
  DEFAULT_KILL_WAIT_MS,
  DEFAULT_RESPAWN_WINDOW_MS,
  DEFAULT_NAMES,
  DEFAULT_PID_FILE,
  USER_KEYS,
  validateSweepOptions,
  type ResolvedSweepOptions,
  type SweepOptions,
} from '../options.js';
import { defaultStateDir } from '../state-dir.js';

const debug = debuglog('mcp-reaper');

/** The options a user can set from the command line, the environment or a config file. */
export type UserKey = (typeof USER_KEYS)[number];
export type UserOptions = Pick<SweepOptions, UserKey>;
export type ResolvedUserOptions = Pick<ResolvedSweepOptions, UserKey>;

/** Where one resolved option came from: what `mcp-reaper config` prints. */
export type Provenance =
  | { from: 'flag'; flag: string }
  | { from: 'env'; variable: string }
  | { from: 'config'; file: string }
  | { from: 'default' };

/** One source of options; later layers override earlier ones key by key. */
export interface Layer {
  options: UserOptions;
  sources: Partial<Record<UserKey, Provenance>>;
}

export interface ResolvedCliOptions {
  options: ResolvedUserOptions;
  sources: Record<UserKey, Provenance>;
  /** The config file that was loaded, or null when none was given or found. */
  configFile: string | null;
}

/** The option flags as commander hands them over (undefined when not given). */
export interface OptionFlags {
  dir?: string;
  name?: string[];
  file?: string[];
  grace?: number;
  respawnWindow?: number;
  dryRun?: boolean;
}

const MODULE = 'mcp-reaper';
export const PACKAGE_PROP = 'mcpReaper';
export const CONFIG_SEARCH_PLACES = [
  'package.json',
  `${MODULE}.config.json`,
  `${MODULE}.config.js`,
  `${MODULE}.config.mjs`,
  `${MODULE}.config.cjs`,
];
const CONFIG_EXTENSIONS = ['.json', '.js', '.mjs', '.cjs'];

export const ENV = {
  dir: 'MCP_REAPER_DIR',
  names: 'MCP_REAPER_NAMES',
  files: 'MCP_REAPER_FILES',
  pidFile: 'MCP_REAPER_PID_FILE',
  graceMs: 'MCP_REAPER_GRACE_MS',
  killWaitMs: 'MCP_REAPER_KILL_WAIT_MS',
  respawnWindowMs: 'MCP_REAPER_RESPAWN_WINDOW_MS',
  dryRun: 'MCP_REAPER_DRY_RUN',
} as const satisfies Record<UserKey, string>;

const FLAGS = {
  dir: '--dir',
  name: '--name',
  file: '--file',
  grace: '--grace',
  respawnWindow: '--respawn-window',
  dryRun: '--dry-run',
} as const;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs validateSweepOptions on one key and returns its problems instead of throwing, so a layer reports
 * every problem at once, each prefixed with the flag or variable the user typed.
 */
function problemsWith(key: UserKey, value: unknown, shown: string): string[] {
  try {
    validateSweepOptions({ [key]: value }, shown);
    return [];
  } catch (error) {
    if (!(error instanceof ReaperError)) throw error;
    // validateSweepOptions lists problems as "Invalid <where>:\n  - a\n  - b".
    const listed = error.message.split('\n  - ').slice(1);
    return (listed.length > 0 ? listed : [error.message]).map((problem) => `${shown}: ${problem}`);
  }
}

function problemList(title: string, problems: readonly string[], fix: string): ReaperError {
  return new ReaperError('EINVALIDOPTION', `${title}:\n  - ${problems.join('\n  - ')}\n${fix}`);
}

/** lilconfig's loaders, with errors that name the file (its own parse errors do not). */
function namingLoaders(): Loaders {
  const loaders: Loaders = {};
  for (const [ext, loader] of Object.entries(defaultLoaders)) {
    const wrapped: Loader = async (filepath, content) => {
      try {
        return await loader(filepath, content);
      } catch (cause) {
        const what = ext === '.json' || ext === 'noExt' ? 'Fix the JSON syntax' : 'Fix the error in the module';
        throw new ReaperError('ECONFIG', `Cannot load config file ${filepath}: ${messageOf(cause)}. ${what}, or pass another file with --config.`, { cause });
      }
    };
    loaders[ext] = wrapped;
  }
  return loaders;
}

/**
 * The config-file layer: `--config FILE` when given (resolved against `cwd`), else the first of
 * CONFIG_SEARCH_PLACES found from `cwd` upward. A relative `dir` is resolved against the file's directory.
 */
export async function loadConfigLayer(cwd: string, explicitFile?: string): Promise<Layer & { file: string | null }> {
  // A fresh explorer each time: the CLI runs once, and tests run main() many times in one process.
  const explorer = lilconfig(MODULE, {
    searchPlaces: CONFIG_SEARCH_PLACES,
    packageProp: PACKAGE_PROP,
    loaders: namingLoaders(),
    cache: false,
  });

  let result: { filepath: string; config: unknown; isEmpty?: boolean } | null;
  if (explicitFile !== undefined) {
    const file = path.resolve(cwd, explicitFile);
    const ext = path.extname(file);
    if (ext !== '' && !CONFIG_EXTENSIONS.includes(ext)) {
      throw new ReaperError('ECONFIG', `Cannot load config file ${file} (given with --config): unsupported type "${ext}". Use a .json, .js, .mjs or .cjs file.`);
    }
    try {
      result = await explorer.load(file);
    } catch (error) {
      if (error instanceof ReaperError) throw error;
      throw new ReaperError('ECONFIG', `Cannot read config file ${file} (given with --config): ${messageOf(error)}. Check the path.`, { cause: error });
    }
    if (path.basename(file) === 'package.json' && result?.config == null) {
      throw new ReaperError('ECONFIG', `Config file ${file} (given with --config) has no "${PACKAGE_PROP}" key. Add one holding the options, or pass another file.`);
    }
  } else {
    try {
      result = await explorer.search(cwd);
    } catch (error) {
      if (error instanceof ReaperError) throw error;
      throw new ReaperError('ECONFIG', `Cannot read a config file while searching from ${cwd}: ${messageOf(error)}. Fix or remove that file, or pass one with --config.`, { cause: error });
    }
  }

  if (result === null) {
    debug('no config file found from %s upward', cwd);
    return { options: {}, sources: {}, file: null };
  }
  const file = result.filepath;
  debug('config file %s', file);
  const config = result.config;
  if (result.isEmpty) {
    throw new ReaperError('ECONFIG', `Config file ${file} is empty. Put an object of options in it, e.g. {"dir": "./state"}, or delete it.`);
  }
  if (config === undefined) {
    throw new ReaperError('ECONFIG', `Config file ${file} has no default export. Export the options object (export default { … } or module.exports = { … }).`);
  }
  try {
    validateSweepOptions(config, `config file ${file}`);
  } catch (error) {
    if (!(error instanceof ReaperError)) throw error;
    throw new ReaperError(error.code, `${error.message}\nFix the file (or pass another with --config).`, { cause: error });
  }
  const record = config as Record<string, unknown>;
  if (record.source !== undefined) {
    throw new ReaperError('EINVALIDOPTION', `Invalid config file ${file}:\n  - "source" can only be passed to sweep() in code\nRemove it from the file.`);
  }

  const options: Record<string, unknown> = {};
  const sources: Layer['sources'] = {};
  for (const key of USER_KEYS) {
    const value = record[key];
    if (value === undefined) continue;
    options[key] = key === 'dir' ? path.resolve(path.dirname(file), value as string) : value;
    sources[key] = { from: 'config', file };
  }
  return { options: options as UserOptions, sources, file };
}

const TRUE_WORDS = ['1', 'true', 'yes'];
const FALSE_WORDS = ['0', 'false', 'no'];

/** The environment layer. An empty variable counts as unset; other MCP_REAPER_* variables are not ours to judge. */
export function readEnvLayer(env: NodeJS.ProcessEnv, cwd: string): Layer {
  const options: Record<string, unknown> = {};
  const sources: Layer['sources'] = {};
  const problems: string[] = [];

  for (const key of USER_KEYS) {
    const variable = ENV[key];
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') continue;
    const shown = `${variable}=${JSON.stringify(raw)}`;
    let value: unknown;
    switch (key) {
      case 'names':
      case 'files':
        value = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
        break;
      case 'graceMs':
      case 'killWaitMs':
      case 'respawnWindowMs':
        if (!/^\s*\d+\s*$/.test(raw)) {
          problems.push(`${shown}: expected a whole number of milliseconds, e.g. ${key === 'graceMs' ? DEFAULT_GRACE_MS : DEFAULT_KILL_WAIT_MS}`);
          continue;
        }
        value = Number(raw);
        break;
      case 'dryRun': {
        const word = raw.trim().toLowerCase();
        if (!TRUE_WORDS.includes(word) && !FALSE_WORDS.includes(word)) {
          problems.push(`${shown}: expected one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`);
          continue;
        }
        value = TRUE_WORDS.includes(word);
        break;
      }
      default:
        value = raw;
    }
    const found = problemsWith(key, value, shown);
    if (found.length > 0) {
      problems.push(...found);
      continue;
    }
    options[key] = key === 'dir' ? path.resolve(cwd, value as string) : value;
    sources[key] = { from: 'env', variable };
  }

  if (problems.length > 0) throw problemList('Invalid environment', problems, 'Fix or unset the variables named above.');
  return { options: options as UserOptions, sources };
}

/** The command-line layer. Value syntax (e.g. `--grace abc`) is already rejected by commander; this checks ranges and names. */
export function readFlagLayer(flags: OptionFlags, cwd: string): Layer {
  const options: Record<string, unknown> = {};
  const sources: Layer['sources'] = {};
  const problems: string[] = [];
  const take = (key: UserKey, flag: keyof typeof FLAGS, value: unknown): void => {
    if (value === undefined) return;
    const shown = Array.isArray(value) ? value.map((v) => `${FLAGS[flag]} ${JSON.stringify(v)}`).join(' ') : `${FLAGS[flag]} ${JSON.stringify(value)}`;
    const found = problemsWith(key, value, shown);
    if (found.length > 0) {
      problems.push(...found);
      return;
    }
    options[key] = key === 'dir' ? path.resolve(cwd, value as string) : value;
    sources[key] = { from: 'flag', flag: key === 'dryRun' && value === false ? '--no-dry-run' : FLAGS[flag] };
  };
  take('dir', 'dir', flags.dir);
  take('names', 'name', flags.name);
  take('files', 'file', flags.file);
  take('graceMs', 'grace', flags.grace);
  take('respawnWindowMs', 'respawnWindow', flags.respawnWindow);
  take('dryRun', 'dryRun', flags.dryRun);
  if (problems.length > 0) throw problemList('Invalid command-line flags', problems, "Fix the flags named above; 'mcp-reaper --help' lists them.");
  return { options: options as UserOptions, sources };
}

/** The defaults layer; the default dir follows the given environment, not the process's. */
export function defaultLayer(env: NodeJS.ProcessEnv): Layer {
  const options: ResolvedUserOptions = {
    dir: defaultStateDir({ env, homedir: env.HOME || os.homedir() }),
    names: [...DEFAULT_NAMES],
    files: [...DEFAULT_FILES],
    pidFile: DEFAULT_PID_FILE,
    graceMs: DEFAULT_GRACE_MS,
    killWaitMs: DEFAULT_KILL_WAIT_MS,
    respawnWindowMs: DEFAULT_RESPAWN_WINDOW_MS,
    dryRun: false,
  };
  const sources: Layer['sources'] = {};
  for (const key of USER_KEYS) sources[key] = { from: 'default' };
  return { options, sources };
}

/** Merges layers, lowest precedence first; the first must be the defaults so every key ends up set. */
export function mergeLayers(layers: readonly Layer[]): Pick<ResolvedCliOptions, 'options' | 'sources'> {
  const options: Record<string, unknown> = {};
  const sources: Partial<Record<UserKey, Provenance>> = {};
  for (const layer of layers) {
    for (const key of USER_KEYS) {
      const value = layer.options[key];
      const source = layer.sources[key];
      if (value === undefined || source === undefined) continue;
      options[key] = Array.isArray(value) ? [...new Set(value as string[])] : value;
      sources[key] = source;
    }
  }
  for (const key of USER_KEYS) {
    if (sources[key] === undefined) throw new Error(`mergeLayers: no value for "${key}"; pass defaultLayer() first`);
  }
  return { options: options as unknown as ResolvedUserOptions, sources: sources as Record<UserKey, Provenance> };
}

/** Precedence: flags > environment > config file > defaults. */
export async function resolveCliOptions(input: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  flags: OptionFlags;
  configFile?: string;
}): Promise<ResolvedCliOptions> {
  // Flags and env first: a typo there is reported even when the config file is broken too.
  const flagLayer = readFlagLayer(input.flags, input.cwd);
  const envLayer = readEnvLayer(input.env, input.cwd);
  const configLayer = await loadConfigLayer(input.cwd, input.configFile);
  const merged = mergeLayers([defaultLayer(input.env), configLayer, envLayer, flagLayer]);
  return { ...merged, configFile: configLayer.file };
}

/** "flag --dir", "env MCP_REAPER_DIR", "config /path/file.json", "default". */
export function describeProvenance(source: Provenance): string {
  switch (source.from) {
    case 'flag':
      return `flag ${source.flag}`;
    case 'env':
      return `env ${source.variable}`;
    case 'config':
      return `config ${source.file}`;
    case 'default':
      return 'default';
  }
}
