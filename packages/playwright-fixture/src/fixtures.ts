import path from 'node:path';
import {
  daemonStateDir,
  deadService,
  forRunner,
  logsSince,
  markLogs,
  joinRun,
  markStackTestsFailed,
  openLeakCheck,
  openWorkerStack,
  ownerTag,
  ReaperError,
  stackStopVerdict,
  startDaemon,
  type DaemonHandle,
  type JoinedRun,
  type StackService,
  type Verdict,
} from '@mcp-reaper/core';
import type { Fixtures, PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions, TestInfo, WorkerInfo } from '@playwright/test';
import { baseURLFromProblem, configDir, settingsFor, type McpReaperOptions } from './options.js';

/** A daemon a fixture started: ready (its socket answered), stopped after the test or the worker. */
export type McpDaemon = DaemonHandle;

/** The stack as a worker's tests see it: every service by name (the worker's own instance of a worker-scoped one), and the worker's `${dir}`. */
export interface McpStack {
  services: Readonly<Record<string, StackService>>;
  /** The worker's instance's private dir (the run's when the stack has no worker-scoped service). */
  dir: string | undefined;
}

export interface McpReaperTestFixtures {
  /** A daemon of this test's own: started ready before the test, stopped (verified) after it. */
  mcpDaemon: McpDaemon;
  /** Automatic: tags what the test starts and stops what it left, as `onLeak` says. */
  _mcpReaperLeakCheck: string;
}

export interface McpReaperWorkerFixtures {
  /** Options: `test.use({ mcpReaper: {…} })`, over the shared config. Worker-scoped. */
  mcpReaper: McpReaperOptions;
  /** The run this worker belongs to, with its resolved configuration (config file, MCP_REAPER_* variables, then `mcpReaper`). */
  mcpReaperOptions: JoinedRun;
  /** A daemon shared by the tests of one worker: started on first use, stopped when the worker ends. */
  mcpWorkerDaemon: McpDaemon;
  /** Automatic: the worker's owner tag, and a leak check of what the worker's hooks left. */
  _mcpReaperWorkerOwner: string;
  /**
   * Automatic: the config's stack as this worker sees it. Its worker-scoped services are started for
   * this worker before its first test, their places set in `process.env` (MCP_REAPER_STACK_*), and
   * stopped (verified) when the worker ends.
   */
  mcpStack: McpStack;
}

/** A verdict in Playwright's way: lines as warnings (they reach the runner's output), a failure thrown. */
function tell({ lines, error }: Verdict): void {
  for (const line of lines) console.warn(line);
  if (error) throw error;
}

function daemonOptions(run: JoinedRun, socketName: string, owner: string) {
  const { daemon } = run.config;
  // Where the daemon writes its pid file, as startDaemon() computes it: the daemon decides from its
  // own environment (XDG_DATA_HOME), whatever the sweep's `dir` says.
  const dir = daemon.dir ?? daemonStateDir(daemon.env);
  return {
    ...daemon,
    dir,
    // One socket per worker (and per scope): workers may share the state dir, never a socket.
    socketPath: daemon.socketPath ?? path.join(dir, socketName),
    owner,
  };
}

function testLabel(testInfo: TestInfo): string {
  return `test "${testInfo.titlePath.slice(1).join(' > ')}" (${path.basename(testInfo.file)}:${testInfo.line})`;
}

/**
 * The fixtures, for `base.extend(mcpReaperFixtures)` or `mergeTests()`. `test` from this package is
 * `@playwright/test`'s `test` extended with them.
 */
