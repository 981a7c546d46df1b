import { ReaperError, forRunner, type JoinedRun } from '@mcp-reaper/core';

/**
 * Where the environment leaves the file's run for the code of the test file: a property of the
 * sandbox's global object. The test file runs in Jest's sandbox (a vm context of its own, with its own
 * module registry), which sees none of the environment's modules; its global object is the one thing
 * both share. A registered symbol is the same in every context. (Not run-state.ts's key: that one is
 * the main process's global, holding the whole run.)
 */
const FILE_RUN_KEY = Symbol.for('@mcp-reaper/jest-env.file-run');

type WithFileRun = Record<symbol, JoinedRun | undefined>;

/** Called by the environment's setup(): the file's tests read `run` (its config, with the project's settings on top). */
export function handOver(sandboxGlobal: object, run: JoinedRun): void {
  (sandboxGlobal as WithFileRun)[FILE_RUN_KEY] = run;
}

/**
 * The run of the test file this code runs in, as its environment handed it over. Throws one error
 * naming the line to add when the file runs in another environment.
 */
export function fileRun(what: string): JoinedRun {
  const run = (globalThis as WithFileRun)[FILE_RUN_KEY];
  if (run) return run;
  throw forRunner(
    new ReaperError(
      'EINVALIDOPTION',
      `${what} needs the mcp-reaper test environment, which hands it the run's config and checks the file for leaked daemons: ` +
        "add testEnvironment: '@mcp-reaper/jest-env' in jest.config (or '@mcp-reaper/jest-env/jsdom' for DOM tests), " +
        'and check that no @jest-environment docblock in the test file replaces it.',
    ),
  );
}
