import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';
import type { Circus } from '@jest/types';
import { FileLeakCheck } from './file-leak-check.js';

export type { McpReaperJestOptions } from './options.js';

/**
 * `testEnvironment: '@mcp-reaper/jest-env'`: Jest's node environment, plus a scoped leak check per
 * test file (see FileLeakCheck).
 */
export default class McpReaperEnvironment extends NodeEnvironment {
  private readonly leakCheck: FileLeakCheck;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.leakCheck = new FileLeakCheck(config, context);
  }

  override async setup(): Promise<void> {
    await super.setup();
    await this.leakCheck.start((this.global as { process?: NodeJS.Process }).process?.env);
  }

  handleTestEvent(event: Circus.Event): void {
    this.leakCheck.observe(event);
  }

  override async teardown(): Promise<void> {
    let failure: Error | undefined;
    try {
      failure = await this.leakCheck.end();
    } finally {
      await super.teardown();
    }
    if (failure) throw failure;
  }
}

export { McpReaperEnvironment as TestEnvironment };
