import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { debuglog } from 'node:util';
import { Option } from 'commander';
import { DEFAULT_WATCHDOG } from '../../config/defaults.js';
import { OWNER_ENV, RUN_ENV } from '../../config/names.js';
import type { SweepReport } from '../../report.js';
import { startRun, type Run } from '../../run/start-run.js';
import { deathVerdict, stackStopVerdict, stackUpLine, type Verdict } from '../../run/verdict.js';
import { sweep } from '../../sweep/sweep.js';
import {
  addLiveRunsFlag,
  addOptionFlags,
  resolveFor,
  sweepOptionsOf,
  writeLines,
  type CommandModule,
  type Context,
  type OutputStream,
} from '../command.js';
import { formatReport } from '../format-report.js';
import { asShellSees } from '../../daemon/spawn-error.js';

const debug = debuglog('mcp-reaper');

/** What a terminal or a supervisor sends to stop a run; each is passed on to the command. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Shell conventions: 127 command not found, 126 found but could not be executed. */
const EXIT_NOT_FOUND = 127;
const EXIT_CANNOT_EXECUTE = 126;

/**
 * How long to wait, once the command has exited, for the rest of its output when it is piped (an
 * injected `io`, not the real stdio). A process it left behind may hold the pipe open for good.
 */
const DRAIN_MS = 500;

/** Where the option parser (a preAction hook) leaves the command line for run(). */
const ARGV_KEY = 'commandLine';

/** How the command ended. */
type Outcome =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'spawn-error'; error: NodeJS.ErrnoException };

const HELP_AFTER = [
  '',
  'Sweeps, runs <command> (no shell; stdin, stdout and stderr are inherited; same environment and',
  'working directory), then sweeps again with the same options however the command ended: exit,',
  'crash, Ctrl-C. For suites that use none of the adapters: shell scripts, XCUITest, anything.',
  '',
  'While the command runs this is a live run: the command and every daemon it starts carry its tag',
  '(MCP_REAPER_RUN, MCP_REAPER_OWNER), other runs\' sweeps keep those daemons, and a watchdog',
  'sweeps them if mcp-reaper itself is killed (unless "watchdog" is false in the config). With',
  '--dry-run both sweeps only report, and no run is started.',
  '',
  'With a "stack" in the config, its services start after the first sweep, in dependency order, and',
  'stop (dependents first, verified) when the command ends, before the last sweep. The command gets',
  'MCP_REAPER_STACK_<NAME>_PID, _PORT, _SOCKET, _URL and _LOG for each service.',
  '',
  'Everything after the command name is passed to it untouched; put the flags of mcp-reaper before',
  "it, and '--' before it when it starts with '-'. The sweep reports go to stderr (the command owns",
  'stdout): one summary line per sweep that did something, and the problem lines when a sweep was',
  'not clean. With --quiet only the problems are printed. A first sweep that is not clean is',
  'reported, and the command still runs.',
  '',
  'SIGINT, SIGTERM and SIGHUP received while the command runs are passed on to it, and mcp-reaper',
  'waits for it to end before the final sweep. (Ctrl-C in a terminal reaches the command directly',
  'too: the command may see SIGINT twice.) The command shares the process group of mcp-reaper, so',
  "a daemon it leaves running with --foreground in that group is skipped for safety; the real",
  "daemon's `daemon` mode forks into its own session and is stopped.",
  '',
  'Exit status: the command\'s; 128+N when signal N ended it (130 for SIGINT, 143 for SIGTERM);',
  '127 when it was not found, 126 when it could not be executed; 1 when the command succeeded but',
  'the final sweep left something behind; 2 on bad usage or config.',
  '',
  'Examples:',
  '  mcp-reaper run -- xcodebuild test -scheme AIAgentPM',
  '  mcp-reaper run --dir /tmp/uc003 --name mcp-server-pm --name rest-server-pm -- ./integration.sh',
].join('\n');

