import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { OWNER_ENV, RUN_ENV, checkLeaks, ownerTag } from '@mcp-reaper/core';
import { loadJestOptions, type JestOptions } from './options.js';

// Without the global setup there is no run id to inherit: one per worker process keeps files apart.
let fallbackRunId: string | undefined;

interface Started extends JestOptions {
  owner: string;
  label: string;
  /** The real process.env's tag before this file, put back at teardown (one file runs in Jest's main process). */
  previous: string | undefined;
}

/**
 * What both environments (node and jsdom) add to Jest's: tag everything the file starts with its own
 * owner, then stop and name what it left. The work is the core's `checkLeaks()`.
 */
export class FileLeakCheck {
  private readonly rootDir: string;
  private readonly testPath: string;
  private readonly testEnvironmentOptions: unknown;
  private started: Started | undefined;
  private testsFailed = false;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    this.rootDir = config.projectConfig.rootDir;
    this.testPath = context.testPath;
    this.testEnvironmentOptions = config.projectConfig.testEnvironmentOptions;
  }

  /** Call from the environment's setup(), with the sandbox's `process.env` (a copy Jest made). */
  async start(sandboxEnv: NodeJS.ProcessEnv | undefined): Promise<void> {
    const options = await loadJestOptions(this.rootDir, this.testEnvironmentOptions);
    const runId = process.env[RUN_ENV] ?? (fallbackRunId ??= `jest-${randomBytes(6).toString('hex')}`);
    const label = path.relative(this.rootDir, this.testPath) || this.testPath;
    const owner = ownerTag(runId, `w${process.env.JEST_WORKER_ID ?? '1'}`, label);
    this.started = { ...options, owner, label, previous: process.env[OWNER_ENV] };
    // Children of the worker inherit the real process.env; startDaemon() merges over the sandbox's
    // copy, which Jest took before setup(): the tag goes in both.
    process.env[OWNER_ENV] = owner;
    if (sandboxEnv) sandboxEnv[OWNER_ENV] = owner;
  }

  /** Call from the environment's handleTestEvent() (jest-circus): notes whether a test or hook failed. */
  observe(event: Circus.Event): void {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') this.testsFailed = true;
  }

  /**
   * Call from the environment's teardown(). Stops what the file left; returns the error to throw for
   * `onLeak: 'fail'`. A second call does nothing.
   */
  async end(): Promise<Error | undefined> {
    const started = this.started;
    if (!started) return undefined;
    this.started = undefined;
    let message: string | undefined;
    try {
      ({ message } = await checkLeaks({ ...started.sweep, owner: started.owner, onLeak: started.onLeak, label: started.label }));
    } finally {
      if (started.previous === undefined) delete process.env[OWNER_ENV];
      else process.env[OWNER_ENV] = started.previous;
    }
    if (message === undefined) return undefined;
    // Throwing here makes Jest discard the file's results: when a test already failed (often the
    // reason the daemon was never stopped), its error matters more, and the file fails anyway.
    if (started.onLeak === 'fail' && !this.testsFailed) {
      const error = new Error(`mcp-reaper: ${message}`);
      // The message names the pids and the fix; a stack into Jest says nothing (and Jest would print
      // a multi-line message twice: once as the message, once as the stack).
      error.stack = '';
      return error;
    }
    process.stderr.write(`\nmcp-reaper: ${message}\n`);
    return undefined;
  }
}
