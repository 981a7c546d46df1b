import type { RunHandoff, UserConfig } from '@mcp-reaper/core';

/**
 * What `test.provide.mcpReaper` in vitest.config.ts may hold: any key of the shared config
 * (`mcp-reaper.config.*`, package.json `mcpReaper`), over it key by key. See the core README.
 */
export type VitestReaperOptions = UserConfig;

/** The key users set in `test.provide`. */
export const OPTIONS_KEY = 'mcpReaper';
/** The key global setup provides the run under. */
export const RUN_KEY = 'mcpReaperRun';

declare module 'vitest' {
  interface ProvidedContext {
    mcpReaper?: VitestReaperOptions;
    mcpReaperRun?: RunHandoff;
  }
}
