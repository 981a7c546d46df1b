// The sources of a configuration, each read into a layer of the same shape: the config file, the
// MCP_REAPER_* environment, and on top either the CLI's flags or a runner's own settings. A layer
// holds only what its source set; later layers win key by key; defaults come after, where each
// option is used (defaults.ts).
import type { DaemonOptions } from './daemon-options.js';
import type { StackConfig } from './stack-options.js';
import { resolveFilePaths } from './config-file.js';
import type { OnLeak, StackReuse } from './defaults.js';
import { SETTING_ENV } from './names.js';
import { CONFIG_KEYS, describe, isRecord, optionProblems, type ConfigKey } from './rules.js';

/** `startDaemon()` options as the config gives them to the daemon fixtures (each fixture sets `owner`). */
export type DaemonConfig = Omit<DaemonOptions, 'owner'>;

/**
 * What a user writes in `mcp-reaper.config.*`, package.json `mcpReaper`, a runner's settings, flags or
 * `MCP_REAPER_*` variables. Every key is optional; the defaults are in defaults.ts.
 */
export interface UserConfig {
  /** The daemon's state directory, swept for stale `files`. */
  dir?: string;
  /** Executable names of the daemon. */
  names?: string[];
  /** File names inside `dir` to remove when stale. */
  files?: string[];
  /** The entry of `files` holding the daemon's pid. */
  pidFile?: string;
  graceMs?: number;
  killWaitMs?: number;
  /** How long after the first signal to watch for a respawn. Unset: 300 before a run, 0 in a leak check. */
  respawnWindowMs?: number;
  /** The CLI's dry run. Test runs ignore it (and say so once): a leak check must stop what it finds. */
  dryRun?: boolean;
  /** What a test file's (or test's) leak does, and what the run's end does with what the run left. */
  onLeak?: OnLeak;
  /** Start the crash-safety watchdog with a test run. */
  watchdog?: boolean;
  /** Defaults for the daemons the runners' fixtures start (`useDaemon()`, `mcpDaemon`). */
  daemon?: DaemonConfig;
  /** Services a run starts after its first sweep and stops at its end (see config/stack-options.ts). */
  stack?: StackConfig;
  /** Whether a run may use the stack a live `mcp-reaper up` of the same config holds. */
  stackReuse?: StackReuse;
}

/** Where one value came from: what `mcp-reaper config` prints. */
export type Provenance =
  | { from: 'flag'; flag: string }
  | { from: 'env'; variable: string }
  | { from: 'config'; file: string }
  | { from: 'settings'; where: string }
  | { from: 'default' };

export interface Layer {
  values: UserConfig;
  sources: Partial<Record<ConfigKey, Provenance>>;
  /** Everything wrong in this source, each naming where (the file, the variable, the flag). */
  problems: string[];
}

/**
 * A layer from an object of settings (a config file's, a runner's, or the CLI's flags turned into
 * one): checked against the config's rules, relative paths resolved against `baseDir`.
 */
export function settingsLayer(
  settings: unknown,
  options: {
    /** Prefix of each problem, e.g. `config file /p/package.json` or `test.use({ mcpReaper })`. */
    where: string;
    baseDir: string;
    provenance: (key: ConfigKey) => Provenance;
  },
): Layer {
  if (settings === undefined) return { values: {}, sources: {}, problems: [] };
  if (!isRecord(settings)) {
    return { values: {}, sources: {}, problems: [`${options.where}: expected an object of options, got ${describe(settings)}`] };
  }
  const problems = optionProblems(settings, CONFIG_KEYS).map((problem) => `${options.where}: ${problem}`);
  if (problems.length > 0) return { values: {}, sources: {}, problems };
  const resolved = resolveFilePaths(settings, options.baseDir);
  const values: Record<string, unknown> = {};
  const sources: Layer['sources'] = {};
  for (const key of CONFIG_KEYS) {
    if (resolved[key] === undefined) continue;
    values[key] = resolved[key];
    sources[key] = options.provenance(key);
  }
  return { values: values as UserConfig, sources, problems: [] };
}

const TRUE_WORDS = ['1', 'true', 'yes'];
const FALSE_WORDS = ['0', 'false', 'no'];

/** One variable's text as the value of `key`, or the problem with it. */
function parseVariable(key: keyof typeof SETTING_ENV, raw: string): { value: unknown } | { problem: string } {
  switch (key) {
    case 'names':
    case 'files':
      return { value: raw.split(',').map((s) => s.trim()).filter((s) => s !== '') };
    case 'graceMs':
    case 'killWaitMs':
    case 'respawnWindowMs':
      return /^\s*\d+\s*$/.test(raw) ? { value: Number(raw) } : { problem: 'expected a whole number of milliseconds, e.g. 500' };
    case 'dryRun':
    case 'watchdog': {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.includes(word)) return { value: true };
      if (FALSE_WORDS.includes(word)) return { value: false };
      return { problem: `expected one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}` };
    }
    case 'onLeak':
    case 'stackReuse':
      return { value: raw.trim() };
    case 'dir':
    case 'pidFile':
      return { value: raw };
  }
}

/** The environment layer. An empty variable counts as unset; other MCP_REAPER_* variables are not ours to judge. */
export function envLayer(env: NodeJS.ProcessEnv, cwd: string): Layer {
  const values: Record<string, unknown> = {};
  const sources: Layer['sources'] = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(SETTING_ENV) as Array<[keyof typeof SETTING_ENV, string]>) {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') continue;
    const shown = `${variable}=${JSON.stringify(raw)}`;
    const parsed = parseVariable(key, raw);
    if ('problem' in parsed) {
      problems.push(`${shown}: ${parsed.problem}`);
      continue;
    }
    const found = optionProblems({ [key]: parsed.value }, CONFIG_KEYS);
    if (found.length > 0) {
      problems.push(...found.map((problem) => `${shown}: ${problem}`));
      continue;
    }
    values[key] = key === 'dir' ? resolveFilePaths({ dir: parsed.value }, cwd).dir : parsed.value;
    sources[key] = { from: 'env', variable };
  }
  return { values: values as UserConfig, sources, problems };
}

/**
 * Merges layers, lowest precedence first, key by key. `daemon` and `stack` merge one level deeper, so
 * a runner that sets `daemon.env` keeps the config file's `daemon.command`, and one that declares a
 * service keeps the file's other services.
 */
export function mergeLayers(layers: readonly Layer[]): Pick<Layer, 'values' | 'sources'> {
  const values: Record<string, unknown> = {};
  const sources: Layer['sources'] = {};
  for (const layer of layers) {
    for (const key of CONFIG_KEYS) {
      const value = layer.values[key];
      const source = layer.sources[key];
      if (value === undefined || source === undefined) continue;
      if (key === 'daemon' || key === 'stack') values[key] = { ...(values[key] as object | undefined), ...(value as object) };
      else values[key] = Array.isArray(value) ? [...new Set(value as string[])] : value;
      sources[key] = source;
    }
  }
  return { values: values as UserConfig, sources };
}

/** "flag --dir", "env MCP_REAPER_DIR", "config /path/file.json", "test.use({ mcpReaper })", "default". */
export function describeProvenance(source: Provenance): string {
  switch (source.from) {
    case 'flag':
      return `flag ${source.flag}`;
    case 'env':
      return `env ${source.variable}`;
    case 'config':
      return `config ${source.file}`;
    case 'settings':
      return source.where;
    case 'default':
      return 'default';
  }
}
