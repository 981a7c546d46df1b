import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_NAMES } from '../config/defaults.js';
import { mergeLayers, settingsLayer, type Layer, type UserConfig } from '../config/layers.js';
import { resolveConfig, type ResolvedConfig } from '../config/resolve-config.js';
import type { ConfigKey } from '../config/rules.js';
import { defaultStateDir } from '../state-dir.js';
import type { SweepOptions } from '../sweep/sweep-options.js';
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
  /** For what goes to stdout, and to stderr: each is coloured only when it is a terminal (see colors.ts). */
  colors: Colors;
  stderrColors: Colors;
}

/** The option flags as commander hands them over (undefined when not given). */
export interface CommonFlags {
  dir?: string;
  name?: string[];
  file?: string[];
  grace?: number;
  respawnWindow?: number;
  dryRun?: boolean;
  config?: string;
  json?: boolean;
  verbose?: boolean;
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

/** For the commands that sweep: a live run's daemons are kept unless the user says otherwise. */
export function addLiveRunsFlag(command: Command): void {
  command.option('--include-live-runs', 'also stop the daemons of other runs that are still live (kept by default)');
}

/** Each flag: the config key it sets and how a message shows it. */
const FLAGS: ReadonlyArray<{ flag: keyof CommonFlags; key: ConfigKey; shown: string }> = [
  { flag: 'dir', key: 'dir', shown: '--dir' },
  { flag: 'name', key: 'names', shown: '--name' },
  { flag: 'file', key: 'files', shown: '--file' },
  { flag: 'grace', key: 'graceMs', shown: '--grace' },
  { flag: 'respawnWindow', key: 'respawnWindowMs', shown: '--respawn-window' },
  { flag: 'dryRun', key: 'dryRun', shown: '--dry-run' },
];

/**
 * The flags as the top layer of the configuration: one small layer per flag, so that each problem
 * names the flag as it was typed (value syntax, e.g. `--grace abc`, was already refused by commander).
 */
function flagLayer(flags: CommonFlags, cwd: string): Layer {
  const layers: Layer[] = [];
  for (const { flag, key, shown } of FLAGS) {
    const value = flags[flag];
    if (value === undefined) continue;
    const typed = key === 'dryRun' && value === false ? '--no-dry-run' : shown;
    const where = Array.isArray(value) ? value.map((v) => `${typed} ${JSON.stringify(v)}`).join(' ') : typeof value === 'boolean' ? typed : `${typed} ${JSON.stringify(value)}`;
    layers.push(settingsLayer({ [key]: value }, { where, baseDir: cwd, provenance: () => ({ from: 'flag', flag: typed }) }));
  }
  return { ...mergeLayers(layers), problems: layers.flatMap((layer) => layer.problems) };
}

/** The configuration as this command sees it: the config file, the environment, then the flags. */
export function resolveFor(ctx: Context, flags: CommonFlags): Promise<ResolvedConfig> {
  return resolveConfig({
    cwd: ctx.io.cwd,
    env: ctx.io.env,
    top: flagLayer(flags, ctx.io.cwd),
    ...(flags.config !== undefined && { configFile: flags.config }),
  });
}

/**
 * The options of the CLI's sweeps. `dir` and `names` are settled here because the report names them;
 * the default dir follows the environment the CLI was given (`io.env`), not the process's.
 */
export function sweepOptionsOf(
  values: UserConfig,
  env: NodeJS.ProcessEnv,
  extra: Pick<SweepOptions, 'includeLiveRuns' | 'onWait'> = {},
): SweepOptions & { dir: string; names: string[] } {
  return {
    dir: values.dir ?? defaultStateDir({ env, homedir: env.HOME || os.homedir() }),
    names: values.names ?? [...DEFAULT_NAMES],
    files: values.files,
    pidFile: values.pidFile,
    graceMs: values.graceMs,
    killWaitMs: values.killWaitMs,
    respawnWindowMs: values.respawnWindowMs,
    dryRun: values.dryRun,
    ...extra,
  };
}

export function writeLines(stream: OutputStream, lines: readonly string[]): void {
  if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
}
