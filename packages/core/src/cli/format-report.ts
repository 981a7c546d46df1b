import path from 'node:path';
import pc from 'picocolors';
import type { FileAction, FileReport, ProcessAction, ProcessReport, SweepReport } from '../report.js';

export type Colors = ReturnType<typeof pc.createColors>;

/** picocolors' formatter factory, re-exported so callers (and tests) need no direct dependency on it. */
export const createColors: (enabled?: boolean) => Colors = pc.createColors;

export interface FormatOptions {
  /** picocolors' formatter; `pc.createColors(false)` for plain text. */
  colors: Colors;
  /** Line width the command lines are trimmed to. Default: 100. */
  width?: number;
  /** What was looked for, for the "nothing to do" line. */
  scanned?: { dir: string; names: readonly string[] };
}

/** What the CLI writes: report lines for stdout, and what goes to stderr when the report is not ok. */
export interface FormattedReport {
  stdout: string[];
  /** The problem lines (for --quiet, where stdout stays empty) */
  problems: string[];
  /** The closing line for stderr when not ok, e.g. `mcp-reaper: 1 process survived; see above`. */
  verdict: string | undefined;
}

const ACTION_WIDTH = 'would-remove'.length;
const MIN_COMMAND = 24;

function processColor(action: ProcessAction, c: Colors): (s: string) => string {
  switch (action) {
    case 'terminated':
    case 'killed':
      return c.green;
    case 'would-kill':
    case 'kept':
      return c.yellow;
    case 'survived':
    case 'skipped':
    case 'respawned':
      return c.red;
  }
}

function fileColor(action: FileAction, c: Colors): (s: string) => string {
  switch (action) {
    case 'removed':
      return c.green;
    case 'would-remove':
    case 'kept':
      return c.yellow;
    case 'skipped':
      return c.red;
    case 'absent':
      return c.dim;
  }
}

/** The action word coloured, padded outside the colour so columns line up either way. */
function actionCell(action: string, color: (s: string) => string): string {
  return `${color(action)}${' '.repeat(Math.max(0, ACTION_WIDTH - action.length))}`;
}

