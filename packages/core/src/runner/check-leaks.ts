import type { SweepOptions } from '../options.js';
import { describe } from '../validate.js';
import type { ProcessReport, SweepReport } from '../report.js';
import { sweep } from '../sweep.js';

/** What happens when a test file (or test) leaves daemons running; they are stopped in every mode. */
export type OnLeak = 'warn' | 'fail' | 'kill';

export const ON_LEAK_MODES: readonly OnLeak[] = ['warn', 'fail', 'kill'];

/** The problem with an `onLeak` value, if any, in the words every adapter uses. */
export function onLeakProblem(value: unknown, what = '"onLeak"'): string | undefined {
  if (ON_LEAK_MODES.includes(value as OnLeak)) return undefined;
  return `${what} must be one of ${ON_LEAK_MODES.map((mode) => `"${mode}"`).join(', ')}, got ${describe(value)}`;
}

export interface LeakCheck {
  /** The daemons the owner left running (each reported as stopped, or as survived). */
  leaks: ProcessReport[];
  /** The scoped sweep that stopped them. */
  report: SweepReport;
  /** For `warn` and `fail`, when there were leaks: what to print or throw, naming each pid. */
  message: string | undefined;
}

/**
 * The per-file (or per-test) leak check: stops whatever daemons `owner` left running, with their
 * children, and says so. One scoped sweep: another owner's daemons are never touched or reported.
 */
export async function checkLeaks(
  options: SweepOptions & { owner: string; onLeak?: OnLeak; label?: string },
): Promise<LeakCheck> {
  const { onLeak = 'warn', label = options.owner, ...sweepOptions } = options;
  const report = await sweep(sweepOptions);
  const leaks = report.processes.filter(
    (p) => p.parentDaemon === undefined && (p.action === 'terminated' || p.action === 'killed' || p.action === 'survived'),
  );
  if (leaks.length === 0 || onLeak === 'kill') return { leaks, report, message: undefined };
  const lines = leaks.map((p) => `  pid ${p.pid}: ${p.command} (${p.action === 'survived' ? 'STILL RUNNING: ' : ''}${p.reason})`);
  const message =
    `${label} left ${leaks.length === 1 ? 'a daemon' : `${leaks.length} daemons`} running; mcp-reaper stopped ${leaks.length === 1 ? 'it' : 'them'}:\n` +
    `${lines.join('\n')}\nStop the daemons a test starts (await daemon.stop(), or \`await using\`).`;
  return { leaks, report, message };
}
