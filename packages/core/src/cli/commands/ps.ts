import { REGISTRY_STACKS_DIR, RUN_INSTANCE } from '../../config/names.js';
import { defaultProcessSource } from '../../processes/process-source.js';
import { readInstances, type InstanceRecord } from '../../registry/instances.js';
import { checkPrivateDir } from '../../registry/private-dir.js';
import { liveRuns, type LiveRun, type RunKind } from '../../registry/runs.js';
import { REPORT_VERSION } from '../../report.js';
import { writeLines, type CommandModule } from '../command.js';
import type { Colors } from '../format-report.js';

/** One service of an instance, as `ps --json` prints it ($defs/psReport). */
export interface PsService {
  name: string;
  pid: number;
  /** False between its spawn and its readiness. */
  ready: boolean;
  port?: number;
  url?: string;
  socket?: string;
  logFile: string;
  /** It exited between its readiness and its teardown, as the process that started it saw. */
  died?: { code: number | null; signal: string | null; at: string };
}

export interface PsInstance {
  /** `run` (the run's own services) or `w<slot>` (a runner worker's). */
  instance: string;
  state: InstanceRecord['state'];
  dir: string;
  error?: string;
  services: PsService[];
}

export interface PsRun {
  runId: string;
  kind: RunKind;
  pid: number;
  /** The owner's command line as it is now. */
  command: string;
  cwd: string;
  configFile: string | null;
  startedAt: string;
  reusedFrom?: string;
  watchdog?: { pid: number };
  instances: PsInstance[];
}

/** What `ps --json` prints. */
export interface PsReport {
  version: number;
  runs: PsRun[];
}

/** `run` first, then the workers' by slot number (w2 before w10). */
function instanceOrder(a: InstanceRecord, b: InstanceRecord): number {
  const rank = (r: InstanceRecord) => (r.instance === RUN_INSTANCE ? -1 : Number(/^w(\d+)$/.exec(r.instance)?.[1] ?? Number.MAX_SAFE_INTEGER));
  return rank(a) - rank(b) || a.instance.localeCompare(b.instance);
}

function psRun({ record, command }: LiveRun): PsRun {
  const instances = readInstances(record.runId)
    .sort(instanceOrder)
    .map((instance) => ({
      instance: instance.instance,
      state: instance.state,
      dir: instance.dir,
      ...(instance.error !== undefined && { error: instance.error }),
      services: instance.services.map((s) => ({
        name: s.name,
        pid: s.pid,
        ready: s.ready,
        ...(s.port !== undefined && { port: s.port }),
        ...(s.url !== undefined && { url: s.url }),
        ...(s.socket !== undefined && { socket: s.socket }),
        logFile: s.logFile,
        ...(s.died !== undefined && { died: { code: s.died.code, signal: s.died.signal, at: new Date(s.died.at).toISOString() } }),
      })),
    }));
  return {
    runId: record.runId,
    kind: record.kind,
    pid: record.pid,
    command,
    cwd: record.cwd,
    configFile: record.configFile ?? null,
    startedAt: record.startedAt,
    ...(record.reusedFrom !== undefined && { reusedFrom: record.reusedFrom }),
    ...(record.watchdog && { watchdog: { pid: record.watchdog.pid } }),
    instances,
  };
}

function ago(startedAt: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(startedAt)) / 1000));
  if (Number.isNaN(s)) return '';
  if (s < 60) return ` (${s} s ago)`;
  if (s < 3600) return ` (${Math.floor(s / 60)} min ago)`;
  if (s < 48 * 3600) return ` (${Math.floor(s / 3600)} h ago)`;
  return ` (${Math.floor(s / 86_400)} days ago)`;
}

const LABEL_WIDTH = 'watchdog'.length;
const label = (name: string, value: string) => `  ${name.padEnd(LABEL_WIDTH)}  ${value}`;

