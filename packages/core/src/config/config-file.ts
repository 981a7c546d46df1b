import path from 'node:path';
import { debuglog } from 'node:util';
import { defaultLoaders, lilconfig, type Loader, type Loaders } from 'lilconfig';
import { CONFIG_MODULE, CONFIG_PACKAGE_PROP, CONFIG_SEARCH_PLACES } from './names.js';

const debug = debuglog('mcp-reaper');

const CONFIG_EXTENSIONS = ['.json', '.js', '.mjs', '.cjs'];

/** The config file found (or given), as it was written: `config` is not checked yet. */
export type LoadedConfigFile =
  | { file: string; config: unknown; problem?: undefined }
  /** It could not be used at all (missing, unreadable, bad syntax, empty): `problem` says why and what to do. */
  | { file: string; config?: undefined; problem: string }
  | { file: null; config?: undefined; problem?: undefined };

/** An error's message on one line: a parser quotes the bad text, new lines and all. */
function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

/** A loader's failure, with the file it was loading (lilconfig's search does not say which). */
class LoadError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** lilconfig's loaders, with errors that name the file and the fix (its own parse errors do not). */
function namingLoaders(): Loaders {
  const loaders: Loaders = {};
  for (const [ext, loader] of Object.entries(defaultLoaders)) {
    const wrapped: Loader = async (filepath, content) => {
      try {
        return await loader(filepath, content);
      } catch (cause) {
        const fix = ext === '.json' || ext === 'noExt' ? 'fix the JSON syntax' : 'fix the error in the module';
        throw new LoadError(filepath, `cannot be loaded: ${messageOf(cause)}; ${fix}`, { cause });
      }
    };
    loaders[ext] = wrapped;
  }
  return loaders;
}

/**
 * Finds and loads the config file: `explicitFile` when given (resolved against `cwd`), else the first
 * of CONFIG_SEARCH_PLACES from `cwd` upward. Never throws for a user's mistake: it says what is wrong.
 */
export async function loadConfigFile(cwd: string, explicitFile?: string): Promise<LoadedConfigFile> {
  // A fresh explorer each time: the CLI runs once, and tests run main() many times in one process.
  const explorer = lilconfig(CONFIG_MODULE, {
    searchPlaces: [...CONFIG_SEARCH_PLACES],
    packageProp: CONFIG_PACKAGE_PROP,
    loaders: namingLoaders(),
    cache: false,
  });

  let result: { filepath: string; config: unknown; isEmpty?: boolean } | null;
  if (explicitFile !== undefined) {
    const file = path.resolve(cwd, explicitFile);
    const ext = path.extname(file);
    if (ext !== '' && !CONFIG_EXTENSIONS.includes(ext)) {
      return { file, problem: `unsupported type "${ext}"; use a .json, .js, .mjs or .cjs file` };
    }
    try {
      result = await explorer.load(file);
    } catch (error) {
      if (error instanceof LoadError) return { file, problem: error.message };
      return { file, problem: `cannot be read: ${messageOf(error)}; check the path` };
    }
    if (path.basename(file) === 'package.json' && result?.config == null) {
      return { file, problem: `has no "${CONFIG_PACKAGE_PROP}" key; add one holding the options, or pass another file` };
    }
  } else {
    try {
      result = await explorer.search(cwd);
    } catch (error) {
      if (error instanceof LoadError) return { file: error.file, problem: error.message };
      // Not a loader's: package.json that is not JSON, or a file that could not be read while searching.
      return { file: `found while searching from ${cwd}`, problem: `cannot be read: ${messageOf(error)}; fix or remove it` };
    }
  }

  if (result === null) {
    debug('no config file found from %s upward', cwd);
    return { file: null };
  }
  const file = result.filepath;
  debug('config file %s', file);
  if (result.isEmpty) return { file, problem: 'is empty; put an object of options in it, e.g. {"dir": "./state"}, or delete it' };
  if (result.config === undefined) {
    return { file, problem: 'has no default export; export the options object (export default { … } or module.exports = { … })' };
  }
  return { file, config: result.config };
}

/** A command's executable: a bare name is looked up on PATH; a path with a "/" is relative to `baseDir`. */
function resolveExecutable(command: string, baseDir: string): string {
  return command.includes('/') && !command.startsWith('${') ? path.resolve(baseDir, command) : command;
}

/** A relative path against `baseDir`; one that starts with a placeholder (`${dir}/…`) is absolute once replaced. */
function resolvePath(value: string, baseDir: string): string {
  return value.startsWith('${') ? value : path.resolve(baseDir, value);
}

/**
 * In a config file every relative path is relative to the file's directory, wherever the tool runs:
 * `dir`; the daemon's `cwd`, `dir`, `socketPath`, `logFile`, and `command` when it is a path; each
 * stack service's `cwd`, `logFile`, ready `socket`, and executable when it is a path.
 */
export function resolveFilePaths(config: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const resolved = { ...config };
  if (typeof resolved.dir === 'string' && resolved.dir !== '') resolved.dir = path.resolve(baseDir, resolved.dir);
  const daemon = resolved.daemon;
  if (typeof daemon === 'object' && daemon !== null && !Array.isArray(daemon)) {
    const d: Record<string, unknown> = { ...daemon };
    for (const key of ['cwd', 'dir', 'socketPath', 'logFile'] as const) {
      if (typeof d[key] === 'string' && d[key] !== '') d[key] = path.resolve(baseDir, d[key] as string);
    }
    if (typeof d.command === 'string') d.command = resolveExecutable(d.command, baseDir);
    resolved.daemon = d;
  }
  const stack = resolved.stack;
  if (typeof stack === 'object' && stack !== null && !Array.isArray(stack)) {
    resolved.stack = Object.fromEntries(
      Object.entries(stack).map(([name, service]) => {
        if (typeof service !== 'object' || service === null || Array.isArray(service)) return [name, service];
        const s: Record<string, unknown> = { ...service };
        for (const key of ['cwd', 'logFile'] as const) {
          if (typeof s[key] === 'string' && s[key] !== '') s[key] = resolvePath(s[key] as string, baseDir);
        }
        if (Array.isArray(s.command) && typeof s.command[0] === 'string') s.command = [resolveExecutable(s.command[0], baseDir), ...s.command.slice(1)];
        const ready = s.ready as Record<string, unknown> | undefined;
        if (typeof ready?.socket === 'string' && ready.socket !== '') s.ready = { ...ready, socket: resolvePath(ready.socket, baseDir) };
        return [name, s];
      }),
    );
  }
  return resolved;
}
