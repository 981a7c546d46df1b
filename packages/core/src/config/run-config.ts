import { DEFAULT_ON_LEAK, DEFAULT_STACK_REUSE, DEFAULT_WATCHDOG, type OnLeak, type StackReuse } from './defaults.js';
import { describeProvenance, type DaemonConfig, type UserConfig } from './layers.js';
import type { ResolvedConfig } from './resolve-config.js';

const SWEEP_KEYS = ['dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'respawnWindowMs'] as const;
const DAEMON_DEFAULT_KEYS = ['pidFile', 'graceMs', 'killWaitMs'] as const;

/** The sweep options a test run takes from the config (the run sets the scope itself). */
export type RunSweepOptions = Pick<UserConfig, (typeof SWEEP_KEYS)[number]>;

/** Everything a test run needs from the configuration, the same in every runner. */
export interface RunConfig {
  /**
   * For the run's sweeps: before the run, at its end and in each leak check (those two with the
   * run's or the file's owner). Only what was set: each sweep applies its own defaults, so an unset
   * `respawnWindowMs` is 300 ms before the run and 0 in a leak check.
   */
  sweep: RunSweepOptions;
  onLeak: OnLeak;
  watchdog: boolean;
  /** Defaults for the daemons the fixtures start: `daemon`, over `pidFile`, `graceMs` and `killWaitMs`. */
  daemon: DaemonConfig;
  /** Services the run starts after its first sweep and stops at its end. */
  stack: UserConfig['stack'];
  /** Whether the run may use the stack of a live `mcp-reaper up` of the same config. */
  stackReuse: StackReuse;
  /** The config file the run resolved (what a reusable `up` must have been started from), or null. */
  configFile: string | null;
  /** Settings a test run does not use, each with why: the global setup says them once. */
  ignored: string[];
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const picked: Partial<T> = {};
  for (const key of keys) if (from[key] !== undefined) picked[key] = from[key];
  return picked as Pick<T, K>;
}

/**
 * What a test run does with a configuration. `dryRun` is the CLI's: a run's sweeps and leak checks
 * always stop what they find (a dry run would leave every leak running and hide it), so a run
 * ignores it and says so once.
 */
export function runConfigOf(config: ResolvedConfig): RunConfig {
  const { values, sources } = config;
  const ignored: string[] = [];
  if (values.dryRun === true) {
    const where = sources.dryRun ? ` (${describeProvenance(sources.dryRun)})` : '';
    ignored.push(`dryRun${where} is ignored in test runs: a run's sweeps and leak checks always stop what they find. \`npx mcp-reaper --dry-run\` shows what a sweep would do.`);
  }
  return {
    sweep: pick(values, SWEEP_KEYS),
    onLeak: values.onLeak ?? DEFAULT_ON_LEAK,
    watchdog: values.watchdog ?? DEFAULT_WATCHDOG,
    daemon: { ...pick(values, DAEMON_DEFAULT_KEYS), ...values.daemon },
    stack: values.stack,
    stackReuse: values.stackReuse ?? DEFAULT_STACK_REUSE,
    configFile: config.configFile,
    ignored,
  };
}
