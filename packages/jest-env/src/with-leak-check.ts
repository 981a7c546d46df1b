import type { EnvironmentContext, JestEnvironment, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { FileLeakCheck } from './file-leak-check.js';

// A mixin's base must be constructible with `...args: any[]` (TypeScript's rule); Jest passes (config, context).
type EnvironmentClass = new (...args: any[]) => JestEnvironment;

/**
 * Jest's environment class `Base` (node or jsdom), plus the per-file leak check: the file's
 * owner tag is set in `setup()`, and `teardown()` stops and names what the file left (FileLeakCheck).
 *
 * Typed as returning `Environment` itself: the class's inferred type would name Jest's internal
 * types, which declarations cannot, and the members it adds are all part of JestEnvironment.
 */
export function withLeakCheck<Environment extends EnvironmentClass>(Base: Environment): Environment {
  return class extends Base {
    private readonly leakCheck: FileLeakCheck;

    constructor(...args: any[]) {
      const [config, context] = args as [JestEnvironmentConfig, EnvironmentContext];
      super(config, context);
      this.leakCheck = new FileLeakCheck(config, context);
    }

    override async setup(): Promise<void> {
      await super.setup();
      await this.leakCheck.start(this.global as typeof globalThis);
    }

    // A property in JestEnvironment's type (jest-circus calls it when it is there), so not a method.
    override handleTestEvent = (event: Circus.Event): Promise<void> => this.leakCheck.observe(event);

    override async teardown(): Promise<void> {
      let failure: Error | undefined;
      try {
        failure = await this.leakCheck.end();
      } finally {
        await super.teardown();
      }
      if (failure) throw failure;
    }
  };
}
