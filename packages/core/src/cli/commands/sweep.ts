import { Option } from 'commander';
import { REPORT_VERSION, type SweepReport } from '../../report.js';
import { sweep } from '../../sweep/sweep.js';
import { addLiveRunsFlag, addOptionFlags, resolveFor, sweepOptionsOf, writeLines, type CommandModule } from '../command.js';
import { formatReport } from '../format-report.js';
import { progressLine } from '../progress-line.js';

const HELP_AFTER = [
  '',
  'Prints one line per process and file: the action (terminated, killed, survived, kept, skipped,',
  'respawned; removed, kept, skipped), the pid and signal, the command and the reason, then a summary',
  'with counts and the time taken. On a terminal a sweep that waits more than a second for stubborn',
  'processes shows how many it waits for. --verbose adds the evidence behind each decision: the',
  'name that matched and how, the parent, the owner tag and what it meant. --json prints the report',
  `as JSON (version ${REPORT_VERSION}), described by @mcp-reaper/core/report.schema.json.`,
  '',
  'Exit codes: 0 clean; 1 something survived, respawned or was skipped for safety; 2 bad usage or config.',
  '',
  'Examples:',
  '  mcp-reaper sweep --dry-run --verbose          what would be stopped, and why',
  '  mcp-reaper sweep --dir /tmp/state --grace 2000 --json > report.json',
].join('\n');

export const sweepCommand: CommandModule = {
  name: 'sweep',
  description: 'stop leftover daemons and remove their stale files (the default command)',
  isDefault: true,
  configure(command) {
    addOptionFlags(command);
    addLiveRunsFlag(command);
    command
      .option('--json', 'print the report as JSON on stdout')
      .addOption(new Option('--quiet', 'print nothing when all is well; only problems, on stderr').conflicts(['json', 'verbose']))
      .option('--verbose', 'under each process, the evidence behind its action (name match, parent, owner tag)')
      .addHelpText('after', HELP_AFTER);
  },
  async run(ctx, flags) {
    const { values } = await resolveFor(ctx, flags);
    // A progress line only for a person watching a terminal: never into JSON, a quiet run, or a log.
    const progress = !flags.json && !flags.quiet && ctx.io.stderr.isTTY ? progressLine(ctx.io.stderr, ctx.stderrColors) : undefined;
    const options = sweepOptionsOf(values, ctx.io.env, {
      includeLiveRuns: flags.includeLiveRuns === true,
      ...(progress && { onWait: progress.onWait }),
    });
    let report: SweepReport;
    try {
      report = await sweep(options);
    } finally {
      progress?.done();
    }
    const code = report.ok ? 0 : 1;
    if (flags.json) {
      ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return code;
    }
    const width = ctx.io.stdout.isTTY && ctx.io.stdout.columns ? ctx.io.stdout.columns : 100;
    const formatted = formatReport(report, {
      colors: ctx.colors,
      width,
      scanned: { dir: options.dir, names: options.names },
      verbose: flags.verbose === true,
    });
    if (flags.quiet) {
      writeLines(ctx.io.stderr, formatted.problems);
    } else {
      writeLines(ctx.io.stdout, formatted.stdout);
    }
    if (formatted.verdict) writeLines(ctx.io.stderr, [formatted.verdict]);
    return code;
  },
};
