// One policy for what a test run says and when it fails, in every runner: after the sweep before the
// run, after each file's (or test's) leak check, and at the end of the run. The adapters only choose
// the channel (stderr, console.warn) and throw the error.
import type { OnLeak } from '../config/defaults.js';
import type { FileReport, ProcessReport, SweepReport } from '../report.js';
import type { StackHandle, StackReport } from '../stack/start-stack.js';

/** What to say, and whether to fail. */
export interface Verdict {
  /** Lines to print as they are (each message starts with `mcp-reaper: `). Empty: say nothing. */
  lines: string[];
  /** Set when the file, the test or the run must fail: the adapter throws it. Its message says why. */
  error?: Error;
}

export const PREFIX = 'mcp-reaper: ';
const MAX_COMMAND = 100;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function trim(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= MAX_COMMAND ? flat : `${flat.slice(0, MAX_COMMAND - 1)}…`;
}

/** One process of a report: `pid 123 terminated: node …/mcp-server-pm daemon (leftover …: exited after SIGTERM)`. */
export function processLine(p: ProcessReport): string {
  return `pid ${p.pid} ${p.action}: ${trim(p.command)} (${p.reason})`;
}

/** One file of a report: `/tmp/x/mcp.sock skipped: a live process … listens on it`. */
export function fileLine(f: FileReport): string {
  return `${f.path} ${f.action}: ${f.reason}`;
}

/** What in a report needs a person's look (survived, respawned, skipped), one indented line each. */
export function problemLines(report: SweepReport): string[] {
  return [
    ...report.processes.filter((p) => p.action === 'survived' || p.action === 'skipped' || p.action === 'respawned').map(processLine),
    ...report.files.filter((f) => f.action === 'skipped').map(fileLine),
  ].map((line) => `  ${line}`);
}

/** An error that shows its message only: a stack into the runner says nothing, and runners print a multi-line message twice when the stack repeats it. */
function failure(message: string): Error {
  const error = new Error(message);
  error.stack = '';
  return error;
}

const pids = (ps: readonly ProcessReport[]) => `${ps.length === 1 ? 'pid' : 'pids'} ${ps.map((p) => p.pid).join(', ')}`;

/**
 * The sweep before a run, in one line when it stopped, removed or kept anything (nothing when there
 * was nothing to do), and the problems under it when it could not clean everything. It never fails
 * the run: the tests may still pass, and the line says what is in the way.
 */
export function beforeRunVerdict(report: SweepReport): Verdict {
  const parts: string[] = [];
  const stopped = report.processes.filter((p) => p.action === 'terminated' || p.action === 'killed');
  const daemons = stopped.filter((p) => p.parentDaemon === undefined);
  const children = stopped.length - daemons.length;
  if (stopped.length > 0) {
    const killed = stopped.filter((p) => p.action === 'killed').length;
    parts.push(
      `stopped ${plural(daemons.length, 'leftover daemon')} (${pids(daemons)})` +
        (children > 0 ? ` with ${plural(children, 'child process', 'child processes')}` : '') +
        (killed > 0 ? `, ${killed} with SIGKILL` : ''),
    );
  }
  const removed = report.files.filter((f) => f.action === 'removed').length;
  if (removed > 0) parts.push(`removed ${plural(removed, 'stale file')}`);
  const ofLiveRuns = new Map<string, ProcessReport[]>();
  for (const p of report.processes) {
    if (p.action === 'kept' && p.liveRun) ofLiveRuns.set(p.liveRun.runId, [...(ofLiveRuns.get(p.liveRun.runId) ?? []), p]);
  }
  for (const [runId, kept] of ofLiveRuns) {
    parts.push(`kept ${plural(kept.length, 'daemon')} of live run ${runId} (${pids(kept)}; run owner pid ${kept[0]!.liveRun!.pid})`);
  }
  const otherKept = report.processes.filter((p) => p.action === 'kept' && !p.liveRun);
  if (otherKept.length > 0) parts.push(`kept ${plural(otherKept.length, 'process', 'processes')} in use (${pids(otherKept)})`);

  const lines = parts.length > 0 ? [`${PREFIX}before the run: ${parts.join(', ')}`] : [];
  if (!report.ok) lines.push(`${PREFIX}the sweep before the run could not clean everything:`, ...problemLines(report));
  return { lines };
}