function trim(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(1, max - 1))}…`;
}

function isProblem(p: ProcessReport): boolean {
  return p.action === 'survived' || p.action === 'skipped' || p.action === 'respawned';
}

function processLine(p: ProcessReport, width: number, c: Colors): string {
  // Indent, action, pid and signal take a fixed width; the command gets what is left of the line.
  const headWidth = 2 + ACTION_WIDTH + 1 + 7 + 1 + 7 + 1;
  const command = trim(p.command, Math.max(MIN_COMMAND, width - headWidth));
  const parent = p.parentDaemon !== undefined ? ` (child of ${p.parentDaemon})` : '';
  return `  ${actionCell(p.action, processColor(p.action, c))} ${String(p.pid).padStart(7)} ${c.dim((p.signal ?? '').padEnd(7))} ${command}${parent}  ${c.dim('—')} ${p.reason}`;
}

function fileLine(f: FileReport, c: Colors): string {
  return `  ${actionCell(f.action, fileColor(f.action, c))} ${f.path}  ${c.dim('—')} ${f.reason}`;
}

/** Absent files are the normal case: one dim line naming them, grouped by directory. */
function absentLine(files: readonly FileReport[], c: Colors): string | undefined {
  if (files.length === 0) return undefined;
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    const dir = path.dirname(f.path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), path.basename(f.path)]);
  }
  const parts = [...byDir].map(([dir, names]) => `${names.join(', ')} in ${dir}`);
  return c.dim(`  ${'absent'.padEnd(ACTION_WIDTH)} ${parts.join('; ')}`);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function count<T extends { action: string }>(items: readonly T[], action: T['action']): number {
  return items.filter((i) => i.action === action).length;
}

/** `2 daemons`, or `2 daemons with 3 child processes`: children are counted apart from daemons. */
function stoppedText(stopped: readonly SweepReport['processes'][number][]): string | undefined {
  if (stopped.length === 0) return undefined;
  const children = stopped.filter((p) => p.parentDaemon !== undefined).length;
  const daemons = plural(stopped.length - children, 'daemon');
  return children === 0 ? daemons : `${daemons} with ${plural(children, 'child process', 'child processes')}`;
}

/** e.g. `2 daemons with 1 child process stopped (1 needed SIGKILL), 2 files removed, 1 kept, in 523 ms`. */
export function summaryLine(report: SweepReport, scanned?: FormatOptions['scanned']): string {
  const { processes: ps, files: fs } = report;
  const ms = `${Math.round(report.durationMs)} ms`;
  const parts: string[] = [];
  const killed = count(ps, 'killed');
  const stopped = stoppedText(ps.filter((p) => p.action === 'terminated' || p.action === 'killed'));
  if (stopped) parts.push(`${stopped} stopped${killed > 0 ? ` (${killed} needed SIGKILL)` : ''}`);
  const wouldStop = stoppedText(ps.filter((p) => p.action === 'would-kill'));
  if (wouldStop) parts.push(`${wouldStop} would be stopped`);
  const removed = count(fs, 'removed');
  if (removed > 0) parts.push(`${plural(removed, 'file')} removed`);
  const wouldRemove = count(fs, 'would-remove');
  if (wouldRemove > 0) parts.push(`${plural(wouldRemove, 'file')} would be removed`);
  const kept = count(ps, 'kept');
  if (kept > 0) parts.push(`${kept} kept`);
  const survived = count(ps, 'survived');
  if (survived > 0) parts.push(`${survived} survived`);
  const respawned = count(ps, 'respawned');
  if (respawned > 0) parts.push(`${respawned} respawned`);
  const skippedP = count(ps, 'skipped');
  if (skippedP > 0) parts.push(`${plural(skippedP, 'process', 'processes')} skipped`);
  const skippedF = count(fs, 'skipped');
  if (skippedF > 0) parts.push(`${plural(skippedF, 'file')} skipped`);

  if (parts.length === 0) {
    const what = scanned
      ? `no ${scanned.names.join('/')} processes, no stale files in ${scanned.dir}`
      : `no leftover processes or stale files`;
    return `nothing to do (${what}; ${ms})`;
  }
  return `${parts.join(', ')}, in ${ms}`;
}

/** The stderr verdict when not ok: what went wrong in counts; the item lines carry the fixes. */
export function verdictLine(report: SweepReport): string | undefined {
  if (report.ok) return undefined;
  const parts: string[] = [];
  const survived = count(report.processes, 'survived');
  if (survived > 0) parts.push(`${plural(survived, 'process', 'processes')} survived`);
  const respawned = count(report.processes, 'respawned');
  if (respawned > 0) parts.push(`${plural(respawned, 'daemon')} came back (a supervisor restarts it)`);
  const skippedP = count(report.processes, 'skipped');
  if (skippedP > 0) parts.push(`${plural(skippedP, 'process', 'processes')} skipped for safety`);
  const skippedF = count(report.files, 'skipped');
  if (skippedF > 0) parts.push(`${plural(skippedF, 'file')} skipped`);
  if (parts.length === 0) parts.push('the sweep was not clean');
  return `mcp-reaper: ${parts.join(', ')}; see the reasons above`;
}

/** The human-readable report. Pure: the CLI decides where each part goes. */
export function formatReport(report: SweepReport, options: FormatOptions): FormattedReport {
  const c = options.colors;
  const width = options.width ?? 100;
  const stdout: string[] = [];
  const problems: string[] = [];

  for (const p of report.processes) {
    const line = processLine(p, width, c);
    stdout.push(line);
    if (isProblem(p)) problems.push(line);
  }
  for (const f of report.files) {
    if (f.action === 'absent') continue;
    const line = fileLine(f, c);
    stdout.push(line);
    if (f.action === 'skipped') problems.push(line);
  }
  const absent = absentLine(report.files.filter((f) => f.action === 'absent'), c);
  if (absent) stdout.push(absent);

  stdout.push(summaryLine(report, options.scanned));
  if (report.dryRun) stdout.push(c.yellow('dry run: nothing was changed'));
  return { stdout, problems, verdict: verdictLine(report) };
}
