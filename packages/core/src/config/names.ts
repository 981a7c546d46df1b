// Every name that crosses a process boundary: the environment variables mcp-reaper reads or sets,
// and the names it gives files in the temp dir. A reader finds the whole protocol here.

/** The variable that marks who started a daemon: `run-4f2a/w3/test-17` (run, worker, test). */
export const OWNER_ENV = 'MCP_REAPER_OWNER';
/** The id of the run a process belongs to, set by the run's start and inherited by its workers. */
export const RUN_ENV = 'MCP_REAPER_RUN';
/** Set by `startDaemon()` on a daemon whose output goes to a temporary log: that log's directory. */
export const LOG_DIR_ENV = 'MCP_REAPER_LOG_DIR';
/** What the watchdog process is told to watch and sweep (JSON), in its own environment only. */
export const WATCHDOG_ORDERS_ENV = 'MCP_REAPER_WATCHDOG_ORDERS';

/**
 * The variables a user sets to configure mcp-reaper, by config key. An empty variable counts as
 * unset. `daemon` has none: an object of options does not fit in one variable.
 */
export const SETTING_ENV = {
  dir: 'MCP_REAPER_DIR',
  names: 'MCP_REAPER_NAMES',
  files: 'MCP_REAPER_FILES',
  pidFile: 'MCP_REAPER_PID_FILE',
  graceMs: 'MCP_REAPER_GRACE_MS',
  killWaitMs: 'MCP_REAPER_KILL_WAIT_MS',
  respawnWindowMs: 'MCP_REAPER_RESPAWN_WINDOW_MS',
  dryRun: 'MCP_REAPER_DRY_RUN',
  onLeak: 'MCP_REAPER_ON_LEAK',
  watchdog: 'MCP_REAPER_WATCHDOG',
  stackReuse: 'MCP_REAPER_STACK_REUSE',
} as const;

/** `mkdtemp` prefix of a daemon's temporary log directory; mkdtemp appends six letters or digits. */
export const LOG_DIR_PREFIX = 'mcp-reaper-daemon-';
/** The one file in a temporary log directory. */
export const LOG_FILE_NAME = 'output.log';

/**
 * The registry of live runs: `<tmpdir>/mcp-reaper-<uid>/runs/<run id>.json`, one file per run, so
 * that every sweep of the same user sees which runs are live. The `<uid>` keeps users apart.
 */
export const REGISTRY_DIR_PREFIX = 'mcp-reaper-';
export const REGISTRY_RUNS_DIR = 'runs';
export const RUN_RECORD_EXTENSION = '.json';
/**
 * Stack instances: `<tmpdir>/mcp-reaper-<uid>/stacks/<run id>/<instance>.json` records what an
 * instance started (for whoever stops it: the run's end, the watchdog), and
 * `…/stacks/<run id>/<instance>/` is its private dir, `${dir}`, with its services' logs in `logs/`.
 * The run's own services are the instance `run`; a worker's are `w<slot>`.
 */
export const REGISTRY_STACKS_DIR = 'stacks';
export const RUN_INSTANCE = 'run';

/** The instance of worker slot `slot`: `w1`, `w2`… */
export function workerInstance(slot: string | number): string {
  return `w${slot}`;
}

/** The owner tag of a run's stack instance: below the run's (its end and its watchdog sweep it), beside its workers' leak checks. */
export function stackTag(runId: string, instance: string): string {
  return `${runId}/stack/${instance}`;
}
export const INSTANCE_LOGS_DIR = 'logs';
/** Leases of auto ports: `<tmpdir>/mcp-reaper-<uid>/ports/<port>/<lease>.json`, one file per claim. */
export const REGISTRY_PORTS_DIR = 'ports';
/** What tests are told of a stack instance: its private dir. Each service adds `MCP_REAPER_STACK_<NAME>_…`. */
export const STACK_DIR_ENV = 'MCP_REAPER_STACK_DIR';

/** The config file: `mcpReaper` in package.json, or one of these, found from the working directory upward. */
export const CONFIG_MODULE = 'mcp-reaper';
export const CONFIG_PACKAGE_PROP = 'mcpReaper';
export const CONFIG_SEARCH_PLACES = [
  'package.json',
  `${CONFIG_MODULE}.config.json`,
  `${CONFIG_MODULE}.config.js`,
  `${CONFIG_MODULE}.config.mjs`,
  `${CONFIG_MODULE}.config.cjs`,
] as const;