/** The daemons a scoped sweep found running (stopped, or survived), without their children. */
export function leaksOf(report: SweepReport): ProcessReport[] {
  return report.processes.filter(
    (p) => p.parentDaemon === undefined && (p.action === 'terminated' || p.action === 'killed' || p.action === 'survived'),
  );
}

/**
 * What a leak check (a file's, a test's, a worker's) or the end of a run found, under `onLeak`: the
 * daemons it stopped are named (`warn`), fail the file (`fail`), or pass in silence (`kill`). A daemon
 * that could not be stopped fails it in every mode: something is still running.
 */
export function leakVerdict(report: SweepReport, options: { onLeak: OnLeak; label: string }): Verdict {
  const leaks = leaksOf(report);
  if (!report.ok) {
    return {
      lines: [],
      error: failure(
        `${PREFIX}${options.label} left ${plural(leaks.length, 'daemon')} running, and not everything could be stopped:\n` +
          `${problemLines(report).join('\n')}\nSee the reasons above; \`npx mcp-reaper --dry-run\` shows what is left.`,
      ),
    };
  }
  if (leaks.length === 0 || options.onLeak === 'kill') return { lines: [] };
  const message =
    `${PREFIX}${options.label} left ${leaks.length === 1 ? 'a daemon' : `${leaks.length} daemons`} running; ` +
    `mcp-reaper stopped ${leaks.length === 1 ? 'it' : 'them'}:\n` +
    `${leaks.map((p) => `  ${processLine(p)}`).join('\n')}\nStop the daemons a test starts (await daemon.stop(), or \`await using\`).`;
  return options.onLeak === 'fail' ? { lines: [], error: failure(message) } : { lines: [message] };
}

/** One line for a stack that is up: each service and where it is, and the leftovers that held its ports. */
export function stackUpLine(stack: StackHandle): string {
  const services = Object.values(stack.services).map((s) => `${s.name} (pid ${s.pid}${s.url ? `, ${s.url}` : s.port !== undefined ? `, port ${s.port}` : s.socket ? `, ${s.socket}` : ''})`);
  const freed = stack.freed.filter((p) => p.parentDaemon === undefined);
  const after = freed.length === 0 ? '' : `; first stopped ${freed.length === 1 ? 'a leftover' : `${freed.length} leftovers`} holding its ports (${pids(freed)})`;
  return `${PREFIX}stack up: ${services.join(', ')}${after}`;
}

/**
 * The stop of a run's stack instances (its own, its workers'). A kept dir is named, with why, so its
 * logs and database can be read. A stack that could not be stopped whole, or kept a socket or port,
 * fails the run: something is left.
 */
export function stackStopVerdict(reports: StackReport | undefined | ReadonlyArray<StackReport | undefined>): Verdict {
  const all = (Array.isArray(reports) ? reports : [reports]).filter((r): r is StackReport => r !== undefined);
  const kept = all.filter((r) => r.keptDir).map((r) => `${PREFIX}kept the stack's dir ${r.dir} (${r.keptBecause ?? 'asked to keep it'}): its services' logs are in logs/, with what they wrote there`);
  const trouble = all.flatMap((r) => r.services).filter((s) => !s.ok);
  if (trouble.length === 0) return { lines: kept };
  const lines = trouble.flatMap((s) => [...problemLines(s.report).map((line) => `  ${s.name}: ${line.trim()}`), ...s.held.map((held) => `  ${s.name}: ${held}`)]);
  return { lines: kept, error: failure(`${PREFIX}the stack could not be stopped cleanly:\n${lines.join('\n')}`) };
}

/** Services that died mid-run fail the run, even when no test noticed: each named, with how and its last lines. */
export function deathVerdict(deaths: readonly string[]): Verdict {
  return deaths.length === 0 ? { lines: [] } : { lines: [], error: failure(deaths.join('\n')) };
}

/** Several verdicts as one: every line, and one error holding every failure's message. */
export function combine(...verdicts: readonly Verdict[]): Verdict {
  const errors = verdicts.flatMap((v) => (v.error ? [v.error] : []));
  const lines = verdicts.flatMap((v) => v.lines);
  if (errors.length === 0) return { lines };
  return { lines, error: errors.length === 1 ? errors[0]! : failure(errors.map((e) => e.message).join('\n')) };
}
