// The developer's loop: `mcp-reaper up` holds the stack in one terminal, tests run again and again in
// another. A run that would start the same stack (the same config file, the same run-scoped service
// definitions) uses the `up`'s instead: its places, never stopping them. An `up` of another worktree's
// config or of an edited one is never used; if its ports are in the way, the error says which run
// holds them, its config file, and the first difference.
import fs from 'node:fs';
import type { StackReuse } from '../config/defaults.js';
import { firstDifference, stackHash } from '../config/stack-identity.js';
import type { StackConfig } from '../config/stack-options.js';
import { RUN_INSTANCE } from '../config/names.js';
import type { ProcessSource } from '../processes/process-source.js';
import { goneService, readInstance, type InstanceRecord } from '../registry/instances.js';
import { liveRuns, type LiveRun } from '../registry/runs.js';
import { PREFIX } from './verdict.js';

/** A live `up` whose stack this run uses. */
export interface ReusedStack {
  up: LiveRun;
  instance: InstanceRecord;
}

/** Whether a run may reuse at all: `local` means unless the `CI` variable is set (any value, as runners read it). */
export function mayReuse(mode: StackReuse, env: NodeJS.ProcessEnv): boolean {
  if (mode === 'never') return false;
  if (mode === 'always') return true;
  return env.CI === undefined || env.CI === '';
}

const upLabel = (up: LiveRun) => `\`mcp-reaper up\` (run ${up.record.runId}, pid ${up.record.pid})`;

/**
 * The live `up` of the same stack, if there is one and this run may use it, with what to say: one
 * line when it is reused, one line for each `up` that cannot be (its config file is gone, a service
 * of it died). Never throws: a registry that cannot be read means no reuse.
 */
export async function findReusableUp(input: {
  services: StackConfig;
  configFile: string | null;
  mode: StackReuse;
  env: NodeJS.ProcessEnv;
  source: ProcessSource;
}): Promise<{ reused?: ReusedStack; notices: string[] }> {
  if (Object.keys(input.services).length === 0 || input.mode === 'never') return { notices: [] };
  const { runs } = await liveRuns(input.source);
  const ups = runs.filter((run) => run.record.kind === 'up' && run.record.stackHash !== undefined);
  const notices: string[] = [];
  const hash = stackHash(input.services);
  const allowed = mayReuse(input.mode, input.env);
  for (const up of ups) {
    const file = up.record.configFile;
    if (file && !fs.existsSync(file)) {
      notices.push(`${PREFIX}not reusing the stack of ${upLabel(up)}: its config file ${file} no longer exists`);
      continue;
    }
    if (file !== input.configFile || up.record.stackHash !== hash) {
      // Another worktree's, or a config edited since: said, so nobody wonders why it was not used.
      const difference = firstDifference({ configFile: file ?? null, services: up.record.stack ?? {} }, { configFile: input.configFile, services: input.services });
      notices.push(`${PREFIX}not reusing the stack of ${upLabel(up)}: it is another stack (${difference})`);
      continue;
    }
    if (!allowed) {
      notices.push(`${PREFIX}not reusing the stack of ${upLabel(up)}: CI is set, and stackReuse is "local"; set stackReuse to "always" to reuse it`);
      continue;
    }
    const instance = readInstance(up.record.runId, RUN_INSTANCE);
    if (!instance || instance.state !== 'up') continue;
    const dead = (await goneService(instance, input.source))?.name;
    if (dead !== undefined) {
      notices.push(`${PREFIX}not reusing the stack of ${upLabel(up)}: its service "${dead}" is no longer running`);
      continue;
    }
    const names = instance.services.map((s) => s.name).join(', ');
    notices.push(`${PREFIX}reusing the stack of ${upLabel(up)}: ${names}; it stays up after this run`);
    return { reused: { up, instance }, notices };
  }
  return { notices };
}

/**
 * For a start that found a port held by another live run: which live `up` that is, its config file,
 * and how its stack differs from this one (another worktree's config, or an edited one).
 */
export async function explainClash(input: { services: StackConfig; configFile: string | null; source: ProcessSource }): Promise<string | undefined> {
  const { runs } = await liveRuns(input.source);
  const lines = runs
    .filter((run) => run.record.kind === 'up' && run.record.stack !== undefined)
    .map((up) => {
      const difference = firstDifference({ configFile: up.record.configFile ?? null, services: up.record.stack! }, { configFile: input.configFile, services: input.services });
      return `${upLabel(up)} holds a stack of config ${up.record.configFile ?? '(none)'}, not this run's: ${difference ?? 'the same stack, but it cannot be reused here (stackReuse, or CI is set)'}`;
    });
  return lines.length === 0 ? undefined : lines.join('\n');
}
