import path from 'node:path';
import pc from 'picocolors';
import { GONE, type FileAction, type FileReport, type ProcessAction, type ProcessEvidence, type ProcessReport, type SweepReport } from '../report.js';

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
  /** Under each process, one line of the evidence behind its action. Default: false. */
  verbose?: boolean;
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
const SIGNAL_WIDTH = 'SIGTERM'.length;
const MIN_COMMAND = 24;
/** What the command column leaves the reason at least, on a narrow line, before the reason wraps. */
const MIN_REASON = 30;
const GAP = '  ';

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

/**
 * A command line made to fit: first each absolute path shortened to `…/` and its file name (what a
 * person tells daemons apart by is the program and its arguments, not where it is installed), then
 * cut at the end.
 */
export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const short = flat
    .split(' ')
    .map((word) => (/^\/[^/]*\/./.test(word) ? `…/${word.slice(word.lastIndexOf('/', word.length - 2) + 1)}` : word))
    .join(' ');
  return trim(short, max);
}

function isProblem(p: ProcessReport): boolean {
  return p.action === 'survived' || p.action === 'skipped' || p.action === 'respawned';
}

/** The widths the process lines share, so that every column starts at the same place. */
interface Columns {
  pid: number;
  /** 0 when no process was signalled: the column is left out. */
  signal: number;
  command: number;
}

function commandCell(p: ProcessReport): string {
  const flat = p.command.replace(/\s+/g, ' ').trim();
  return p.parentDaemon !== undefined ? `${flat} (child of ${p.parentDaemon})` : flat;
}

function processColumns(processes: readonly ProcessReport[], width: number): Columns {
  const pid = Math.max(...processes.map((p) => String(p.pid).length));
  const signal = processes.some((p) => p.signal !== undefined) ? SIGNAL_WIDTH : 0;
  // The command gets what the fixed columns and a start of the reason leave of the line, no more than the longest needs.
  const head = 2 + ACTION_WIDTH + 1 + pid + (signal > 0 ? 1 + signal : 0) + 1;
  const room = Math.max(MIN_COMMAND, width - head - GAP.length - MIN_REASON);
  return { pid, signal, command: Math.max(...processes.map((p) => shorten(commandCell(p), room).length)) };
}

function processLine(p: ProcessReport, cols: Columns, c: Colors): string {
  const pid = String(p.pid).padStart(cols.pid);
  const signal = cols.signal > 0 ? ` ${c.dim((p.signal ?? '').padEnd(cols.signal))}` : '';
  const command = shorten(commandCell(p), cols.command).padEnd(cols.command);
  return `  ${actionCell(p.action, processColor(p.action, c))} ${pid}${signal} ${command}${GAP}${p.reason}`;
}

const VIA: Record<NonNullable<ProcessEvidence['match']>['via'], string> = {
  'kernel name': 'by its kernel name',
  'argv[0]': 'by argv[0]',
  'argv[1]': 'by argv[1], behind an interpreter',
};

/** The evidence behind a process's action in one line: how it matched, its parent, its owner tag. */
export function evidenceText(p: ProcessReport): string {
  const e = p.evidence;
  if (!e) return p.action === 'respawned' ? 'a new process, started after the stop: not surveyed' : 'no evidence recorded';
  const parts: string[] = [];
  if (e.match) {
    parts.push(`matched ${e.match.name} ${VIA[e.match.via]}${e.match.subcommand !== undefined ? `, subcommand ${e.match.subcommand}` : ', no subcommand'}`);
  } else if (p.parentDaemon !== undefined) {
    parts.push(`no name match: in daemon ${p.parentDaemon}'s tree or group`);
  }
  if (e.parent) {
    const { pid, command, orphaned } = e.parent;
    const shown = `${pid} (${shorten(command, 40)})`;
    parts.push(!orphaned ? `parent ${shown}, alive` : command === GONE ? `orphaned: its parent ${pid} is gone` : `orphaned: adopted by ${shown}`);
  }
  if (e.owner) {
    const { tag, meaning, runId } = e.owner;
    const owner: Record<typeof meaning, string> = {
      untagged: 'no owner tag',
      'this run': `owner tag ${tag}: this sweep's own run`,
      'live run': `owner tag ${tag}: live run ${runId ?? '?'}`,
      'dead run': `owner tag ${tag}: a run that is over`,
      unknown: `owner tag ${tag}: whether its run is live cannot be told`,
    };
    parts.push(owner[meaning]);
  }
  return parts.length > 0 ? parts.join('; ') : 'no evidence recorded';
}

/** File lines: the path column as wide as the longest path shown. */
function fileLines(files: readonly FileReport[], c: Colors): string[] {
  const width = Math.max(0, ...files.map((f) => f.path.length));
  return files.map((f) => `  ${actionCell(f.action, fileColor(f.action, c))} ${f.path.padEnd(width)}${GAP}${f.reason}`);
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

  const cols = report.processes.length > 0 ? processColumns(report.processes, width) : undefined;
  // The evidence line starts under the pid column.
  const evidenceIndent = ' '.repeat(2 + ACTION_WIDTH + 1);
  for (const p of report.processes) {
    const line = processLine(p, cols!, c);
    stdout.push(line);
    if (options.verbose) stdout.push(c.dim(`${evidenceIndent}${evidenceText(p)}`));
    if (isProblem(p)) problems.push(line);
  }
  const shown = report.files.filter((f) => f.action !== 'absent');
  fileLines(shown, c).forEach((line, i) => {
    stdout.push(line);
    if (shown[i]!.action === 'skipped') problems.push(line);
  });
  const absent = absentLine(report.files.filter((f) => f.action === 'absent'), c);
  if (absent) stdout.push(absent);

  stdout.push(summaryLine(report, options.scanned));
  if (report.dryRun) stdout.push(c.yellow('dry run: nothing was changed'));
  return { stdout, problems, verdict: verdictLine(report) };
}
