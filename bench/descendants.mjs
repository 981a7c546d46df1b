// A fake daemon with 5 children: tree-kill (SIGTERM, until its callback) vs the core's way (one /proc
// scan, descendants and process group from that snapshot). A dry-run sweep times the scan + plan,
// a real sweep the whole verified stop. For docs/decisions.md.
import childProcess from 'node:child_process';
import { fmtMs, isGone, runIfMain, median, percentile, ratio, Sandbox, stats, sweep, timeAsync, waitGone } from './lib.mjs';

const CHILDREN = 5;
const ROUNDS = 7;

// Count the `ps` processes tree-kill spawns: wrap child_process.spawn (the CommonJS export it reads
// when it is first loaded below) without changing what it does.
let psSpawns = 0;
const originalSpawn = childProcess.spawn;
childProcess.spawn = function countingSpawn(command, ...rest) {
  if (command === 'ps') psSpawns++;
  return originalSpawn.call(this, command, ...rest);
};
const { default: treeKill } = await import('tree-kill');
childProcess.spawn = originalSpawn;

async function startTree(sandbox) {
  const [daemon] = await sandbox.startDaemons(1, { FAKE_MCP_CHILDREN: String(CHILDREN) });
  if (daemon.children.length !== CHILDREN) throw new Error(`expected ${CHILDREN} children, got ${daemon.children.length}`);
  return [daemon.pid, ...daemon.children];
}

async function timeTreeKill(sandbox) {
  const pids = await startTree(sandbox);
  const spawnsBefore = psSpawns;
  const t0 = performance.now();
  await new Promise((resolve, reject) => treeKill(pids[0], 'SIGTERM', (error) => (error ? reject(error) : resolve())));
  const callbackMs = performance.now() - t0;
  await waitGone(pids, 10_000); // tree-kill does not wait: we poll /proc ourselves
  return { callbackMs, untilGoneMs: performance.now() - t0, psSpawns: psSpawns - spawnsBefore };
}

async function timeSweep(sandbox) {
  const pids = await startTree(sandbox);
  const dry = await timeAsync(() => sweep(sandbox.sweepOptions({ dryRun: true })));
  const planned = dry.value.processes.filter((p) => p.action === 'would-kill').map((p) => p.pid);
  if (planned.length !== pids.length || !pids.every((pid) => planned.includes(pid))) {
    throw new Error(`dry run planned ${planned.join(', ')}; expected ${pids.join(', ')}`);
  }
  const real = await timeAsync(() => sweep(sandbox.sweepOptions()));
  const notGone = pids.filter((pid) => !isGone(pid));
  if (notGone.length > 0 || !real.value.ok) throw new Error(`sweep left ${notGone.join(', ')} running (ok=${real.value.ok})`);
  return { dryMs: dry.ms, realMs: real.ms };
}

export async function run({ log = console.log } = {}) {
  const sandbox = new Sandbox();
  try {
    log(`descendants: 1 daemon + ${CHILDREN} children, ${ROUNDS} rounds (alternating) after a warm-up`);
    await timeTreeKill(sandbox);
    await timeSweep(sandbox);
    const t = { callback: [], untilGone: [], dry: [], real: [], ps: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['treeKill', 'sweep'] : ['sweep', 'treeKill'];
      for (const contender of order) {
        if (contender === 'treeKill') {
          const r = await timeTreeKill(sandbox);
          t.callback.push(r.callbackMs);
          t.untilGone.push(r.untilGoneMs);
          t.ps.push(r.psSpawns);
        } else {
          const r = await timeSweep(sandbox);
          t.dry.push(r.dryMs);
          t.real.push(r.realMs);
        }
      }
    }
    const result = {
      processes: 1 + CHILDREN,
      rounds: ROUNDS,
      treeKillCallback: stats(t.callback),
      treeKillUntilGone: stats(t.untilGone),
      treeKillPsSpawns: median(t.ps),
      sweepDryRun: stats(t.dry),
      sweepVerified: stats(t.real),
    };
    result.ratioDryVsTreeKill = ratio(median(t.dry), median(t.callback));
    result.ratioVerifiedVsTreeKillUntilGone = ratio(median(t.real), median(t.untilGone));
    result.summary = [
      `descendants: tree-kill ${fmtMs(median(t.callback))} to its callback (p90 ${fmtMs(percentile(t.callback, 90))}, ${result.treeKillPsSpawns} ps spawns, unverified; ${fmtMs(median(t.untilGone))} until all ${1 + CHILDREN} gone) vs sweep scan+plan ${fmtMs(median(t.dry))} (p90 ${fmtMs(percentile(t.dry, 90))}) → ${result.ratioDryVsTreeKill}x`,
      `  verified sweep (SIGTERM to the group, polled until all exited) ${fmtMs(median(t.real))} (p90 ${fmtMs(percentile(t.real, 90))}) vs tree-kill until gone → ${result.ratioVerifiedVsTreeKillUntilGone}x`,
    ];
    return result;
  } finally {
    await sandbox.cleanup();
  }
}

await runIfMain(import.meta.url, run);
