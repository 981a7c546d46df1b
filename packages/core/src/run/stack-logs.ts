// Logs where the failure is: what each stack service wrote while a test (Playwright) or a test file
// (Vitest, Jest) ran, shown only when it failed. A mark is each log's size when the test began; what
// was appended since is that test's part of the log.
import fs from 'node:fs';
import { PREFIX } from './verdict.js';
import type { StackView } from './worker-stack.js';

/** How many lines of each service a failing file's output ends with. */
const FILE_LINES = 20;
/** The most of one log a test's attachment holds (the end of it, when the test wrote more). */
const MAX_ATTACHMENT_BYTES = 1 << 20;

export interface LogMark {
  service: string;
  logFile: string;
  offset: number;
}

/** Where each service's log ends now. */
export function markLogs(view: StackView): LogMark[] {
  return Object.entries(view.services).map(([service, s]) => {
    let offset = 0;
    try {
      offset = fs.statSync(s.logFile).size;
    } catch {
      // no log yet: everything it writes is after the mark
    }
    return { service, logFile: s.logFile, offset };
  });
}

/** What each service wrote since its mark, whole (the last MiB of it at most); services that wrote nothing are left out. */
export function logsSince(marks: readonly LogMark[]): Array<{ service: string; logFile: string; text: string }> {
  return marks.flatMap(({ service, logFile, offset }) => {
    let fd: number | undefined;
    try {
      fd = fs.openSync(logFile, 'r');
      const size = fs.fstatSync(fd).size;
      const from = Math.max(offset, size - MAX_ATTACHMENT_BYTES);
      if (size <= from) return [];
      const buffer = Buffer.alloc(size - from);
      fs.readSync(fd, buffer, 0, buffer.length, from);
      return [{ service, logFile, text: buffer.toString('utf8') }];
    } catch {
      return [];
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  });
}

/** For a failing test file's output: each service's last lines of the file's time span, at most 20 each. Empty when none wrote. */
export function logLines(marks: readonly LogMark[], label: string): string[] {
  const parts = logsSince(marks).map(({ service, logFile, text }) => {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
    const shown = lines.slice(-FILE_LINES);
    const more = lines.length > shown.length ? ` (last ${shown.length} of ${lines.length})` : '';
    return `  ${service}${more}, ${logFile}:\n${shown.map((line) => `    ${line}`).join('\n')}`;
  });
  return parts.length === 0 ? [] : [`${PREFIX}what the stack's services wrote while ${label} ran:\n${parts.join('\n')}`];
}
