// Both pools, 4 workers, 8 files each starting and stopping its own daemons (one for the file, one per
// test), several runs in a row: zero failures, zero cross-worker kills, no leak reported, nothing left.
// MCP_REAPER_E2E_RUNS sets the number of runs per pool (default 5; the target is 50), and
// MCP_REAPER_E2E_PROGRESS names a file that gets one line per run as it ends (for long series).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../helpers/wait.js';
import { createVitestSample, type VitestSample } from './sample.js';

const RUNS = Number(process.env.MCP_REAPER_E2E_RUNS ?? 5);
const FILES = Array.from({ length: 8 }, (_, i) => `p${i + 1}`);

let sample: VitestSample;
beforeAll(async () => {
  sample = await createVitestSample({ name: 'vitest4-pools' });
}, 300_000);
afterAll(async () => {
  await sample?.cleanup();
});

describe.each(['forks', 'threads'])('vitest 4, pool %s, 4 workers', (pool) => {
  it(`${RUNS} runs in a row: no failure, no cross-kill, nothing left`, async () => {
    const times: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const outDir = `${pool}-${run}`;
      const started = Date.now();
      const result = await sample.project.run('npx', ['vitest', 'run', '--pool', pool, '--maxWorkers', '4', 'tests/pool/'], {
        env: { OUT_DIR: outDir },
      });
      times.push(Date.now() - started);
      if (process.env.MCP_REAPER_E2E_PROGRESS) {
        fs.appendFileSync(process.env.MCP_REAPER_E2E_PROGRESS, `${pool} run ${run}: ${times.at(-1)} ms, exit ${result.code}\n`);
      }
      const text = `${result.stdout}\n${result.stderr}`;
      expect(result.code, `run ${run}:\n${text}`).toBe(0);
      expect(text).toMatch(/Test Files\s+8 passed/);
      expect(text).toMatch(/Tests\s+16 passed/);
      expect(text).not.toContain('left a daemon');

      const records = FILES.map((id) => sample.out<{ pids: number[]; owner: string; pool: string }>(`${outDir}/${id}.json`));
      const owners = records.map((r) => r.owner);
      expect(new Set(owners).size).toBe(FILES.length);
      const runIds = new Set(owners.map((o) => o.split('/')[0]));
      expect(runIds.size).toBe(1);
      for (const [i, r] of records.entries()) {
        expect(r.owner).toMatch(new RegExp(`/w[1-4]/tests:pool:${FILES[i]}\\.test\\.ts$`));
        expect(r.pids).toHaveLength(3); // the file's daemon and one per test
      }
      const pids = records.flatMap((r) => r.pids);
      expect(new Set(pids).size).toBe(pids.length);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      expect(sample.running()).toEqual([]);
      expect(sample.stateFiles()).toEqual([]);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`vitest 4 ${pool}: ${RUNS} runs, ms per run: median ${sorted[Math.floor(RUNS / 2)]}, min ${sorted[0]}, max ${sorted.at(-1)} (${times.join(', ')})`);
  }, RUNS * 60_000);
});
