import { readFileSync } from 'node:fs';
import { debuglog } from 'node:util';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { isUsageError, ReaperError } from '../errors.js';
import { USER_KEYS } from '../options.js';
import { sweep } from '../sweep.js';
import { describeProvenance, resolveCliOptions, type OptionFlags, type ResolvedCliOptions } from './config.js';
import { formatReport, type Colors } from './format-report.js';

const debug = debuglog('mcp-reaper');

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything the CLI touches outside itself, so tests can run main() in-process. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

interface Context {
  io: CliIo;
  colors: Colors;
}

/** The flags every command that resolves options shares. */
interface CommonFlags extends OptionFlags {
  config?: string;
  json?: boolean;
}

/**
 * One subcommand. New ones (`status`, `run -- cmd`) are a new object in COMMANDS; each may later move to
 * its own file under cli/commands/ without touching the parser.
 */
interface CommandModule {
  name: string;
  description: string;
  isDefault?: boolean;
  configure(command: Command): void;
  run(ctx: Context, flags: CommonFlags & Record<string, unknown>): Promise<number>;
}

function readVersion(): string {
  // ../../package.json is packages/core/package.json both from src/cli/main.ts and from dist/cli/main.js.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch (error) {
    debug('cannot read version: %s', error);
    return '0.0.0';
  }
}

