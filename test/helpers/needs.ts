// Tests that need something beyond Node (a tool, Linux's /proc, root, a pid namespace) say so here,
// and are skipped with the reason when it is missing: the summary at the end of `pnpm test` lists
// every skip with its note (test/reporters/summary.ts), and a skip without a note fails the run.
import fs from 'node:fs';
import { describe, it, type TestContext } from 'vitest';
import { pidNamespaceArgs, problemOf, PREREQUISITES } from './prerequisites.mjs';

export { pidNamespaceArgs };

/** Something a test needs: why it is missing, or undefined when it is here. */
export interface Need {
  readonly missing: string | undefined;
}

function tool(id: string): Need {
  const p = PREREQUISITES.find((x) => x.id === id)!;
  return {
    get missing() {
      const problem = problemOf(id);
      if (problem === undefined) return undefined;
      return problem.startsWith('Linux only') ? problem : `${problem} (install: ${p.debian}${p.brew ? `; macOS: ${p.brew}` : ''})`;
    },
  };
}

function when(check: () => string | undefined): Need {
  let memo: { value: string | undefined } | undefined;
  return {
    get missing() {
      memo ??= { value: check() };
      return memo.value;
    },
  };
}

export const needs = {
  /** Linux's /proc, read directly (the darwin project's tests run on Linux too, as macOS). */
  proc: when(() => (fs.existsSync('/proc/self/stat') ? undefined : 'reads /proc, which only Linux has')),
  /** The real platform is Linux (the darwin project tells this repository's code it is macOS). */
  linux: when(() => (process.platform === 'linux' ? undefined : `Linux only (this is ${process.platform})`)),
  /** Root: chown to another user, files root alone may read. */
  root: when(() => (process.getuid?.() === 0 ? undefined : 'needs root: only root makes files and processes of another user, or reads a file of mode 000')),
  pidNamespace: tool('pid-namespace'),
  gcc: tool('gcc'),
  tmux: tool('tmux'),
  script: tool('script'),
  ps: tool('ps'),
  lsof: tool('lsof'),
} as const;

/** The first missing need, in words, or undefined when every one is here. */
export function missing(list: readonly Need[]): string | undefined {
  for (const need of list) {
    const reason = need.missing;
    if (reason !== undefined) return reason;
  }
  return undefined;
}

type TestFn = (context: TestContext) => unknown;

/** `it`, skipped with the reason when one of `list` is missing. */
export function itNeeds(list: readonly Need[], name: string, fn: TestFn, timeout?: number): void {
  it(
    name,
    async (context) => {
      const reason = missing(list);
      if (reason !== undefined) context.skip(reason);
      await fn(context);
    },
    timeout,
  );
}

/**
 * `describe`, when every one of `list` is here. Otherwise the block's hooks and tests are not even
 * declared (a `beforeAll` would fail without the tool); one skipped test stands for them, with the reason.
 */
export function describeNeeds(list: readonly Need[], name: string, fn: () => void): void {
  const reason = missing(list);
  if (reason === undefined) {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    it('(every test of this block)', (context) => context.skip(reason));
  });
}