/** A run's block: its owner and config, then each instance with its services in aligned columns. */
function runLines(run: PsRun, c: Colors, now: number): string[] {
  const lines = [`${c.bold(run.runId)}  ${run.kind}  pid ${run.pid}`];
  lines.push(label('command', run.command));
  lines.push(label('config', run.configFile ?? 'none'));
  lines.push(label('cwd', run.cwd));
  lines.push(label('started', `${run.startedAt}${ago(run.startedAt, now)}`));
  if (run.watchdog) lines.push(label('watchdog', `pid ${run.watchdog.pid}`));
  if (run.reusedFrom !== undefined) lines.push(label('reuses', `the stack of ${run.reusedFrom}`));
  if (run.instances.length === 0) lines.push(label('services', 'none'));
  // One set of columns for the whole run: its instances' services line up with each other.
  const services = run.instances.flatMap((i) => i.services);
  const width = (cell: (s: PsService) => string) => Math.max(0, ...services.map((s) => cell(s).length));
  const nameOf = (s: PsService) => s.name;
  const pidOf = (s: PsService) => `pid ${s.pid}`;
  const portOf = (s: PsService) => (s.port === undefined ? '' : `port ${s.port}`);
  const [nameWidth, pidWidth, portWidth] = [width(nameOf), width(pidOf), width(portOf)];
  for (const instance of run.instances) {
    const state = instance.state === 'up' ? '' : ` (${instance.state}${instance.error === undefined ? '' : `: ${instance.error}`})`;
    lines.push(label('instance', `${instance.instance}  ${instance.dir}${state}`));
    for (const s of instance.services) {
      const died = s.died && c.red(`died: ${s.died.signal ? `killed by ${s.died.signal}` : `exited with code ${s.died.code}`} at ${s.died.at}`);
      const place = [s.url !== undefined && `url ${s.url}`, s.socket !== undefined && `socket ${s.socket}`, !s.ready && c.yellow('not ready'), died].filter(Boolean);
      const cells = [nameOf(s).padEnd(nameWidth), pidOf(s).padEnd(pidWidth), ...(portWidth > 0 ? [portOf(s).padEnd(portWidth)] : []), ...place];
      lines.push(`    ${cells.join('  ').trimEnd()}`);
      lines.push(`    ${''.padEnd(nameWidth)}  log ${s.logFile}`);
    }
  }
  return lines;
}

export const psCommand: CommandModule = {
  name: 'ps',
  description: "list this user's live runs (runners, run, up) and their stacks' services",
  configure(command) {
    command.option('--json', 'print the runs as JSON on stdout').addHelpText(
      'after',
      [
        '',
        'Reads the registry of live runs in $TMPDIR/mcp-reaper-<uid>/ (the records runners, `mcp-reaper run`',
        'and `mcp-reaper up` write while they last). Each run: its id and kind, its owner pid and command',
        "line, its config file, when it started, the `up` whose stack it uses; and every stack instance",
        "of the run (`run`, and each worker's `w<slot>`) with its dir and each service's pid, port, url,",
        'socket and log file. A run whose owner is gone is not listed (its record is removed).',
        '',
        `--json prints { version: ${REPORT_VERSION}, runs }, described by $defs/psReport in`,
        '@mcp-reaper/core/report.schema.json.',
        '',
        'Exit codes: 0 listed (also when no run is live); 2 the registry cannot be trusted (a symlink,',
        "another user's directory, one open to others): the message names it and what to do.",
        '',
        'Examples:',
        '  mcp-reaper ps                         what runs now, and where its services are',
        "  mcp-reaper ps --json | jq '.runs[].instances[].services[].url'",
      ].join('\n'),
    );
  },
  async run(ctx, flags) {
    const live = await liveRuns(defaultProcessSource());
    // A registry another user could have written is not read: its runs and services would be theirs to claim.
    const problem = live.problem ?? checkPrivateDir(REGISTRY_STACKS_DIR).problem;
    if (problem !== undefined) {
      writeLines(ctx.io.stderr, [`mcp-reaper: ps: ${problem}`]);
      return 2;
    }
    const runs = live.runs
      .sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt) || a.record.runId.localeCompare(b.record.runId))
      .map(psRun);
    if (flags.json) {
      const report: PsReport = { version: REPORT_VERSION, runs };
      ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      writeLines(ctx.io.stdout, ['no live runs']);
      return 0;
    }
    const now = Date.now();
    const out = runs.flatMap((run, i) => [...(i === 0 ? [] : ['']), ...runLines(run, ctx.colors, now)]);
    const services = runs.reduce((n, run) => n + run.instances.reduce((m, i) => m + i.services.length, 0), 0);
    out.push('', `${runs.length} live run${runs.length === 1 ? '' : 's'}, ${services} service${services === 1 ? '' : 's'}`);
    writeLines(ctx.io.stdout, out);
    return 0;
  },
};
