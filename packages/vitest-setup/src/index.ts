// setupFiles: ['@mcp-reaper/vitest-setup']: the per-file leak check, plus useDaemon() for tests.
// Vitest runs setup files again before every test file (it inlines them), so this module's top level
// runs once per file, in the file's own worker (fork or thread). The code lives here, in the entry,
// and not in a module it imports: the bundler would drop an import kept only for its side effects.
import path from 'node:path';
import { checkLeaks, OWNER_ENV, ownerTag } from '@mcp-reaper/core';
import { afterAll, expect, inject } from 'vitest';
import { RUN_KEY } from './options.js';

const run = inject(RUN_KEY);
if (!run) {
  throw new Error(
    "@mcp-reaper/vitest-setup: the run was not started. Add globalSetup: ['@mcp-reaper/vitest-setup/global-setup'] " +
      "next to setupFiles: ['@mcp-reaper/vitest-setup'] in vitest.config.",
  );
}

const testPath = expect.getState().testPath ?? 'unknown-file';
const file = path.relative(run.root, testPath);
// Never process.pid: every thread of the threads pool shares it. The pool id is the worker's slot
// (1..maxWorkers), so no two files running at once share a tag; the file path keeps it unique per run.
const worker = `w${process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '0'}`;
const owner = ownerTag(run.runId, worker, file);
const previous = process.env[OWNER_ENV];
// In the threads pool process.env is the thread's own copy, and what a thread spawns inherits it.
process.env[OWNER_ENV] = owner;

afterAll(async () => {
  try {
    const { message } = await checkLeaks({ ...run.options, owner, onLeak: run.onLeak, label: file });
    if (message === undefined) return;
    if (run.onLeak === 'fail') throw new Error(message);
    console.warn(`mcp-reaper: ${message}`);
  } finally {
    if (previous === undefined) delete process.env[OWNER_ENV];
    else process.env[OWNER_ENV] = previous;
  }
});

export { useDaemon, type UseDaemonScope, type UsedDaemon } from './use-daemon.js';
export type { VitestReaperOptions, ProvidedRun } from './options.js';