export const runCommand: CommandModule = {
  name: 'run',
  description: 'sweep, run a command, and sweep again however it ends; exit with its status',
  configure(command) {
    addOptionFlags(command);
    addLiveRunsFlag(command);
    command
      .usage('[options] -- <command> [args...]')
      .argument('<command...>', 'the command to run and its arguments (not through a shell)')
      .addOption(new Option('--quiet', 'print only problems: nothing when both sweeps are clean'))
      // Flags after the command's name belong to the command: `run npm test --watch=false`.
      .passThroughOptions()
      .addHelpText('after', HELP_AFTER)
      // CommandModule.run() receives the flags only: hand it the arguments as one of them.
      .hook('preAction', (_hooked, actionCommand) => {
        actionCommand.setOptionValue(ARGV_KEY, actionCommand.processedArgs[0]);
      });
  },
  async run(ctx, flags) {
    const argv = flags[ARGV_KEY];
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === 'string')) {
      // Commander rejects a missing <command...> first; this keeps run() honest when called directly.
      ctx.io.stderr.write("mcp-reaper: run: no command given; usage: mcp-reaper run [options] -- <command> [args...]\n");
      return 2;
    }
    const [file, ...args] = argv as [string, ...string[]];
    const quiet = Boolean(flags.quiet);
    const config = await resolveFor(ctx, flags);
    const { values } = config;
    const options = sweepOptionsOf(values, ctx.io.env, { includeLiveRuns: flags.includeLiveRuns === true });
    debug('run %o with %o', argv, options);
    const shown = showCommand(argv as string[]);

    // A dry run changes nothing, so it starts no run (no record, no watchdog): it only reports.
    let run: Run | undefined;
    let before: SweepReport;
    if (options.dryRun) {
      before = await sweep(options);
    } else {
      const { dryRun: _dryRun, ...runOptions } = options;
      run = await startRun(
        { ...runOptions, watchdog: values.watchdog ?? DEFAULT_WATCHDOG, stack: values.stack, ...(values.stackReuse && { stackReuse: values.stackReuse }) },
        { kind: 'run', configFile: config.configFile },
      );
      before = run.before;
    }
    report(ctx, before, `before ${shown}`, options, quiet);
    if (run && !quiet) writeLines(ctx.io.stderr, run.notices);
    if (run?.stack && !quiet) writeLines(ctx.io.stderr, [stackUpLine(run.stack)]);
    if (options.dryRun && values.stack && !quiet) writeLines(ctx.io.stderr, ['mcp-reaper: dry run: the stack is not started']);

    const env = run ? { ...ctx.io.env, [RUN_ENV]: run.runId, [OWNER_ENV]: run.runId, ...run.stackEnv } : ctx.io.env;
    const child = startChild(ctx, file, args, env);
    const outcome = await child.outcome;
    debug('command %s ended: %o', shown, outcome);
    if (outcome.kind === 'spawn-error') ctx.io.stderr.write(`mcp-reaper: ${spawnErrorMessage(file, outcome.error)}\n`);

    // However the command ended, clean up after it. Its piped output (if any) is drained first so
    // our report comes after it; what a leftover holds open is given up after the sweep.
    // The sweep is this run's own (MCP_REAPER_RUN is set in this process), so the daemons the command
    // left are leftovers to it, whatever their tag; other live runs' are kept.
    // The stack goes first, in its own order (dependents first), before the sweep could take its
    // services for leftovers of this run.
    let after: SweepReport;
    let stackStop: Verdict = { lines: [] };
    // A service that died while the command ran fails the run, whatever the command said.
    const deaths = deathVerdict(run ? await run.deaths() : []);
    try {
      stackStop = stackStopVerdict(await run?.stack?.stop());
      after = await sweep(options);
    } finally {
      await run?.end(); // its record, its watchdog, the environment; its scoped sweep finds nothing left
      await child.drain();
    }
    report(ctx, after, `after ${shown}`, options, quiet);
    if (stackStop.error) writeLines(ctx.io.stderr, [stackStop.error.message]);
    if (deaths.error) writeLines(ctx.io.stderr, [deaths.error.message]);

    const status = exitStatus(outcome);
    // A leftover that could not be cleaned up, or a service that died, is a failure even when the command succeeded.
    return status === 0 && (!after.ok || stackStop.error || deaths.error) ? 1 : status;
  },
};

/** The report of one sweep on stderr: its summary when it did something, its problems when not ok. */
function report(ctx: Context, report: SweepReport, when: string, options: { dir: string; names: readonly string[] }, quiet: boolean): void {
  const width = ctx.io.stderr.isTTY && ctx.io.stderr.columns ? ctx.io.stderr.columns : 100;
  const formatted = formatReport(report, { colors: ctx.stderrColors, width, scanned: { dir: options.dir, names: options.names } });
  const didSomething = report.processes.length > 0 || report.files.some((f) => f.action !== 'absent');
  const lines: string[] = [];
  if (!quiet && didSomething) {
    // formatReport's last lines are the summary and, for a dry run, the dry-run notice.
    const summary = formatted.stdout[formatted.stdout.length - (report.dryRun ? 2 : 1)] ?? '';
    lines.push(`mcp-reaper: swept ${when}: ${summary}${report.dryRun ? ' (dry run: nothing was changed)' : ''}`);
  }
  if (!report.ok) {
    lines.push(...formatted.problems);
    // The verdict says which of the two sweeps it is about.
    if (formatted.verdict) lines.push(formatted.verdict.replace(/^mcp-reaper: /, `mcp-reaper: swept ${when}: `));
  }
  writeLines(ctx.io.stderr, lines);
}

