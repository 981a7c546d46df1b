// The only home of defaults. Every entry point (sweep(), startDaemon(), healthCheck(), the watchdog,
// a run, the CLI, the adapters) applies these where it resolves its options, and nowhere else: the
// config layers leave a key unset when nobody set it.

/** What happens when a test file (or test) leaves daemons running; they are stopped in every mode. */
export type OnLeak = 'warn' | 'fail' | 'kill';
export const ON_LEAK_MODES: readonly OnLeak[] = ['warn', 'fail', 'kill'];

export const DEFAULT_NAMES: readonly string[] = ['mcp-server-pm'];
export const DEFAULT_SOCKET_NAME = 'mcp.sock';
export const DEFAULT_PID_FILE = 'daemon.pid';
export const DEFAULT_FILES: readonly string[] = [DEFAULT_SOCKET_NAME, DEFAULT_PID_FILE];
export const DEFAULT_GRACE_MS = 500;
export const DEFAULT_KILL_WAIT_MS = 2000;
// systemd restarts after RestartSec (100 ms by default) and launchd restarts a long-running job at
// once: 300 ms after the first signal sees both, and costs a cooperative sweep little.
export const DEFAULT_RESPAWN_WINDOW_MS = 300;
// A scoped sweep (a leak check, a watchdog) stops a test's own daemons, which have no supervisor,
// and a test hook stays fast.
export const SCOPED_RESPAWN_WINDOW_MS = 0;
export const DEFAULT_DRY_RUN = false;
export const DEFAULT_INCLUDE_LIVE_RUNS = false;

export const DEFAULT_COMMAND = 'mcp-server-pm';
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** `startDaemon()`'s arguments when none are given: the real daemon, kept in the foreground. */
export function defaultDaemonArgs(socketPath: string): string[] {
  return ['daemon', '--foreground', '--socket-path', socketPath];
}

export const DEFAULT_HEALTH_TIMEOUT_MS = 1000;
/** How often the watchdog looks at the runner: a sweep starts within a quarter second of its death. */
export const DEFAULT_WATCHDOG_INTERVAL_MS = 250;

/**
 * When a run may use the stack a live `mcp-reaper up` of the same config holds: `local` unless the
 * `CI` variable is set (a developer's loop, never a CI job's), `always`, or `never`.
 */
export type StackReuse = 'local' | 'always' | 'never';
export const STACK_REUSE_MODES: readonly StackReuse[] = ['local', 'always', 'never'];
export const DEFAULT_STACK_REUSE: StackReuse = 'local';

export const DEFAULT_ON_LEAK: OnLeak = 'warn';
export const DEFAULT_WATCHDOG = true;
