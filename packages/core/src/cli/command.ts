import { InvalidArgumentError, type Command } from 'commander';
import { resolveCliOptions, type OptionFlags, type ResolvedCliOptions } from './config.js';
import type { Colors } from './format-report.js';

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

export interface Context {
  io: CliIo;
  colors: Colors;
}

/** The flags every command that resolves options shares. */
export interface CommonFlags extends OptionFlags {
  config?: string;
  json?: boolean;
}

/** One subcommand: a file under cli/commands/ and one entry in cli/commands/index.ts. */
export interface CommandModule {
  name: string;
  description: string;
  isDefault?: boolean;
  configure(command: Command): void;
  run(ctx: Context, flags: CommonFlags & Record<string, unknown>): Promise<number>;
}

export function parseMs(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('Expected a whole number of milliseconds, e.g. --grace 1000.');
  return Number(value);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addOptionFlags(command: Command): void {
  command
    .option('--dir <dir>', "state directory holding the files (default: the daemon's, e.g. ~/.local/share/AIAgentPM)")
    .option('--name <name>', 'executable name of the daemon; repeat for more (default: mcp-server-pm)', collect)
    .option('--file <name>', 'file inside the state directory to remove when stale; repeat for more (default: mcp.sock, daemon.pid)', collect)
    .option('--grace <ms>', 'milliseconds to wait after SIGTERM before SIGKILL (default: 500)', parseMs)
    .option('--respawn-window <ms>', 'milliseconds after the first signal to watch for a daemon a supervisor restarts; 0: off (default: 300)', parseMs)
    .option('--dry-run', 'change nothing; report what would happen')
    .option('--no-dry-run', 'really act even when the environment or config file says dry run')
    .option('--config <file>', 'load this config file (.json/.js/.mjs/.cjs) instead of searching for one');
}

export function resolveFor(ctx: Context, flags: CommonFlags): Promise<ResolvedCliOptions> {
  const { dir, name, file, grace, respawnWindow, dryRun, config } = flags;
  return resolveCliOptions({
    cwd: ctx.io.cwd,
    env: ctx.io.env,
    flags: { dir, name, file, grace, respawnWindow, dryRun },
    ...(config !== undefined ? { configFile: config } : {}),
  });
}

export function writeLines(stream: OutputStream, lines: readonly string[]): void {
  if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
}
