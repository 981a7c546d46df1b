// The public API of @mcp-reaper/core. The CLI (cli/) is built on it and is not part of it.
export { sweep } from './sweep/sweep.js';
export { resolveSweepOptions, type SweepOptions, type ResolvedSweepOptions } from './sweep/sweep-options.js';
export { startDaemon, DaemonStartError, type DaemonHandle } from './daemon/start-daemon.js';
export type { StartDaemonOptions } from './daemon/start-options.js';
export {
  healthCheck,
  type HealthCheckOptions,
  type HealthCheckResult,
  type HealthCheckName,
  type HealthReport,
} from './health/health-check.js';
export { isOwnedBy, ownerTag } from './processes/owner-tag.js';
export { OWNER_ENV, RUN_ENV, SETTING_ENV } from './config/names.js';

// Stacks: services started in dependency order and stopped in reverse.
export { startStack, StackStartError, type StackHandle, type StackReport, type StartStackOptions } from './stack/start-stack.js';
export type { ServiceHandle, ServiceStop } from './stack/service.js';
export type { StackConfig, ServiceOptions, ReadyCheck, PortOption, ServiceScope } from './config/stack-options.js';
export { deadService, type DeadService } from './run/stack-health.js';
export { useDaemonWith, type FixtureHooks, type UseDaemonScope, type UsedDaemon } from './run/daemon-fixture.js';
export { markLogs, logsSince, logLines, type LogMark } from './run/stack-logs.js';
export {
  joinWorkerStack,
  openWorkerStack,
  markStackTestsFailed,
  workerInstance,
  type WorkerStack,
  type OpenWorkerStack,
  type StackView,
  type StackService,
} from './run/worker-stack.js';

// Runs: what a runner's global setup, its workers and its teardown use.
export { startRun, type Run, type RunEnd, type StartRunOptions } from './run/start-run.js';
export { startWatchdog, type Watchdog, type WatchdogOptions } from './run/watchdog.js';
export { findLeaks } from './run/find-leaks.js';
export { checkLeaks, type LeakCheck } from './run/check-leaks.js';
export { liveRuns, type LiveRun, type LiveRuns, type RunKind, type RunRecord } from './registry/runs.js';
export { beforeRunVerdict, leakVerdict, processLine, problemLines, stackStopVerdict, type Verdict } from './run/verdict.js';
export {
  startRunnerRun,
  joinRun,
  openLeakCheck,
  forRunner,
  type RunnerRun,
  type RunnerSettings,
  type RunHandoff,
  type JoinedRun,
  type OpenLeakCheck,
} from './run/runner-run.js';

// Configuration: one resolution for the CLI and every runner.
export { resolveConfig, type ResolvedConfig, type BaseConfig } from './config/resolve-config.js';
export { describeProvenance, type UserConfig, type DaemonConfig, type Provenance } from './config/layers.js';
export { runConfigOf, type RunConfig } from './config/run-config.js';
export { RUNNERS, RUNNER_NAMES, type RunnerName, type RunnerInfo } from './config/runners.js';
export {
  DEFAULT_NAMES,
  DEFAULT_FILES,
  DEFAULT_SOCKET_NAME,
  DEFAULT_PID_FILE,
  DEFAULT_GRACE_MS,
  DEFAULT_KILL_WAIT_MS,
  DEFAULT_RESPAWN_WINDOW_MS,
  DEFAULT_COMMAND,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_ON_LEAK,
  ON_LEAK_MODES,
  type OnLeak,
} from './config/defaults.js';
export { MAX_WAIT_MS } from './config/rules.js';

export { daemonStateDir, defaultStateDir, APP_DIR_NAME } from './state-dir.js';
export { ReaperError, isUsageError, type ReaperErrorCode } from './errors.js';
export { REPORT_VERSION, type SweepReport, type ProcessReport, type ProcessEvidence, type OwnerMeaning, type FileReport, type ProcessAction, type FileAction } from './report.js';
export type { ProcessInfo } from './processes/process-info.js';
export type { ProcessSource } from './processes/process-source.js';