export const mcpReaperFixtures: Fixtures<McpReaperTestFixtures, McpReaperWorkerFixtures, PlaywrightTestArgs & PlaywrightTestOptions, PlaywrightWorkerArgs & PlaywrightWorkerOptions> = {
  mcpReaper: [{}, { scope: 'worker', option: true }],

  mcpReaperOptions: [
    async ({ mcpReaper }, use, workerInfo: WorkerInfo) => {
      const worker = { workerIndex: workerInfo.workerIndex, parallelIndex: workerInfo.parallelIndex };
      let run: JoinedRun;
      try {
        run = joinRun({ runner: 'playwright', root: configDir(workerInfo.config), settings: settingsFor(mcpReaper, worker) });
      } catch (error) {
        throw forRunner(error);
      }
      await use(run);
    },
    { scope: 'worker' },
  ],

  _mcpReaperWorkerOwner: [
    async ({ mcpReaperOptions: run }, use, workerInfo: WorkerInfo) => {
      // What beforeAll/afterAll hooks and worker fixtures left (each test's own leaks are already gone).
      const check = openLeakCheck({
        run,
        owner: ownerTag(run.runId, `w${workerInfo.workerIndex}`),
        label: `worker ${workerInfo.workerIndex} (its hooks and worker fixtures)`,
      });
      await use(check.owner);
      tell(await check.close());
    },
    { scope: 'worker', auto: true },
  ],

  mcpStack: [
    async ({ mcpReaperOptions: run, _mcpReaperWorkerOwner }, use, workerInfo: WorkerInfo) => {
      void _mcpReaperWorkerOwner; // after the worker's leak check opens, before it closes: the stack is not a leak
      let open;
      try {
        open = await openWorkerStack({ run, slot: workerInfo.workerIndex });
      } catch (error) {
        throw forRunner(error);
      }
      try {
        await use(open.view);
      } finally {
        open.close({ testsFailed: false });
        // Started by this worker: stopped with it (a test that failed marked it, and its dir is kept).
        if (open.stack?.startedHere) tell(stackStopVerdict(await open.stack.stop()));
      }
    },
    { scope: 'worker', auto: true },
  ],

  mcpWorkerDaemon: [
    async ({ mcpReaperOptions, _mcpReaperWorkerOwner }, use, workerInfo: WorkerInfo) => {
      const daemon = await startDaemon(daemonOptions(mcpReaperOptions, `mcp-w${workerInfo.workerIndex}-worker.sock`, _mcpReaperWorkerOwner));
      try {
        await use(daemon);
      } finally {
        await daemon.stop();
      }
    },
    { scope: 'worker' },
  ],

  _mcpReaperLeakCheck: [
    async ({ mcpReaperOptions: run, _mcpReaperWorkerOwner, mcpStack }, use, testInfo) => {
      const hasStack = run.config.stack !== undefined;
      // A stack service that died fails the test with its reason (not with the ECONNREFUSED it would meet).
      const throwIfDead = async () => {
        const dead = hasStack ? await deadService(run.runId, testInfo.workerIndex) : undefined;
        if (dead) throw forRunner(new ReaperError('ESERVICEDIED', dead.message));
      };
      await throwIfDead();
      const marks = hasStack ? markLogs(mcpStack) : [];
      // Below the worker's tag (ownerTag() would turn its "/" into ":" if it were passed as a part).
      const check = openLeakCheck({ run, owner: `${_mcpReaperWorkerOwner}/${ownerTag(testInfo.testId)}`, label: testLabel(testInfo) });
      await use(check.owner);
      if (testInfo.status !== testInfo.expectedStatus && hasStack) {
        // A failed test keeps the stack's dirs (the run's, this worker's), for their logs and databases,
        // and carries what each service wrote while it ran (in the HTML report).
        markStackTestsFailed(run, testInfo.workerIndex);
        for (const { service, text } of logsSince(marks)) await testInfo.attach(`${service}.log`, { body: text, contentType: 'text/plain' });
      }
      tell(await check.close());
      // One that died during the test fails it too, whatever the test made of it.
      await throwIfDead();
    },
    { auto: true },
  ],

  // Playwright's own option, overridden to read it: with `baseURLFrom`, the worker's service answers.
  baseURL: async ({ baseURL, mcpReaper, mcpStack }, use) => {
    const from = mcpReaper?.baseURLFrom;
    if (from === undefined) return use(baseURL);
    const service = mcpStack.services[from];
    const problem = baseURLFromProblem(from, service ? { [from]: { command: ['x'], ready: service.url === undefined ? { exit: 0 } : { url: service.url } } } : {});
    if (problem !== undefined || service?.url === undefined) throw forRunner(new ReaperError('EINVALIDOPTION', `Invalid test.use({ mcpReaper }): ${problem ?? `"baseURLFrom" names "${from}", which has no URL`}`));
    await use(service.url);
  },

  mcpDaemon: async ({ mcpReaperOptions, _mcpReaperLeakCheck }, use, testInfo) => {
    const daemon = await startDaemon(daemonOptions(mcpReaperOptions, `mcp-w${testInfo.workerIndex}.sock`, _mcpReaperLeakCheck));
    try {
      await use(daemon);
    } finally {
      await daemon.stop();
    }
  },
};