interface StartedChild {
  /** Settles when the command exited or could not be started; never rejects. */
  outcome: Promise<Outcome>;
  /** Waits (at most DRAIN_MS) for the rest of the piped output, then lets go of the pipes. */
  drain(): Promise<void>;
}

/**
 * Spawns the command without a shell. Each of stdout and stderr is inherited when the CLI writes to
 * the real one, and piped into `ctx.io` otherwise (tests, embedding), so that all output still goes
 * through `io`. Signal handlers exist only while the child lives, as in Playwright's process launcher.
 */
function startChild(ctx: Context, file: string, args: string[], env: NodeJS.ProcessEnv): StartedChild {
  const { io } = ctx;
  const stdio: StdioOptions = [
    'inherit',
    io.stdout === process.stdout ? 'inherit' : 'pipe',
    io.stderr === process.stderr ? 'inherit' : 'pipe',
  ];
  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd: io.cwd, env, stdio });
  } catch (error) {
    // Synchronous failures are bad arguments (e.g. a NUL byte); report them like a failed exec.
    return { outcome: Promise.resolve({ kind: 'spawn-error', error: error as NodeJS.ErrnoException }), drain: async () => {} };
  }

  const pipes = [pipeTo(child.stdout, io.stdout), pipeTo(child.stderr, io.stderr)].filter((p) => p !== undefined);

  // Installed in the same tick as spawn(), so no signal can slip between the two.
  const forward = (signal: NodeJS.Signals): void => {
    debug('forwarding %s to %d', signal, child.pid);
    // After the child's exit ChildProcess.kill() is a no-op, so a reused pid is never hit.
    child.kill(signal);
  };
  const removeHandlers = (): void => {
    for (const signal of FORWARDED_SIGNALS) process.removeListener(signal, forward);
  };
  if (child.pid !== undefined) {
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  }

  const outcome = new Promise<Outcome>((resolve) => {
    child.once('exit', (code, signal) => {
      removeHandlers();
      resolve(signal ? { kind: 'signal', signal } : { kind: 'exit', code: code ?? 1 });
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'error' without a pid is a failed spawn (no 'exit' follows); after a spawn it is a failed
      // kill(), which changes nothing about how we wait.
      debug('command error: %s', error.message);
      if (child.pid === undefined) {
        removeHandlers();
        resolve({ kind: 'spawn-error', error: asShellSees(error, file, env) });
      }
    });
  });

  const drain = async (): Promise<void> => {
    if (pipes.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pipes.map((p) => p.ended)),
      new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS))),
    ]);
    clearTimeout(timer);
    for (const p of pipes) p.stream.destroy();
  };
  return { outcome, drain };
}

function pipeTo(stream: Readable | null, out: OutputStream): { stream: Readable; ended: Promise<void> } | undefined {
  if (!stream) return undefined;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => out.write(chunk));
  const ended = new Promise<void>((resolve) => {
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
  return { stream, ended };
}

/** The status a shell would give: the exit code, 128+N for signal N, 127/126 when it could not start. */
function exitStatus(outcome: Outcome): number {
  switch (outcome.kind) {
    case 'exit':
      return outcome.code;
    case 'signal':
      return 128 + (constants.signals[outcome.signal] ?? 0);
    case 'spawn-error':
      return outcome.error.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
  }
}

function spawnErrorMessage(file: string, error: NodeJS.ErrnoException): string {
  const quoted = JSON.stringify(file);
  switch (error.code) {
    case 'ENOENT':
      return `cannot run ${quoted}: command not found (ENOENT); check the name and PATH (there is no shell: use sh -c '…' for shell syntax)`;
    case 'EACCES':
      return `cannot run ${quoted}: permission denied (EACCES); is it an executable file (chmod +x)?`;
    default:
      return `cannot run ${quoted}: ${error.message}`;
  }
}

/** The command for messages: at most a few arguments, quoted when they need it. */
function showCommand(argv: readonly string[]): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  const text = argv.map(quote).join(' ').replace(/\s+/g, ' ');
  return text.length <= 60 ? `\`${text}\`` : `\`${text.slice(0, 59)}…\``;
}
