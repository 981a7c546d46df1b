import path from 'node:path';
import { INTERPRETER } from '../processes/match.js';
import type { StackConfig } from '../config/stack-options.js';

/** `MCP_REAPER_STACK_<NAME>_` for a service: upper case, anything but letters and digits as "_". */
export function envPrefix(name: string): string {
  return `MCP_REAPER_STACK_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

/**
 * Tools that run other programs: as a name to sweep for, each would match every program it ever ran
 * on the machine (every node script, every npx), so a service started through one has no such name.
 */
const LAUNCHERS = new Set(['env', 'npx', 'npm', 'pnpm', 'pnpx', 'yarn', 'bunx', 'uv', 'uvx', 'pipx', 'poetry', 'make', 'java', 'go', 'cargo', 'dotnet', 'timeout', 'nice', 'nohup', 'sudo', 'exec']);

/**
 * The executable name the sweep before a run looks for, so that a leftover of an earlier run is
 * stopped: the service's `name`, else the basename of its command, unless that is an interpreter or a
 * launcher. Undefined then: such a service is found by its tag (its watchdog) and its port only.
 */
export function sweepName(service: StackConfig[string]): string | undefined {
  if (service.name !== undefined) return service.name;
  const base = path.basename(service.command[0]!);
  return INTERPRETER.test(base) || LAUNCHERS.has(base) ? undefined : base;
}
