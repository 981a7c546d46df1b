// A reporter beside Vitest's default one: at the end of the run it lists every skipped test with its
// reason, treats a skip without a reason as a failure (a test skipped to get green is a defect), and
// writes the totals for `pnpm test` (scripts/test.mjs), which adds its own check and prints them.
import fs from 'node:fs';
import type { Reporter, SerializedError, TestModule, Vitest } from 'vitest/node';

/** Where scripts/test.mjs wants the totals (JSON); unset when Vitest runs without it. */
export const SUMMARY_ENV = 'MCP_REAPER_TEST_SUMMARY';

export interface Summary {
  passed: number;
  failed: number;
  skipped: Array<{ test: string; reason: string | undefined }>;
  /** Test files that failed before any test ran (an import, a beforeAll), and errors outside any test. */
  brokenFiles: string[];
  unhandledErrors: number;
}

export default class SummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const summary: Summary = { passed: 0, failed: 0, skipped: [], brokenFiles: [], unhandledErrors: unhandledErrors.length };
    // Tests left out by a name filter (`-t`) are skipped by the user's choice, not by the suite.
    const filtered = Boolean(this.vitest?.config.testNamePattern);
    for (const module of modules) {
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') summary.passed += 1;
        else if (result.state === 'failed') failedTests += 1;
        else if (result.state === 'skipped' && !(filtered && result.note === undefined)) {
          // The project too: a file in both (linux, darwin) may be skipped in each, for its own reason.
          summary.skipped.push({ test: `[${module.project.name}] ${module.relativeModuleId} › ${test.fullName}`, reason: result.note });
        }
      }
      summary.failed += failedTests;
      // Failed with no failing test: an import, a beforeAll or an afterAll failed it.
      if (module.state() === 'failed' && failedTests === 0) summary.brokenFiles.push(`[${module.project.name}] ${module.relativeModuleId}`);
    }

    const silent = summary.skipped.filter((s) => s.reason === undefined);
    if (summary.skipped.length > 0) {
      const lines = [`skipped ${summary.skipped.length} test${summary.skipped.length === 1 ? '' : 's'}:`];
      for (const { test, reason } of summary.skipped) lines.push(`  - ${test}: ${reason ?? 'NO REASON GIVEN (a defect: skip through test/helpers/needs.ts, or ctx.skip(reason))'}`);
      console.log(lines.join('\n'));
    }
    if (silent.length > 0) console.log(`${silent.length} test${silent.length === 1 ? ' was' : 's were'} skipped without a reason: counted as failed.`);

    const file = process.env[SUMMARY_ENV];
    if (file) fs.writeFileSync(file, JSON.stringify(summary));
  }
}
