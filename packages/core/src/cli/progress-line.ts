import type { SweepWait } from '../sweep/sweep-options.js';
import type { OutputStream } from './command.js';
import type { Colors } from './format-report.js';

/** A sweep that waits less than this shows no progress: most stop within their grace period at once. */
export const PROGRESS_AFTER_MS = 1000;
/** Redrawn at most this often: often enough to count tenths of a second. */
const REDRAW_MS = 100;
/** Back to the line's start, and erase to its end. */
const ERASE = '\r\u001b[K';

export interface ProgressLine {
  /** The sweep's `onWait`. */
  onWait(wait: SweepWait): void;
  /** Erases the line if one is shown. Safe to call twice. */
  done(): void;
}

/**
 * `waiting for 2 processes to exit (1.4 s)…` on one terminal line, rewritten in place while a sweep
 * waits for stubborn processes longer than a second, and erased when the wait is over, so the report
 * that follows starts on a clean line. Only for a terminal: on a pipe or a file it would be noise
 * (the caller decides; see sweep.ts).
 */
export function progressLine(stream: OutputStream, c: Colors): ProgressLine {
  let shown = false;
  let drawnAt = -Infinity;
  let drawnCount = -1;
  const erase = (): void => {
    if (!shown) return;
    stream.write(ERASE);
    shown = false;
  };
  return {
    onWait({ waiting, elapsedMs }) {
      if (waiting === 0) return erase();
      if (elapsedMs < PROGRESS_AFTER_MS) return;
      const now = performance.now();
      if (waiting === drawnCount && now - drawnAt < REDRAW_MS) return;
      drawnAt = now;
      drawnCount = waiting;
      const what = waiting === 1 ? '1 process' : `${waiting} processes`;
      stream.write(`${ERASE}${c.dim(`waiting for ${what} to exit (${(elapsedMs / 1000).toFixed(1)} s)…`)}`);
      shown = true;
    },
    done: erase,
  };
}
