import path from 'node:path';
import { daemonStateDir, forRunner, joinRun, openLeakCheck, ownerTag, startDaemon, type DaemonHandle, type JoinedRun, type Verdict } from '@mcp-reaper/core';
import type { Fixtures, TestInfo, WorkerInfo } from '@playwright/test';
import { configDir, settingsFor, type McpReaperOptions } from './options.js';

/** A daemon a fixture started: ready (its socket answered), stopped after the test or the worker. */
export type McpDaemon = DaemonHandle;

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
export const mcpReaperFixtures: Fixtures<McpReaperTestFixtures, McpReaperWorkerFixtures> = {
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
    async ({ mcpReaperOptions: run, _mcpReaperWorkerOwner }, use, testInfo) => {
      // Below the worker's tag (ownerTag() would turn its "/" into ":" if it were passed as a part).
      const check = openLeakCheck({ run, owner: `${_mcpReaperWorkerOwner}/${ownerTag(testInfo.testId)}`, label: testLabel(testInfo) });
      await use(check.owner);
      tell(await check.close());
    },
    { auto: true },
  ],

  mcpDaemon: async ({ mcpReaperOptions, _mcpReaperLeakCheck }, use, testInfo) => {
    const daemon = await startDaemon(daemonOptions(mcpReaperOptions, `mcp-w${testInfo.workerIndex}.sock`, _mcpReaperLeakCheck));
    try {
      await use(daemon);
    } finally {
      await daemon.stop();
    }
  },
};
