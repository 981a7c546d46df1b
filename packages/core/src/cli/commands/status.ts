import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { healthCheck, type HealthCheckResult, type HealthReport } from '../../health/health-check.js';
import { MAX_WAIT_MS } from '../../config/rules.js';
import { REPORT_VERSION } from '../../report.js';
import { sweep } from '../../sweep/sweep.js';
import { addLiveRunsFlag, addOptionFlags, resolveFor, sweepOptionsOf, writeLines, type CommandModule, type Context } from '../command.js';
import { formatReport, type Colors } from '../format-report.js';

function parseTimeout(value: string): number {
  const ms = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || ms < 1 || ms > MAX_WAIT_MS) {
    throw new InvalidArgumentError(`Expected a whole number of milliseconds from 1 to ${MAX_WAIT_MS}, e.g. --timeout 500.`);
  }
  return ms;
}

const NAME_WIDTH = Math.max(...(['pid-file', 'process', 'socket', 'rpc'] as const).map((n) => n.length));

function checkLine(check: HealthCheckResult, c: Colors): string {
  // Words rather than ✓/✗: they survive any terminal and grep well in CI logs.
  const verdict = check.ok ? c.green('ok  ') : c.red('FAIL');
  const latency = check.latencyMs !== undefined ? ` in ${check.latencyMs} ms` : '';
  return `  ${verdict} ${check.name.padEnd(NAME_WIDTH)}  ${check.reason}${latency}`;
}

function verdictText(report: HealthReport): string {
  const ms = `${Math.round(report.durationMs)} ms`;
  if (report.healthy) return `healthy: all ${report.checks.length} checks passed in ${ms}`;
  const failed = report.checks.filter((check) => !check.ok).map((check) => check.name);
  return `unhealthy: ${failed.length} of ${report.checks.length} checks failed (${failed.join(', ')}) in ${ms}`;
}

export const statusCommand: CommandModule = {
  name: 'status',
  description: "check the daemon's health: pid file, process, socket, JSON-RPC reply",
  configure(command) {
    addOptionFlags(command);
    addLiveRunsFlag(command);
    command
      .option('--socket <path>', "the daemon's socket (default: mcp.sock in the state directory)")
      .option('--timeout <ms>', 'milliseconds to wait for the JSON-RPC reply (default: 1000)', parseTimeout)
      .option('--json', 'print the health report as JSON on stdout (with --fix and a sweep, under "fix")')
      .option('--fix', 'when unhealthy, sweep: stop leftover daemons and remove stale files (exit code stays 1)')
      .option('--verbose', "with --fix: the evidence behind each of the sweep's decisions")
      .addHelpText(
        'after',
        [
          '',
          `--json prints { version: ${REPORT_VERSION}, healthy, pid, socketPath, checks, durationMs, fix? }, described by`,
          '$defs/statusReport in @mcp-reaper/core/report.schema.json.',
          '',
          'Exit codes: 0 healthy; 1 unhealthy (even after --fix: the daemon must be started again); 2 bad usage or config.',
          '',
          'Examples:',
          '  mcp-reaper status                         is the daemon up and answering?',
          '  mcp-reaper status --fix || mcp-server-pm daemon   clean up and start it again when it is not',
        ].join('\n'),
      );
  },
  async run(ctx: Context, flags) {
    const { values } = await resolveFor(ctx, flags);
    const options = sweepOptionsOf(values, ctx.io.env, { includeLiveRuns: flags.includeLiveRuns === true });
    const socket = typeof flags.socket === 'string' ? flags.socket : undefined;
    const timeout = typeof flags.timeout === 'number' ? flags.timeout : undefined;
    const report = await healthCheck({
      dir: options.dir,
      names: options.names,
      pidFile: options.pidFile,
      // Relative to where the command was run, which in-process callers pass as io.cwd.
      ...(socket !== undefined && { socketPath: path.resolve(ctx.io.cwd, socket) }),
      ...(timeout !== undefined && { timeoutMs: timeout }),
    });
    // A sweep stops whatever matching daemon it finds; on a healthy one it would only do harm.
    const fix = flags.fix && !report.healthy ? await sweep(options) : undefined;
    const code = report.healthy ? 0 : 1;

    if (flags.json) {
      ctx.io.stdout.write(`${JSON.stringify({ version: REPORT_VERSION, ...report, ...(fix && { fix }) }, null, 2)}\n`);
      return code;
    }
    const c = ctx.colors;
    writeLines(ctx.io.stdout, report.checks.map((check) => checkLine(check, c)));
    if (report.healthy) {
      writeLines(ctx.io.stdout, [c.green(verdictText(report))]);
      return code;
    }
    writeLines(ctx.io.stderr, [`mcp-reaper: ${ctx.stderrColors.red(verdictText(report))}`]);
    if (!fix) {
      if (!flags.fix) writeLines(ctx.io.stderr, ['Run `mcp-reaper status --fix` (or `mcp-reaper`) to clean up, then start the daemon again.']);
      return code;
    }

    const width = ctx.io.stdout.isTTY && ctx.io.stdout.columns ? ctx.io.stdout.columns : 100;
    const formatted = formatReport(fix, { colors: c, width, scanned: { dir: options.dir, names: options.names }, verbose: flags.verbose === true });
    writeLines(ctx.io.stdout, ['--fix: swept', ...formatted.stdout]);
    if (fix.ok) {
      const what = fix.dryRun ? 'the dry run above shows what a sweep would clean up' : 'the sweep cleaned up';
      writeLines(ctx.io.stderr, [`mcp-reaper: ${what}; start the daemon again`]);
    } else {
      writeLines(ctx.io.stderr, [formatted.verdict ?? 'mcp-reaper: the sweep was not clean; see the reasons above', 'mcp-reaper: --fix did not clean up everything']);
    }
    return code;
  },
};
