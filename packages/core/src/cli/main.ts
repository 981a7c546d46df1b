import { readFileSync } from 'node:fs';
import { debuglog } from 'node:util';
import { Command, CommanderError } from 'commander';
import { isUsageError, ReaperError } from '../errors.js';
import type { CliIo, CommandModule, CommonFlags, Context } from './command.js';
import { COMMANDS } from './commands/index.js';
import { colorsFor } from './colors.js';

const debug = debuglog('mcp-reaper');

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

function buildProgram(ctx: Context, select: (module: CommandModule, flags: CommonFlags) => void): Command {
  const { io } = ctx;
  const program = new Command('mcp-reaper');
  // Settings first: commander copies them into subcommands when they are created.
  program
    .description('Find and stop leftover mcp-server-pm test daemons, and remove their stale mcp.sock and daemon.pid.')
    .version(readVersion())
    .exitOverride()
    // Program flags only before the subcommand, so that `run` can pass everything after its
    // command's name through untouched (passThroughOptions needs this on the parent).
    .enablePositionalOptions()
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
        'Exit codes: 0 clean; 1 something survived, respawned or was skipped for safety; 2 bad usage or config.',
        "('mcp-reaper run' exits with its command's status; see 'mcp-reaper <command> --help'.)",
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
    // Commander passes a command's declared arguments first, then opts, then the command itself.
    command.action((...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      select(module, cmd.opts<CommonFlags>());
    });
  }
  return program;
}

export type { CliIo, OutputStream } from './command.js';

/** Runs the CLI and returns the exit code. Never calls process.exit; writes only through `io`. */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const fullIo: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
  };
  const ctx: Context = { io: fullIo, colors: colorsFor(fullIo.stdout, fullIo.env), stderrColors: colorsFor(fullIo.stderr, fullIo.env) };
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
