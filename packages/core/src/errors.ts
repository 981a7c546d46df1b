/** Stable codes: adapters and the CLI turn them into runner-specific hints and exit codes. */
export type ReaperErrorCode =
  /** An option has a wrong type or value (CLI exit 2). */
  | 'EINVALIDOPTION'
  /** A config file could not be read or parsed (CLI exit 2). */
  | 'ECONFIG'
  /** The platform is neither Linux nor macOS. */
  | 'EUNSUPPORTED'
  /** Listing processes failed (no /proc, `ps` missing or failing). */
  | 'EPROCESSLIST'
  /** A daemon started by startDaemon() exited before it was ready. */
  | 'EDAEMONEXIT'
  /** A daemon started by startDaemon() was not ready within readyTimeoutMs. */
  | 'EDAEMONTIMEOUT';

/** The one error class of mcp-reaper: a stable `code`, a message that names the thing and the fix. */
export class ReaperError extends Error {
  override readonly name = 'ReaperError';
  readonly code: ReaperErrorCode;

  constructor(code: ReaperErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True for errors a user fixes by changing options or config: the CLI prints them without a stack. */
export function isUsageError(error: unknown): error is ReaperError {
  return error instanceof ReaperError && (error.code === 'EINVALIDOPTION' || error.code === 'ECONFIG');
}
