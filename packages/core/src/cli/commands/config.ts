import { USER_KEYS } from '../../options.js';
import { addOptionFlags, resolveFor, writeLines, type CommandModule } from '../command.js';
import { describeProvenance } from '../config.js';

export const configCommand: CommandModule = {
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
