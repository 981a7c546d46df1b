import { joinRun, type JoinedRun } from '@mcp-reaper/core';
import { inject } from 'vitest';
import { OPTIONS_KEY, RUN_KEY } from './options.js';

/**
 * The run this test file belongs to, as the global setup handed it over (`provide`), with
 * `test.provide.mcpReaper` on top. Pure: no file is read. Throws the core's error naming the missing
 * global setup when there is no run.
 */
export function currentRun(): JoinedRun {
  return joinRun({ runner: 'vitest', handoff: inject(RUN_KEY), settings: inject(OPTIONS_KEY) });
}
