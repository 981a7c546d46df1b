import os from 'node:os';
import { Option } from 'commander';
import {
  DEFAULT_DRY_RUN,
  DEFAULT_FILES,
  DEFAULT_GRACE_MS,
  DEFAULT_KILL_WAIT_MS,
  DEFAULT_NAMES,
  DEFAULT_ON_LEAK,
  DEFAULT_PID_FILE,
  DEFAULT_RESPAWN_WINDOW_MS,
  DEFAULT_STACK_REUSE,
  DEFAULT_WATCHDOG,
  SCOPED_RESPAWN_WINDOW_MS,
} from '../../config/defaults.js';
import { describeProvenance, type Provenance, type UserConfig } from '../../config/layers.js';
import type { ResolvedConfig } from '../../config/resolve-config.js';
import { runConfigOf } from '../../config/run-config.js';
import { CONFIG_KEYS, type ConfigKey } from '../../config/rules.js';
import { RUNNER_NAMES, RUNNERS, type RunnerName } from '../../config/runners.js';
import { REPORT_VERSION } from '../../report.js';
import { defaultStateDir } from '../../state-dir.js';
import { addOptionFlags, resolveFor, writeLines, type CommandModule } from '../command.js';

/** Each key's value when nobody set it, as the CLI and a run apply it. */
function defaults(env: NodeJS.ProcessEnv): Required<UserConfig> {
  return {
    dir: defaultStateDir({ env, homedir: env.HOME || os.homedir() }),
    names: [...DEFAULT_NAMES],
    files: [...DEFAULT_FILES],
    pidFile: DEFAULT_PID_FILE,
    graceMs: DEFAULT_GRACE_MS,
    killWaitMs: DEFAULT_KILL_WAIT_MS,
    respawnWindowMs: DEFAULT_RESPAWN_WINDOW_MS,
    dryRun: DEFAULT_DRY_RUN,
    onLeak: DEFAULT_ON_LEAK,
    watchdog: DEFAULT_WATCHDOG,
    daemon: {},
    stack: {},
    stackReuse: DEFAULT_STACK_REUSE,
  };
}

function show(value: unknown, key?: string): string {
  if (key === 'stack') {
    const services = Object.keys(value as object);
    return services.length === 0 ? 'none' : `${services.length} service${services.length === 1 ? '' : 's'}: ${services.join(', ')}`;
  }
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** One line per key: its effective value and where it came from, with what the CLI or a run does with it. */
function lines(config: ResolvedConfig, env: NodeJS.ProcessEnv, runner: RunnerName | undefined): Array<[ConfigKey, string, string]> {
  const fallback = defaults(env);
  const rows: Array<[ConfigKey, string, string]> = [];
  for (const key of CONFIG_KEYS) {
    const set = config.values[key] !== undefined;
    const source: Provenance = config.sources[key] ?? { from: 'default' };
    let value = show(set ? config.values[key] : fallback[key], key);
    let note = describeProvenance(source);
    if (runner === undefined) {
      if (key === 'onLeak' || key === 'watchdog' || key === 'daemon') note += '; for test runs';
      if (key === 'stack') note += '; for test runs, `mcp-reaper run` and `mcp-reaper up`';
    } else {
      if (key === 'dryRun') note += '; ignored: a test run always stops what it finds';
      if (key === 'respawnWindowMs' && !set) value = `${DEFAULT_RESPAWN_WINDOW_MS} before the run, ${SCOPED_RESPAWN_WINDOW_MS} in leak checks`;
      if (key === 'daemon') value = show(runConfigOf(config).daemon);
    }
    rows.push([key, value, note]);
  }
  return rows;
}

export const configCommand: CommandModule = {
  name: 'config',
  description: 'print the resolved options and where each came from (flag, env, config file, default)',
  configure(command) {
    addOptionFlags(command);
    command
      .option('--json', `print as JSON: { version: ${REPORT_VERSION}, configFile, options, sources, run? }`)
      .addOption(new Option('--runner <name>', 'show what a test run of this runner uses (before its own settings)').choices(RUNNER_NAMES))
      .addHelpText(
        'after',
        [
          '',
          'Exit codes: 0 printed; 2 bad usage or config (every problem of every layer at once).',
          '',
          'Examples:',
          '  mcp-reaper config                         every key, its value, and where it came from',
          '  mcp-reaper config --runner vitest --json  what a Vitest run uses, as JSON',
        ].join('\n'),
      );
  },
  async run(ctx, flags) {
    const config = await resolveFor(ctx, flags);
    const runner = flags.runner as RunnerName | undefined;
    const rows = lines(config, ctx.io.env, runner);
    if (flags.json) {
      const fallback = defaults(ctx.io.env);
      const options = Object.fromEntries(CONFIG_KEYS.map((key) => [key, config.values[key] ?? fallback[key]]));
      const sources = Object.fromEntries(CONFIG_KEYS.map((key) => [key, config.sources[key] ?? { from: 'default' }]));
      // The config file is printed once, above: not again in the run's view.
      const run = runner && (({ configFile: _configFile, ...view }) => ({ runner, settings: RUNNERS[runner].settings, ...view }))(runConfigOf(config));
      ctx.io.stdout.write(`${JSON.stringify({ version: REPORT_VERSION, configFile: config.configFile, options, sources, ...(run && { run }) }, null, 2)}\n`);
      return 0;
    }
    const c = ctx.colors;
    const out = [`config file: ${config.configFile ?? `none (searched from ${ctx.io.cwd} upward)`}`];
    if (runner) out.push(`as ${RUNNERS[runner].label} sees it; its own settings, in ${RUNNERS[runner].settings}, go on top key by key`);
    const width = Math.max(...CONFIG_KEYS.map((k) => k.length));
    for (const [key, value, note] of rows) out.push(`  ${key.padEnd(width)}  ${value}  ${c.dim(`(${note})`)}`);
    writeLines(ctx.io.stdout, out);
    return 0;
  },
};
