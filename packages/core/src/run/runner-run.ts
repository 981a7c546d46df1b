// What the runner adapters call, so that Jest, Vitest and Playwright resolve the same configuration,
// start and end a run, check each file's leaks and say what happened in the same way. An adapter
// only says where its runner keeps its settings and how it prints; the rest is here.
import { OWNER_ENV, RUN_ENV } from '../config/names.js';
import { settingsLayer, type Layer } from '../config/layers.js';
import { resolveWithBase, withTop, type BaseConfig } from '../config/resolve-config.js';
import { runConfigOf, type RunConfig } from '../config/run-config.js';
import { invalidOptions } from '../config/rules.js';
import { RUNNERS, type RunnerName } from '../config/runners.js';
import { ReaperError } from '../errors.js';
import { checkLeaks } from './check-leaks.js';
import { ownerTag } from '../processes/owner-tag.js';
import { readRunRecord } from '../registry/runs.js';
import { setEnv } from './set-env.js';
import { startRun, type Run } from './start-run.js';
import { beforeRunVerdict, combine, deathVerdict, leakVerdict, PREFIX, stackStopVerdict, stackUpLine, type Verdict } from './verdict.js';

/** What a run hands to the code that runs in its workers (Vitest provides it; Jest and Playwright read it from the registry). */
export interface RunHandoff {
  runId: string;
  runner: RunnerName;
  /** The runner's root, as the global setup had it: test file labels and relative settings are relative to it. */
  root: string;
  /** The config file and environment as the run resolved them: a worker puts its runner's settings on top, and reads no file. */
  base: BaseConfig;
}

export interface RunnerSettings {
  runner: RunnerName;
  /** The runner's own settings for mcp-reaper (e.g. Jest's `testEnvironmentOptions.mcpReaper`). */
  settings?: unknown;
  /** The runner's root: where the config file search starts, and what relative paths in `settings` are relative to. */
  root: string;
}

/** Where a worker's settings sit: the run's root unless the worker says otherwise. */
type WorkerSettings = Omit<RunnerSettings, 'root'> & { root?: string };

/** A run a runner's global setup started. */
export interface RunnerRun {
  run: Run;
  config: RunConfig;
  handoff: RunHandoff;
  /** What to print now, in the runner's way: settings the run ignores, what the sweep before it did. Empty when there is nothing to say. */
  notices: string[];
  /** Ends the run (see `Run.end()`) and judges what it left under `onLeak`. Every call returns the same promise. */
  end(): Promise<Verdict>;
  /**
   * Between the reruns of a watch mode that keeps the run (and its stack) up: stops what the files of
   * worker slots `slots` left (tags `<run>/w<slot>/…`), judged under `onLeak`, and names a stack
   * service that died. The stack itself is left alone.
   */
  checkRerun(slots: ReadonlyArray<string | number>): Promise<Verdict>;
}

function settingsOf(input: RunnerSettings): Layer {
  const where = RUNNERS[input.runner].settings;
  return settingsLayer(input.settings, { where, baseDir: input.root, provenance: () => ({ from: 'settings', where }) });
}

/**
 * A runner's global setup: resolves the configuration once (config file, `MCP_REAPER_*`, then the
 * runner's settings; every problem in one `EINVALIDOPTION` error), then starts the run (`startRun()`):
 * the sweep before it, the run's tag, the watchdog, its record as a live run.
 */
export async function startRunnerRun(
  input: RunnerSettings & {
    env?: NodeJS.ProcessEnv;
    /** The adapter's own settings' problems against the resolved config (Playwright's `baseURLFrom`): any, and nothing starts. */
    check?: (config: RunConfig) => readonly string[];
  },
): Promise<RunnerRun> {
  const { base, config: resolved } = await resolveWithBase({ cwd: input.root, ...(input.env && { env: input.env }), top: settingsOf(input) });
  const config = runConfigOf(resolved);
  const problems = input.check?.(config) ?? [];
  if (problems.length > 0) throw invalidOptions('configuration', [...problems]);
  const run = await startRun(
    { ...config.sweep, watchdog: config.watchdog, stack: config.stack, stackReuse: config.stackReuse },
    { kind: input.runner, root: input.root, base, configFile: config.configFile },
  );
  let ending: Promise<Verdict> | undefined;
  return {
    run,
    config,
    handoff: { runId: run.runId, runner: input.runner, root: input.root, base },
    notices: [...config.ignored.map((line) => `${PREFIX}${line}`), ...beforeRunVerdict(run.before).lines, ...run.notices, ...(run.stack ? [stackUpLine(run.stack)] : [])],
    async checkRerun(slots) {
      const verdicts: Verdict[] = [deathVerdict(await run.deaths())];
      for (const slot of slots) {
        verdicts.push((await checkLeaks({ ...config.sweep, owner: ownerTag(run.runId, `w${slot}`), onLeak: config.onLeak, label: 'the run' })).verdict);
      }
      return combine(...verdicts);
    },
    end() {
      ending ??= run
        .end()
        .then((report) => combine(deathVerdict(report.deaths), stackStopVerdict([report.stack, ...report.workerStacks]), leakVerdict(report, { onLeak: config.onLeak, label: 'the run' })));
      return ending;
    },
  };
}

