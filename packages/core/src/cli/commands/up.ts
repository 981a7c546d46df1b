import { DEFAULT_WATCHDOG } from '../../config/defaults.js';
import { defaultProcessSource } from '../../processes/process-source.js';
import { startRun } from '../../run/start-run.js';
import { findReusableUp } from '../../run/stack-reuse.js';
import { beforeRunVerdict, combine, deathVerdict, stackStopVerdict, stackUpLine } from '../../run/verdict.js';
import { addLiveRunsFlag, addOptionFlags, resolveFor, sweepOptionsOf, writeLines, type CommandModule } from '../command.js';

/** What ends `up`: the terminal's Ctrl-C, a supervisor's SIGTERM, a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const HELP_AFTER = [
  '',
  'Starts the "stack" of the config (mcp-reaper.config.* or package.json "mcpReaper") as a run would:',
  'sweeps first (leftovers of its services too), starts each service once the services it depends on',
  'are ready, and holds them in the foreground until Ctrl-C, SIGTERM or SIGHUP, then stops them,',
  'dependents first, each verified. A watchdog stops them if mcp-reaper itself is killed. Each',
  "service's place is printed as the variables a test would get (MCP_REAPER_STACK_<NAME>_URL, …).",
  '',
  'Exit status: 0 when the stack came up and went down cleanly; 1 when a service did not start or',
  'could not be stopped whole; 2 on bad usage or config.',
  '',
  'Examples:',
  '  mcp-reaper up                       start the stack, Ctrl-C to stop it',
  '  mcp-reaper up --config ci.json      another config file',
].join('\n');

export const upCommand: CommandModule = {
  name: 'up',
  description: "start the config's stack and hold it until Ctrl-C; then stop it, verified",
  configure(command) {
    addOptionFlags(command);
    addLiveRunsFlag(command);
    command.addHelpText('after', HELP_AFTER);
  },
  async run(ctx, flags) {
    const config = await resolveFor(ctx, flags);
    const { values } = config;
    if (!values.stack) {
      const where = config.configFile ?? `a config file (none found from ${ctx.io.cwd} upward)`;
      ctx.io.stderr.write(`mcp-reaper: up: there is no stack to start: add a "stack" key to ${where}; see \`mcp-reaper up --help\`\n`);
      return 2;
    }
    const { dryRun: _dryRun, ...options } = sweepOptionsOf(values, ctx.io.env, { includeLiveRuns: flags.includeLiveRuns === true });
    // Installed before anything starts: a Ctrl-C during the start still stops what started.
    let stopRequested: (signal: NodeJS.Signals) => void = () => {};
    const stopped = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
    const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
    try {
      // One `up` per stack: a second would find the first's ports held (or start a twin on auto ports).
      const { reused } = await findReusableUp({ services: values.stack, configFile: config.configFile, mode: 'always', env: {}, source: defaultProcessSource() });
      if (reused) {
        const { record } = reused.up;
        ctx.io.stderr.write(`mcp-reaper: up: this stack is already up: run ${record.runId}, pid ${record.pid}, since ${record.startedAt}; stop it with Ctrl-C in its terminal (or \`kill ${record.pid}\`) first\n`);
        return 1;
      }
      const run = await startRun(
        { ...options, watchdog: values.watchdog ?? DEFAULT_WATCHDOG, stack: values.stack },
        // A service that dies while the stack is held is said at once, in the terminal that holds it.
        { kind: 'up', configFile: config.configFile, onServiceDeath: (message) => writeLines(ctx.io.stderr, [message]) },
      );
      writeLines(ctx.io.stderr, beforeRunVerdict(run.before).lines);
      const stack = run.stack!;
      writeLines(ctx.io.stdout, [
        stackUpLine(stack),
        ...Object.entries(stack.env).map(([name, value]) => `  ${name}=${value}`),
        `run ${run.runId}; Ctrl-C to stop`,
      ]);
      // Nothing else keeps Node alive while it holds (the services are unref'd children): a timer does.
      const hold = setInterval(() => {}, 1 << 30);
      const signal = await stopped.finally(() => clearInterval(hold));
      const end = await run.end();
      const verdict = combine(deathVerdict(end.deaths), stackStopVerdict(end.stack));
      writeLines(ctx.io.stderr, verdict.lines);
      if (verdict.error) {
        writeLines(ctx.io.stderr, [verdict.error.message]);
        return 1;
      }
      const services = end.stack?.services.length ?? 0;
      writeLines(ctx.io.stdout, [`mcp-reaper: ${signal}: stack down: ${services} service${services === 1 ? '' : 's'} stopped in ${Math.round(end.stack?.durationMs ?? 0)} ms`]);
      return 0;
    } finally {
      for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
    }
  },
};

