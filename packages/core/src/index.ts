export { sweep } from './sweep.js';
export { findLeaks } from './find-leaks.js';
export { startWatchdog, type Watchdog, type WatchdogOptions } from './watchdog.js';
export { startDaemon, DaemonStartError, type DaemonHandle } from './daemon/start-daemon.js';
export { DEFAULT_COMMAND, DEFAULT_READY_TIMEOUT_MS, type StartDaemonOptions } from './daemon/start-options.js';
export {
  healthCheck,
  type HealthCheckOptions,
  type HealthCheckResult,
  type HealthCheckName,
  type HealthReport,
} from './health/health-check.js';
export { OWNER_ENV, isOwnedBy, ownerTag } from './processes/owner-tag.js';
export { loadOptions, type LoadOptionsInput } from './load-options.js';
export { startRun, RUN_ENV, type Run, type StartRunOptions } from './runner/start-run.js';
export { checkLeaks, onLeakProblem, ON_LEAK_MODES, type LeakCheck, type OnLeak } from './runner/check-leaks.js';
export { describe as describeValue } from './validate.js';
export {
  resolveSweepOptions,
  validateSweepOptions,
  DEFAULT_NAMES,
  DEFAULT_FILES,
  DEFAULT_SOCKET_NAME,
  DEFAULT_PID_FILE,
  DEFAULT_GRACE_MS,
  DEFAULT_KILL_WAIT_MS,
  type SweepOptions,
  type ResolvedSweepOptions,
} from './options.js';
export { daemonStateDir, defaultStateDir, APP_DIR_NAME } from './state-dir.js';
export { ReaperError, isUsageError, type ReaperErrorCode } from './errors.js';
export type { SweepReport, ProcessReport, FileReport, ProcessAction, FileAction } from './report.js';
export type { ProcessInfo, ProcessSource } from './processes/process-info.js';