// A run's record does not change while it runs: a worker reads it once, not once per test file.
const handoffs = new Map<string, RunHandoff>();

/** The handoff of the run this process belongs to (`MCP_REAPER_RUN`), when `runner`'s global setup started it. */
function handoffFromRegistry(runner: RunnerName): RunHandoff | undefined {
  const runId = process.env[RUN_ENV];
  if (runId === undefined) return undefined;
  const known = handoffs.get(runId);
  if (known) return known.runner === runner ? known : undefined;
  const record = readRunRecord(runId);
  if (!record || record.kind !== runner || !record.base || !record.root) return undefined;
  const handoff: RunHandoff = { runId, runner, root: record.root, base: record.base };
  handoffs.set(runId, handoff);
  return handoff;
}

/** A run as the code in a worker sees it. */
export interface JoinedRun {
  runId: string;
  /** The runner's root as the run's global setup had it. */
  root: string;
  config: RunConfig;
}

/**
 * The run a test file (or a worker) belongs to, with the runner's settings as the file sees them on
 * top of the run's config file and environment. Without the runner's global setup there is no run:
 * then this throws one `EINVALIDOPTION` error naming the line to add, the same in every runner.
 */
export function joinRun(input: WorkerSettings & { handoff?: RunHandoff | undefined }): JoinedRun {
  const handoff = input.handoff ?? handoffFromRegistry(input.runner);
  if (!handoff) {
    throw new ReaperError(
      'EINVALIDOPTION',
      `no run was started for these tests: add ${RUNNERS[input.runner].setup}. ` +
        "The run's global setup sweeps leftovers before the tests and starts the watchdog that cleans up if the runner is killed.",
    );
  }
  const root = input.root ?? handoff.root;
  return { runId: handoff.runId, root, config: runConfigOf(withTop(handoff.base, settingsOf({ ...input, root }))) };
}

/** A file's (or test's, or worker's) leak check in progress. */
export interface OpenLeakCheck {
  owner: string;
  /** Stops what the owner left, puts the previous tag back, and judges it under `onLeak`. A second call does nothing more. */
  close(): Promise<Verdict>;
}

/**
 * Tags everything started from now on with `owner` (in `process.env` and in each of `envs`, such as a
 * test sandbox's copy of it), for the leak check that `close()` runs.
 */
export function openLeakCheck(input: { run: JoinedRun; owner: string; label: string; envs?: ReadonlyArray<NodeJS.ProcessEnv | undefined> }): OpenLeakCheck {
  const restore = setEnv({ [OWNER_ENV]: input.owner }, input.envs);
  let closing: Promise<Verdict> | undefined;
  return {
    owner: input.owner,
    close() {
      closing ??= (async () => {
        try {
          const { config } = input.run;
          return (await checkLeaks({ ...config.sweep, owner: input.owner, onLeak: config.onLeak, label: input.label })).verdict;
        } finally {
          restore();
        }
      })();
      return closing;
    },
  };
}

/**
 * An error as a runner should show it: its message starts with "mcp-reaper: " and it shows no stack.
 * A `ReaperError`'s message names the thing and the fix (a user's mistake, a service that did not
 * start and its last output), and a trace into mcp-reaper's code says nothing more; runners print
 * `stack` when there is one. Any other error is a bug, and keeps its trace.
 */
export function forRunner(error: unknown): unknown {
  if (!(error instanceof ReaperError)) return error;
  if (!error.message.startsWith(PREFIX)) error.message = `${PREFIX}${error.message}`;
  error.stack = error.message;
  return error;
}
