// @mcp-reaper/playwright-fixture in an ES module project: 4 workers, 8 tests, each with its own
// mcpDaemon held while the others start and stop theirs, several runs in a row. Each worker's
// daemons have a state dir of their own (a `daemon` function of the worker), so each health() sees
// its own daemon.pid.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parallelSpec } from './sample-tests.js';
import { isAlive } from '../../helpers/wait.js';
import { createPwProject, finishProject, type PwProject } from './support.js';

/** Runs in a row: 5 by default (about 6 s each here); the 50 with MCP_REAPER_E2E_RUNS=50. */
const RUNS = Number(process.env.MCP_REAPER_E2E_RUNS ?? 5);

let project: PwProject;

beforeAll(async () => {
  project = await createPwProject({
    name: 'pw-parallel',
    packageJson: { type: 'module' },
    files: Object.fromEntries([1, 2, 3, 4].map((n) => [`tests/parallel-${n}.spec.ts`, parallelSpec(n)])),
  });
}, 300_000);

afterAll(() => {
  expect(finishProject(project)).toEqual([]);
});

describe('@mcp-reaper/playwright-fixture with --workers=4', () => {
  it(`${RUNS} runs in a row: 8 tests with a daemon each, no failure, no cross-kill, nothing left`, async () => {
    const durations: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      // Distinct within a run; across runs a dead daemon's pid may come back (pid_max wraps on a busy machine).
      const pids = new Set<number>();
      const started = Date.now();
      const result = await project.run('npx', ['playwright', 'test', '--workers=4'], { env: { RUN_NUMBER: String(run) } });
      durations.push(Date.now() - started);
      process.stderr.write(`run ${run}: ${durations.at(-1)} ms\n`);
      const text = `${result.stdout}\n${result.stderr}`;
      expect(result.code, `run ${run}:\n${text}`).toBe(0);
      expect(text, `run ${run}`).toMatch(/8 passed/);
      // A daemon killed by another worker's check would fail its test; one tagged wrongly would be named here.
      expect(text, `run ${run}`).not.toContain('[mcp-reaper]');

      const records = Object.entries(project.readResults()).filter(([name]) => name.endsWith(`-${run}`));
      expect(records, `run ${run}`).toHaveLength(8);
      const workers = new Set(records.map(([, r]) => r.worker));
      expect(workers.size, `run ${run}: workers used`).toBeGreaterThan(1);
      for (const [name, record] of records) {
        const pid = record.pid as number;
        expect(pids.has(pid), `${name}: pid ${pid} seen before`).toBe(false);
        pids.add(pid);
        expect(isAlive(pid), `${name}: daemon ${pid} still running`).toBe(false);
        expect(record.pings as number).toBeGreaterThan(0);
        // The `daemon` function's state dir, one per parallel worker; the daemon's pid file went with it.
        expect(record.dir, name).toBe(path.join(project.dir, 'state', `w${String(record.parallelIndex)}`, 'AIAgentPM'));
        expect(fs.existsSync(path.join(record.dir as string, 'daemon.pid')), `${name}: daemon.pid left`).toBe(false);
      }
      expect(project.daemons(), `run ${run}`).toEqual([]);
    }
    const mean = Math.round(durations.reduce((a, b) => a + b, 0) / durations.length);
    console.info(`${RUNS} runs with --workers=4: ${durations.join(', ')} ms (mean ${mean} ms)`);
  }, 60_000 + RUNS * 30_000);
});
