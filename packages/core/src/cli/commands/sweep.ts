import { Option } from 'commander';
import { sweep } from '../../sweep/sweep.js';
import { addLiveRunsFlag, addOptionFlags, resolveFor, sweepOptionsOf, writeLines, type CommandModule } from '../command.js';
import { formatReport } from '../format-report.js';

export const sweepCommand: CommandModule = {
  name: 'sweep',
  description: 'stop leftover daemons and remove their stale files (the default command)',
  isDefault: true,
  configure(command) {
    addOptionFlags(command);
    addLiveRunsFlag(command);
    command
      .option('--json', 'print the report as JSON on stdout')
      .addOption(new Option('--quiet', 'print nothing when all is well; only problems, on stderr').conflicts('json'));
  },
  async run(ctx, flags) {
    const { values } = await resolveFor(ctx, flags);
    const options = sweepOptionsOf(values, ctx.io.env, { includeLiveRuns: flags.includeLiveRuns === true });
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
