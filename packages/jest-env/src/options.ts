import type { UserConfig } from '@mcp-reaper/core';

/**
 * `testEnvironmentOptions.mcpReaper` in the Jest config: any key of the shared config
 * (`mcp-reaper.config.*`, package.json `mcpReaper`), over it key by key. See the core README.
 */
export type McpReaperJestOptions = UserConfig;

/** Where Jest keeps the settings: `testEnvironmentOptions.mcpReaper` of the project. */
export function settingsOf(testEnvironmentOptions: unknown): unknown {
  return (testEnvironmentOptions as { mcpReaper?: unknown } | undefined)?.mcpReaper;
}

/** How the adapter speaks in Jest: on stderr, which Jest shows in every mode (console output of a hook may be buffered). */
export function say(lines: readonly string[]): void {
  if (lines.length > 0) process.stderr.write(`\n${lines.join('\n')}\n`);
}
