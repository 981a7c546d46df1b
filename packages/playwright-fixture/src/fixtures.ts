import path from 'node:path';
import { checkLeaks, daemonStateDir, OWNER_ENV, ownerTag, RUN_ENV, startDaemon, type DaemonHandle } from '@mcp-reaper/core';
import type { Fixtures, TestInfo, WorkerInfo } from '@playwright/test';
import { configDir, resolveOptions, type McpReaperOptions, type ResolvedMcpReaperOptions } from './options.js';

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
  /** The resolved options (config file, MCP_REAPER_* variables, then `mcpReaper`). */
  mcpReaperOptions: ResolvedMcpReaperOptions;
  /** A daemon shared by the tests of one worker: started on first use, stopped when the worker ends. */
  mcpWorkerDaemon: McpDaemon;
  /** Automatic: the worker's owner tag, and a leak check of what the worker's hooks left. */
  _mcpReaperWorkerOwner: string;
}

// Without the global setup there is no run id: one per worker keeps the tags unique all the same.
const localRun = `local-${process.pid}-${Date.now().toString(36)}`;

function setOwner(tag: string): () => void {
  const saved = process.env[OWNER_ENV];
  process.env[OWNER_ENV] = tag;
  return () => {
    if (saved === undefined) delete process.env[OWNER_ENV];
    else process.env[OWNER_ENV] = saved;
  };
}

/** What the leak check's `onLeak` asks for: warn → console.warn, fail → throw, kill → nothing. */
async function checkOwner(options: ResolvedMcpReaperOptions, owner: string, label: string): Promise<void> {
  const { message } = await checkLeaks({ ...options.scoped, owner, onLeak: options.onLeak, label });
  if (message === undefined) return;
  if (options.onLeak === 'fail') throw new Error(message);
  console.warn(`[mcp-reaper] ${message}`);
}

function daemonOptions(options: ResolvedMcpReaperOptions, socketName: string, owner: string) {
  const { daemon } = options;
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
      await use(await resolveOptions(mcpReaper, configDir(workerInfo.config), worker));
    },
    { scope: 'worker' },
  ],

  _mcpReaperWorkerOwner: [
    async ({ mcpReaperOptions }, use, workerInfo: WorkerInfo) => {
      const owner = ownerTag(process.env[RUN_ENV] ?? localRun, `w${workerInfo.workerIndex}`);
      const restore = setOwner(owner);
      try {
        await use(owner);
      } finally {
        restore();
      }
      // What beforeAll/afterAll hooks and worker fixtures left (each test's own leaks are already gone).
      await checkOwner(mcpReaperOptions, owner, `worker ${workerInfo.workerIndex} (its hooks and worker fixtures)`);
    },
    { scope: 'worker', auto: true },
  ],

  mcpWorkerDaemon: [
    async ({ mcpReaperOptions, _mcpReaperWorkerOwner }, use, workerInfo: WorkerInfo) => {
      const daemon = await startDaemon(
        daemonOptions(mcpReaperOptions, `mcp-w${workerInfo.workerIndex}-worker.sock`, _mcpReaperWorkerOwner),
      );
      try {
        await use(daemon);
      } finally {
        await daemon.stop();
      }
    },
    { scope: 'worker' },
  ],

  _mcpReaperLeakCheck: [
    async ({ mcpReaperOptions, _mcpReaperWorkerOwner }, use, testInfo) => {
      // Below the worker's tag (ownerTag() would turn its "/" into ":" if it were passed as a part).
      const owner = `${_mcpReaperWorkerOwner}/${ownerTag(testInfo.testId)}`;
      const restore = setOwner(owner);
      try {
        await use(owner);
      } finally {
        restore();
      }
      await checkOwner(mcpReaperOptions, owner, testLabel(testInfo));
    },
    { auto: true },
  ],

  mcpDaemon: async ({ mcpReaperOptions, _mcpReaperLeakCheck }, use, testInfo) => {
    const daemon = await startDaemon(
      daemonOptions(mcpReaperOptions, `mcp-w${testInfo.workerIndex}.sock`, _mcpReaperLeakCheck),
    );
    try {
      await use(daemon);
    } finally {
      await daemon.stop();
    }
  },
};
