// The options of `startDaemon()` as a user writes them (in code, or the config's `daemon` key): the
// config's layers and the daemon's resolution both read this type, so it lives in the lower of the two.
// `startDaemon()` adds `source` (daemon/start-options.ts), which is for tests, not for a config.
/**
 * Options of `startDaemon()` that a user may write in the config (all of them but `source`). Every
 * field is optional; the default is in its comment. Names and defaults are those of `sweep()` where
 * they mean the same (`dir`, `pidFile`, `graceMs`, `killWaitMs`).
 */
export interface DaemonOptions {
  /** The executable, a path or a name looked up on PATH. Never run through a shell. Default: `'mcp-server-pm'`. */
  command?: string;
  /**
   * Its arguments. Default: `['daemon', '--foreground', '--socket-path', socketPath]`. Arguments of
   * your own must keep the daemon in the foreground (a forking daemon leaves the handle holding an
   * exited parent) and make it listen on `socketPath`, which is what readiness is checked on.
   */
  args?: readonly string[];
  /** Environment variables merged over `process.env`; `undefined` removes one. Default: `{}`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Working directory of the daemon. Default: `process.cwd()`. */
  cwd?: string;
  /**
   * The daemon's state directory, where it writes `pidFile`. Default: as for `sweep()`, computed from
   * the daemon's environment (so `env: { XDG_DATA_HOME }` moves it, as it moves the real daemon's).
   */
  dir?: string;
  /** The socket the daemon listens on; a relative path is resolved against `cwd`. Default: `<dir>/mcp.sock`. */
  socketPath?: string;
  /** The pid file's name inside `dir`, removed on stop when it names this daemon or is stale. Default: `'daemon.pid'`. */
  pidFile?: string;
  /** How long to wait after SIGTERM before SIGKILL, in ms (stop and failed starts). Default: `500`. */
  graceMs?: number;
  /** How long to wait for SIGKILL to take effect before reporting a survivor, in ms. Default: `2000`. */
  killWaitMs?: number;
  /** How long the daemon may take to answer on its socket, in ms. Default: `10000`. */
  readyTimeoutMs?: number;
  /** Tag set as `MCP_REAPER_OWNER` in the daemon's environment, so sweeps can tell whose it is. Default: none (a tag inherited from `process.env` passes through). */
  owner?: string;
  /**
   * File the daemon's stdout and stderr are appended to, kept after stop. Default: a temporary file,
   * removed when the daemon is stopped (its last lines are in the error of a failed start).
   */
  logFile?: string;
}

