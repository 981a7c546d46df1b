// Reliability, load: 200 leftover daemons in a table of 1,000 processes (fixtures/load-table.mjs, in a
// pid namespace of its own, so nothing of the machine is in reach): nothing left, nothing else touched.
// How long it takes, against `pkill -9`, is bench/load.mjs's business, not this test's.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { SweepReport } from '../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../helpers/fake-daemon.js';
import { judge, settle, type SeenProcess } from './harness/scene.js';
import { describeNeeds, needs, pidNamespaceArgs } from '../helpers/needs.js';

const run = promisify(execFile);
const LOAD_TABLE = fileURLToPath(new URL('./fixtures/load-table.mjs', import.meta.url));
const DIST = new URL('../../packages/core/dist/index.js', import.meta.url).href;
const TITLE = '200 leftover daemons in a table of 1,000 processes';

describeNeeds([needs.proc, needs.pidNamespace], 'reliability: load', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await createSandbox();
  });
  afterEach(() => sb.cleanup());

  it(TITLE, async () => {
    // The daemon here is sleep under the daemon's name (cheap: 1,000 node processes would not be).
    fs.rmSync(sb.bin);
    fs.symlinkSync('/bin/sleep', sb.bin);
    fs.symlinkSync('/bin/sleep', path.join(sb.binDir, `${sb.name}-helper`));
    const dir = path.join(sb.root, 'state');
    const input = { name: sb.name, bin: sb.binDir, dir, dist: DIST, contender: 'sweep' };
    // --kill-child: when this test gives up, the namespace's init dies and the kernel ends the rest.
    const { stdout } = await run('unshare', [...pidNamespaceArgs(), process.execPath, LOAD_TABLE, JSON.stringify(input)], {
      maxBuffer: 1 << 26,
      timeout: 120_000,
      killSignal: 'SIGKILL', // unshare --kill-child passes SIGKILL on to the namespace's init
    });
    const result = JSON.parse(stdout) as { table: number; daemons: number; others: number; seen: SeenProcess[]; report: Pick<SweepReport, 'ok' | 'processes' | 'files'> };
    expect([result.table, result.daemons, result.others]).toEqual([1000, 200, 799]);

    const pidFile = path.join(dir, 'daemon.pid');
    const verdict = judge(result.seen, [{ label: 'pid file', path: pidFile, role: 'remove', problem: fs.existsSync(pidFile) ? 'is still there' : undefined }], result.report);
    settle('load', TITLE, verdict);
    expect(result.report.ok).toBe(true);
    expect(result.report.processes.filter((p) => p.action === 'terminated' || p.action === 'killed')).toHaveLength(200);
    // Forking 1,000 processes is most of it: about 15 s at a load average of 12 on two cores.
  }, 120_000);
});
