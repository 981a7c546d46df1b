import path from 'node:path';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import {
  deadService,
  forRunner,
  joinRun,
  logLines,
  markLogs,
  openLeakCheck,
  openWorkerStack,
  ownerTag,
  ReaperError,
  type JoinedRun,
  type LogMark,
  type OpenLeakCheck,
  type OpenWorkerStack,
} from '@mcp-reaper/core';
import { handOver } from './file-run.js';
import { say, settingsOf } from './options.js';

/**
 * What both environments (node and jsdom) add to Jest's: tag everything the file starts with its own
 * owner, then stop and name what it left. The work is the core's `joinRun()` and `openLeakCheck()`.
 */
export class FileLeakCheck {
  private readonly rootDir: string;
  private readonly testPath: string;
  private readonly testEnvironmentOptions: unknown;
  private check: OpenLeakCheck | undefined;
  private stack: OpenWorkerStack | undefined;
  private run: JoinedRun | undefined;
  private slot: string | undefined;
  private marks: LogMark[] = [];
  private label = '';
  private testsFailed = false;
  /** Tests already failed with a dead service's reason: once each. */
  private readonly failedByDeath = new WeakSet<object>();

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    this.rootDir = config.projectConfig.rootDir;
    this.testPath = context.testPath;
    this.testEnvironmentOptions = config.projectConfig.testEnvironmentOptions;
  }

  /**
   * Call from the environment's setup(), with the sandbox's global object (the test file's
   * `globalThis`): tags what the file starts in its `process.env` (a copy Jest made), joins the
   * worker's stack (its worker-scoped services, started by the worker's first file), whose places the
   * file's tests find in `process.env`, and hands the file's run to `useDaemon()`.
   */
  async start(sandboxGlobal: typeof globalThis): Promise<void> {
    const sandboxEnv = (sandboxGlobal as { process?: NodeJS.Process }).process?.env;
    let run;
    try {
      run = joinRun({ runner: 'jest', root: this.rootDir, settings: settingsOf(this.testEnvironmentOptions) });
    } catch (error) {
      throw forRunner(error);
    }
    // The run as this file sees it (the project's testEnvironmentOptions.mcpReaper and the file's
    // @jest-environment-options docblock on top): useDaemon() in the file takes its `daemon` defaults
    // from it, which the run's record in the registry alone would not give.
    handOver(sandboxGlobal, run);
    const label = path.relative(this.rootDir, this.testPath) || this.testPath;
    const slot = process.env.JEST_WORKER_ID ?? '1';
    // Children of the worker inherit the real process.env; startDaemon() merges over the sandbox's
    // copy, which Jest took before setup(): the tag goes in both, and so do the stack's places.
    this.check = openLeakCheck({ run, owner: ownerTag(run.runId, `w${slot}`, label), label, envs: [sandboxEnv] });
    try {
      this.stack = await openWorkerStack({ run, slot, envs: [sandboxEnv] });
      this.run = run;
      this.slot = this.stack.stack ? slot : undefined;
      this.label = label;
      // A stack service that died fails the file before its tests run, with its reason.
      const dead = await this.deadService();
      if (dead) throw new ReaperError('ESERVICEDIED', dead);
    } catch (error) {
      this.testsFailed = true;
      await this.end();
      throw forRunner(error);
    }
    // Where each service's log ends now: a failing file's output ends with what they wrote meanwhile.
    this.marks = markLogs(this.stack.view);
  }

  /** Why the stack this file uses is broken (a service died), or undefined. */
  private async deadService(): Promise<string | undefined> {
    if (!this.run || this.run.config.stack === undefined) return undefined;
    return (await deadService(this.run.runId, this.slot))?.message;
  }

  /**
   * Call from the environment's handleTestEvent() (jest-circus awaits it): before each test's body, a
   * dead stack service fails the test with its reason instead (a test with an error is not run); after
   * each test, one that died during it fails it too. Notes whether a test or hook failed.
   */
  async observe(event: Circus.Event): Promise<void> {
    if (event.name === 'test_fn_start' || event.name === 'test_done') {
      const dead = await this.deadService();
      if (dead && !this.failedByDeath.has(event.test)) {
        this.failedByDeath.add(event.test);
        event.test.errors.push(forRunner(new ReaperError('ESERVICEDIED', dead)) as Error);
        this.testsFailed = true;
      }
    }
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') this.testsFailed = true;
  }

  /**
   * Call from the environment's teardown(). Stops what the file left; returns the error to throw when
   * the file must fail. A second call does nothing.
   */
  async end(): Promise<Error | undefined> {
    if (this.testsFailed) say(logLines(this.marks, this.label));
    this.stack?.close({ testsFailed: this.testsFailed });
    this.stack = undefined;
    const check = this.check;
    if (!check) return undefined;
    this.check = undefined;
    const { lines, error } = await check.close();
    say(lines);
    // Throwing here makes Jest discard the file's results: when a test already failed (often the
    // reason the daemon was never stopped), its error matters more, and the file fails anyway.
    if (error && this.testsFailed) {
      say([error.message]);
      return undefined;
    }
    return error;
  }
}
