// setupFiles: ['@mcp-reaper/vitest-setup']: the per-file leak check, plus useDaemon() for tests.
// Vitest runs setup files again before every test file (it inlines them), so this module's top level
// runs once per file, in the file's own worker (fork or thread). The code lives here, in the entry,
// and not in a module it imports: the bundler would drop an import kept only for its side effects.
import path from 'node:path';
import { forRunner, openLeakCheck, openWorkerStack, ownerTag } from '@mcp-reaper/core';
import { afterAll, beforeEach, expect } from 'vitest';
import { currentRun } from './current-run.js';

const run = (() => {
  try {
    return currentRun();
  } catch (error) {
    throw forRunner(error);
  }
})();

const file = path.relative(run.root, expect.getState().testPath ?? 'unknown-file');
// Never process.pid: every thread of the threads pool shares it. The pool id is the worker's slot
// (1..maxWorkers), so no two files running at once share a tag; the file path keeps it unique per run.
// The slot outlives the processes Vitest starts for it (isolate: one per file): it keeps its stack.
const slot = process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '0';
// In the threads pool process.env is the thread's own copy, and what a thread spawns inherits it.
const check = openLeakCheck({ run, owner: ownerTag(run.runId, `w${slot}`, file), label: file });
// The slot's worker-scoped services, before the file is imported: it may read their places at its top level.
const stack = await openWorkerStack({ run, slot }).catch(async (error: unknown) => {
  await check.close();
  throw forRunner(error);
});

// Whether a test of the file failed: its stack's dirs are then kept. (A hook's arguments differ from
// Vitest 3 to 4; a test's onTestFailed is the same in both.)
let testsFailed = false;
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    testsFailed = true;
  });
});

afterAll(async () => {
  stack.close({ testsFailed });
  const { lines, error } = await check.close();
  for (const line of lines) console.warn(line);
  if (error) throw error;
});

export { useDaemon, type UseDaemonScope, type UsedDaemon } from './use-daemon.js';
export type { VitestReaperOptions } from './options.js';
