/** Stable codes: adapters and the CLI turn them into runner-specific hints and exit codes. */
export type ReaperErrorCode =
  /**
   * The user's mistake, and only that: an option, a flag, an `MCP_REAPER_*` variable or a config file
   * that is wrong or cannot be read, or an adapter's part used without its global setup. The message
   * says what to fix; the CLI exits 2 and no stack trace is shown.
   */
  | 'EINVALIDOPTION'
  /** The platform is neither Linux nor macOS. */
  | 'EUNSUPPORTED'
  /** Listing processes failed (no /proc, `ps` missing or failing). */
  | 'EPROCESSLIST'
  /** The crash-safety watchdog could not be started. */
  | 'EWATCHDOG'
  /** The registry of live runs (a private directory in the temp dir) cannot be used. */
  | 'EREGISTRY'
  /** A daemon started by startDaemon() exited before it was ready. */
  | 'EDAEMONEXIT'
  /** A daemon started by startDaemon() was not ready within readyTimeoutMs. */
  | 'EDAEMONTIMEOUT'
  /** A stack's service exited before it was ready (or a one-shot task exited with another code). */
  | 'ESERVICEEXIT'
  /** A stack's service was not ready within its readyTimeoutMs. */
  | 'ESERVICETIMEOUT'
  /** A stack's service could not start: its port is held by a process that is not a leftover of ours. */
  | 'EPORTHELD'
  /** A stack's service was ready, and has exited since. */
  | 'ESERVICEDIED';

/** The one error class of mcp-reaper: a stable `code`, a message that names the thing and the fix. */
export class ReaperError extends Error {
  override readonly name = 'ReaperError';
  readonly code: ReaperErrorCode;

  constructor(code: ReaperErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True for errors a user fixes by changing options or config: they are shown without a stack. */
export function isUsageError(error: unknown): error is ReaperError {
  return error instanceof ReaperError && error.code === 'EINVALIDOPTION';
}
