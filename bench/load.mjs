// 200 leftover daemons in a table of 1,000 processes (test/reliability/fixtures/load-table.mjs, each
// round in a fresh pid namespace, so the table is exactly that and nothing else can be touched):
// mcp-reaper's sweep against `pkill -9 -x <name>`, as a ratio.
//
// Not the same job: pkill -9 sends SIGKILL to every process whose kernel name is the name and returns.
// It gives no daemon a chance to clean up, does not wait for or verify the exit, removes no stale
// socket or pid file, and does not look at argv, parents, owners or process groups (`pkill -f`, which
// does look at argv, would also kill the decoys here: `exec -a <name> sleep`, `sh -c "…<name> daemon…"`).
// The sweep sends SIGTERM, waits for every exit, watches 300 ms for a respawn (the default of an
// unscoped sweep; a scoped one, as a test hook's, does not wait), and removes the stale pid file.
// So three figures: the sweep, pkill's own wall time, and pkill until every daemon is really gone.
//
//   node bench/load.mjs      (uses packages/core/dist; needs root for unshare)
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { coreUrl, fmtMs, ratio, runIfMain, stats, uniqueName } from './lib.mjs';

const exec = promisify(execFile);
const LOAD_TABLE = fileURLToPath(new URL('../test/reliability/fixtures/load-table.mjs', import.meta.url));
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 3);

/** One round: a fresh namespace, a fresh table, one contender. */
async function round(root, name, contender) {
  const dir = path.join(root, `state-${contender}-${Math.random().toString(16).slice(2)}`);
  const input = { name, bin: path.join(root, 'bin'), dir, dist: coreUrl, contender };
  const { stdout } = await exec('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, LOAD_TABLE, JSON.stringify(input)], {
    maxBuffer: 1 << 26,
    timeout: 180_000,
    killSignal: 'SIGKILL', // unshare --kill-child passes SIGKILL on to the namespace's init
  });
  const result = JSON.parse(stdout);
  const wrong = result.seen.filter((s) => (s.role === 'target' ? s.alive : !s.alive));
  if (wrong.length > 0) throw new Error(`${contender}: ${wrong.length} processes in the wrong state, e.g. ${JSON.stringify(wrong[0])}`);
  const pidFileLeft = fs.existsSync(path.join(dir, 'daemon.pid'));
  return { ms: result.ms, untilGoneMs: result.untilGoneMs, pidFileLeft };
}

export async function run({ log = console.log } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-bench-load-'));
  const name = uniqueName();
  try {
    fs.mkdirSync(path.join(root, 'bin'));
    fs.symlinkSync('/bin/sleep', path.join(root, 'bin', name));
    fs.symlinkSync('/bin/sleep', path.join(root, 'bin', `${name}-helper`));
    log(`load: 200 leftover daemons in a table of 1,000 processes, ${ROUNDS} rounds per contender, each in a fresh pid namespace`);
    const sweeps = [];
    const pkills = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate who goes first: the machine's load drifts.
      for (const contender of i % 2 === 0 ? ['sweep', 'pkill'] : ['pkill', 'sweep']) {
        (contender === 'sweep' ? sweeps : pkills).push(await round(root, name, contender));
      }
    }
    const sweep = stats(sweeps.map((r) => r.ms));
    const pkill = stats(pkills.map((r) => r.ms));
    const pkillUntilGone = stats(pkills.map((r) => r.untilGoneMs));
    const result = {
      sweep,
      pkill,
      pkillUntilGone,
      ratio: ratio(sweep.median, pkill.median),
      ratioVsUntilGone: ratio(sweep.median, pkillUntilGone.median),
      pidFileLeftByPkill: pkills.every((r) => r.pidFileLeft),
      pidFileLeftBySweep: sweeps.some((r) => r.pidFileLeft),
    };
    result.summary = [
      `load (200 of 1,000): sweep ${fmtMs(sweep.median)} (p90 ${fmtMs(sweep.p90)}), pkill -9 -x ${fmtMs(pkill.median)} (p90 ${fmtMs(pkill.p90)}): ${result.ratio}x;` +
        ` against pkill until all are gone (${fmtMs(pkillUntilGone.median)}): ${result.ratioVsUntilGone}x.` +
        ` Nothing else touched by either; pkill left the stale pid file ${result.pidFileLeftByPkill ? 'every time' : 'not always'}, the sweep ${result.pidFileLeftBySweep ? 'sometimes' : 'never'}.`,
    ];
    return result;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
await runIfMain(import.meta.url, run);
