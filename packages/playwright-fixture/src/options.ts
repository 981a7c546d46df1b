import path from 'node:path';
import { ReaperError, type DaemonConfig, type StackConfig, type UserConfig } from '@mcp-reaper/core';

/**
 * `test.use({ mcpReaper: {…} })`: any key of the shared config (`mcp-reaper.config.*`, package.json
 * `mcpReaper`), over it key by key; `daemon` may also be a function of the worker.
 */
export interface McpReaperOptions extends Omit<UserConfig, 'daemon'> {
  /**
   * The stack service whose URL is every test's `baseURL` (its worker's own instance of it, when it
   * is worker-scoped): `page.goto('/')` and the `request` fixture reach it with no change to the
   * tests. Playwright only. Default: none (`baseURL` is left as the config has it).
   */
  baseURLFrom?: string;
  /**
   * How `mcpDaemon` and `mcpWorkerDaemon` start the daemon (`startDaemon()` options, over the shared
   * config's `daemon`), or a function of the worker that returns them (called once per worker): the
   * way to give each parallel worker a state dir of its own, e.g.
   * `({ parallelIndex }) => ({ env: { XDG_DATA_HOME: \`/tmp/t/${parallelIndex}\` } })`. `dir` defaults
   * to the daemon's own state dir, computed from its environment as `startDaemon()` does; `socketPath`
   * to one socket per worker in it (`mcp-w<workerIndex>.sock`, `mcp-w<workerIndex>-worker.sock`).
   */
  daemon?: DaemonOptions | ((worker: DaemonWorker) => DaemonOptions);
}

/** `startDaemon()` options as the fixtures take them (they set `owner` themselves). */
export type DaemonOptions = DaemonConfig;

/** What a `daemon` function is told about the worker it starts daemons for. */
export interface DaemonWorker {
  /** Playwright's `workerIndex`: unique for each worker process of the run. */
  workerIndex: number;
  /** Playwright's `parallelIndex`: 0 to workers - 1, reused by a worker that replaces another. */
  parallelIndex: number;
}

/** Where the settings go in Playwright, for messages. */
const FROM = 'test.use({ mcpReaper })';

/** The settings without what only this adapter reads (`baseURLFrom`): the rest is the shared config's. */
export function coreSettings(options: unknown): unknown {
  if (typeof options !== 'object' || options === null) return options;
  const { baseURLFrom: _baseURLFrom, ...rest } = options as Record<string, unknown>;
  return rest;
}

/**
 * Why `baseURLFrom` cannot give a URL, or undefined when it can: it must name a service of the
 * stack whose URL is known once it is ready (a `url` ready check, or a `line` check with a
 * `(?<url>…)` group).
 */
export function baseURLFromProblem(value: unknown, stack: StackConfig | undefined): string | undefined {
  if (value === undefined) return undefined;
  const services = Object.keys(stack ?? {});
  if (typeof value !== 'string' || !(value in (stack ?? {}))) {
    return `"baseURLFrom" must name a service of the stack (${services.length === 0 ? 'the config has no "stack"' : services.join(', ')}), got ${JSON.stringify(value)}`;
  }
  const ready = stack![value]!.ready as Record<string, unknown>;
  const hasUrl = typeof ready.url === 'string' || (typeof ready.line === 'string' && /\(\?<url>/.test(ready.line));
  return hasUrl ? undefined : `"baseURLFrom" names "${value}", which has no URL: give it a "url" ready check (e.g. {"url": "http://localhost:\${port}/"}) or a "line" check with a (?<url>…) group`;
}

/**
 * The settings of `test.use({ mcpReaper })` for this worker: a `daemon` function called (its throw
 * named); everything else but `baseURLFrom` is checked by the core with the rest of the configuration.
 */
export function settingsFor(options: McpReaperOptions | undefined, worker: DaemonWorker): unknown {
  if (typeof options !== 'object' || options === null || typeof options.daemon !== 'function') return coreSettings(options);
  let daemon: unknown;
  try {
    daemon = options.daemon({ ...worker });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReaperError('EINVALIDOPTION', `Invalid ${FROM}: the "daemon" function threw for worker ${worker.workerIndex}: ${reason}`);
  }
  return { ...(coreSettings(options) as object), daemon };
}

/** Where the config file search starts: playwright.config's directory, else rootDir, else cwd. */
export function configDir(config: { configFile?: string; rootDir?: string }): string {
  if (config.configFile) return path.dirname(config.configFile);
  return config.rootDir || process.cwd();
}
