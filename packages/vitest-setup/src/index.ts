// setupFiles: ['@mcp-reaper/vitest-setup']: the per-file leak check, plus useDaemon() for tests.
// Vitest runs setup files again before every test file (it inlines them), so this module's top level
// runs once per file, in the file's own worker (fork or thread). The code lives here, in the entry,
// and not in a module it imports: the bundler would drop an import kept only for its side effects.
import path from 'node:path';
import { deadService, forRunner, logLines, markLogs, openLeakCheck, openWorkerStack, ownerTag, ReaperError } from '@mcp-reaper/core';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
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

// A stack service that died fails this file's tests with its name, how it ended and its last lines,
// not with the ECONNREFUSED each test would meet.
const hasStack = run.config.stack !== undefined;
const stackSlot = stack.stack ? slot : undefined;
async function throwIfDead(): Promise<void> {
  const dead = hasStack ? await deadService(run.runId, stackSlot) : undefined;
  if (dead) throw forRunner(new ReaperError('ESERVICEDIED', dead.message));
}
await throwIfDead().catch(async (error: unknown) => {
  stack.close({ testsFailed: true });
  await check.close();
  throw error;
});
// Where each service's log ends now: a failing file's output ends with what they wrote meanwhile.
const marks = markLogs(stack.view);

// Whether a test of the file failed: its stack's dirs are then kept. (A hook's arguments differ from
// Vitest 3 to 4; a test's onTestFailed is the same in both.)
let testsFailed = false;
beforeEach(async ({ onTestFailed }) => {
  onTestFailed(() => {
    testsFailed = true;
  });
  await throwIfDead();
});
// A service that died during the test fails it too, whatever the test made of it.
afterEach(throwIfDead);

afterAll(async () => {
  if (testsFailed) for (const line of logLines(marks, file)) console.warn(line);
  stack.close({ testsFailed });
  const { lines, error } = await check.close();
  for (const line of lines) console.warn(line);
  if (error) throw error;
});

export { useDaemon, type UseDaemonScope, type UsedDaemon } from './use-daemon.js';
export type { VitestReaperOptions } from './options.js';