function parseMs(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('Expected a whole number of milliseconds, e.g. --grace 1000.');
  return Number(value);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function addOptionFlags(command: Command): void {
  command
    .option('--dir <dir>', "state directory holding the files (default: the daemon's, e.g. ~/.local/share/AIAgentPM)")
    .option('--name <name>', 'executable name of the daemon; repeat for more (default: mcp-server-pm)', collect)
    .option('--file <name>', 'file inside the state directory to remove when stale; repeat for more (default: mcp.sock, daemon.pid)', collect)
    .option('--grace <ms>', 'milliseconds to wait after SIGTERM before SIGKILL (default: 500)', parseMs)
    .option('--dry-run', 'change nothing; report what would happen')
    .option('--no-dry-run', 'really act even when the environment or config file says dry run')
    .option('--config <file>', 'load this config file (.json/.js/.mjs/.cjs) instead of searching for one');
}

function resolveFor(ctx: Context, flags: CommonFlags): Promise<ResolvedCliOptions> {
  const { dir, name, file, grace, dryRun, config } = flags;
  return resolveCliOptions({
    cwd: ctx.io.cwd,
    env: ctx.io.env,
    flags: { dir, name, file, grace, dryRun },
    ...(config !== undefined ? { configFile: config } : {}),
  });
}

function writeLines(stream: OutputStream, lines: readonly string[]): void {
  if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
}

const sweepCommand: CommandModule = {
  name: 'sweep',
  description: 'stop leftover daemons and remove their stale files (the default command)',
  isDefault: true,
  configure(command) {
    addOptionFlags(command);
    command
      .option('--json', 'print the report as JSON on stdout')
      .addOption(new Option('--quiet', 'print nothing when all is well; only problems, on stderr').conflicts('json'));
  },
  async run(ctx, flags) {
    const { options } = await resolveFor(ctx, flags);
    debug('sweep %o', options);
    const report = await sweep(options);
    const code = report.ok ? 0 : 1;
    if (flags.json) {
      ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return code;
    }
    const width = ctx.io.stdout.isTTY && ctx.io.stdout.columns ? ctx.io.stdout.columns : 100;
    const formatted = formatReport(report, { colors: ctx.colors, width, scanned: { dir: options.dir, names: options.names } });
    if (flags.quiet) {
      writeLines(ctx.io.stderr, formatted.problems);
    } else {
      writeLines(ctx.io.stdout, formatted.stdout);
    }
    if (formatted.verdict) writeLines(ctx.io.stderr, [formatted.verdict]);
    return code;
  },
};

const configCommand: CommandModule = {
  name: 'config',
  description: 'print the resolved options and where each came from (flag, env, config file, default)',
  configure(command) {
    addOptionFlags(command);
    command.option('--json', 'print as JSON: { configFile, options, sources }');
  },
  async run(ctx, flags) {
    const resolved = await resolveFor(ctx, flags);
    if (flags.json) {
      ctx.io.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
      return 0;
    }
    const c = ctx.colors;
    const lines = [`config file: ${resolved.configFile ?? `none (searched from ${ctx.io.cwd} upward)`}`];
    const width = Math.max(...USER_KEYS.map((k) => k.length));
    for (const key of USER_KEYS) {
      const value = resolved.options[key];
      const shown = Array.isArray(value) ? value.join(', ') : String(value);
      lines.push(`  ${key.padEnd(width)}  ${shown}  ${c.dim(`(${describeProvenance(resolved.sources[key])})`)}`);
    }
    writeLines(ctx.io.stdout, lines);
    return 0;
  },
};

const COMMANDS: readonly CommandModule[] = [sweepCommand, configCommand];

/** picocolors decides for the real stdout; an injected stream (tests, embedding) is coloured only when forced. */
function colorsFor(io: CliIo): Colors {
  if (io.stdout === process.stdout) return pc.createColors(pc.isColorSupported);
  return pc.createColors(Boolean(io.env.FORCE_COLOR) && !io.env.NO_COLOR);
}

function buildProgram(ctx: Context, select: (module: CommandModule, flags: CommonFlags) => void): Command {
  const { io } = ctx;
  const program = new Command('mcp-reaper');
  // Settings first: commander copies them into subcommands when they are created.
  program
    .description('Find and stop leftover mcp-server-pm test daemons, and remove their stale mcp.sock and daemon.pid.')
    .version(readVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(`mcp-reaper: ${s.replace(/^error: /, '')}`),
    })
    .showHelpAfterError("Run 'mcp-reaper --help' (or 'mcp-reaper <command> --help') to see the commands and flags.")
    .addHelpText(
      'after',
      [
        '',
        'Options come from flags, then MCP_REAPER_* environment variables, then a config file',
        '(package.json "mcpReaper", mcp-reaper.config.{json,js,mjs,cjs}), then defaults;',
        "'mcp-reaper config' shows the result and where each value came from.",
        '',
        'Exit codes: 0 clean, 1 something survived or was skipped for safety, 2 bad usage or config.',
        '',
        'Examples:',
        '  mcp-reaper --dry-run                 show what would be stopped and removed',
        '  mcp-reaper --dir /tmp/state --json   sweep a test state directory, report as JSON',
        '  mcp-reaper sweep --help              all sweep flags',
      ].join('\n'),
    );

  for (const module of COMMANDS) {
    const command = program.command(module.name, module.isDefault ? { isDefault: true } : {}).description(module.description);
    module.configure(command);
    command.action((_opts: unknown, cmd: Command) => {
      select(module, cmd.opts<CommonFlags>());
    });
  }
  return program;
}

/** Runs the CLI and returns the exit code. Never calls process.exit; writes only through `io`. */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const fullIo: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
  };
  const ctx: Context = { io: fullIo, colors: colorsFor(fullIo) };
  debug('argv %o cwd %s', argv, fullIo.cwd);

  let selected: { module: CommandModule; flags: CommonFlags } | undefined;
  try {
    const program = buildProgram(ctx, (module, flags) => {
      selected = { module, flags };
    });
    await program.parseAsync([...argv], { from: 'user' });
    if (!selected) return 0;
    return await selected.module.run(ctx, selected.flags as CommonFlags & Record<string, unknown>);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help/version); only the code is left to map.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isUsageError(error)) {
      fullIo.stderr.write(`mcp-reaper: ${error.message}\n`);
      return 2;
    }
    const showStack = (fullIo.env.NODE_DEBUG ?? '').split(/[\s,]+/).some((name) => name === 'mcp-reaper' || name === '*');
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ReaperError) {
      fullIo.stderr.write(`mcp-reaper: ${message}\n`);
    } else {
      fullIo.stderr.write(`mcp-reaper: internal error: ${message}\nSet NODE_DEBUG=mcp-reaper for the stack trace, and please report it.\n`);
    }
    if (showStack && error instanceof Error && error.stack) fullIo.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
