// 50 cooperative fake daemons: a real sweep (SIGTERM, wait, verified exit, stale files removed) vs
// `pkill -9 -x <name>` (just the command's wall time: it neither waits nor verifies).
// Each contender gets a fresh set of 50; the order alternates between rounds. The daemons are
// leftovers as a sweep meets them: forked, adopted by init (their runner is gone). A third contender
// sweeps 50 daemons whose parent still lives: a supervisor could restart those, so the sweep also
// watches for a respawn until respawnWindowMs (300 ms) after its first signal. A fourth does the
// graceful, verified part by hand (`pkill -TERM`, then polling until all are gone): no sweep can be
// faster than the daemons' own exit, which pkill -9 does not wait for.
import { fmtMs, isGone, runIfMain, median, percentile, pkillExact, ratio, round, Sandbox, stats, sweep, timeAsync, waitGone } from './lib.mjs';

const DAEMONS = 50;
const ROUNDS = 3;
const WARMUP_DAEMONS = 5;

async function timeSweep(sandbox, count, { orphaned = true } = {}) {
  const daemons = await sandbox.startDaemons(count, {}, { orphaned });
  const pids = daemons.map((d) => d.pid);
  const { ms, value: report } = await timeAsync(() => sweep(sandbox.sweepOptions()));
  const notGone = pids.filter((pid) => !isGone(pid));
  if (notGone.length > 0) throw new Error(`sweep left ${notGone.length} daemons running: ${notGone.join(', ')}`);
  const terminated = report.processes.filter((p) => p.action === 'terminated').length;
  // On a loaded machine a daemon may miss the 500 ms grace and be SIGKILLed: a valid outcome, counted.
  const killed = report.processes.filter((p) => p.action === 'killed').length;
  if (!report.ok || terminated + killed !== count) {
    throw new Error(`sweep report: ok=${report.ok}, terminated ${terminated} + killed ${killed} of ${count}`);
  }
  return { ms, reportMs: report.durationMs, killed };
}

/** The graceful, verified stop done by hand: `pkill -TERM`, then polling every 2 ms until all are gone. */
async function timePkillTerm(sandbox, count) {
  const daemons = await sandbox.startDaemons(count, {}, { orphaned: true });
  const t0 = performance.now();
  const { status } = pkillExact(sandbox.name, 'TERM');
  if (status !== 0) throw new Error(`pkill -TERM exited ${status}`);
  await waitGone(daemons.map((d) => d.pid), 10_000);
  return performance.now() - t0;
}

async function timePkill(sandbox, count) {
  const daemons = await sandbox.startDaemons(count, {}, { orphaned: true });
  const pids = daemons.map((d) => d.pid);
  const { ms, status } = pkillExact(sandbox.name);
  if (status !== 0) throw new Error(`pkill exited ${status}`);
  // Outside the timed part: wait until all are gone (or zombies) before the next round.
  const t0 = performance.now();
  await waitGone(pids, 10_000);
  return { ms, untilGoneMs: ms + (performance.now() - t0) };
}

export async function run({ log = console.log } = {}) {
  const sandbox = new Sandbox();
  try {
    log(`kill-cooperative: ${DAEMONS} fake daemons per contender, ${ROUNDS} rounds after a ${WARMUP_DAEMONS}-daemon warm-up`);
    await timeSweep(sandbox, WARMUP_DAEMONS);
    await timePkill(sandbox, WARMUP_DAEMONS);

    const sweepMs = [];
    const sweepParentedMs = [];
    const pkillTermMs = [];
    const sweepReportMs = [];
    const pkillMs = [];
    const pkillUntilGoneMs = [];
    const escalated = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['sweep', 'pkill', 'term', 'parented'] : ['parented', 'term', 'pkill', 'sweep'];
      for (const contender of order) {
        if (contender === 'term') {
          pkillTermMs.push(await timePkillTerm(sandbox, DAEMONS));
        } else if (contender === 'parented') {
          sweepParentedMs.push((await timeSweep(sandbox, DAEMONS, { orphaned: false })).ms);
        } else if (contender === 'sweep') {
          const { ms, reportMs, killed } = await timeSweep(sandbox, DAEMONS);
          escalated.push(killed);
          sweepMs.push(ms);
          sweepReportMs.push(reportMs);
        } else {
          const { ms, untilGoneMs } = await timePkill(sandbox, DAEMONS);
          pkillMs.push(ms);
          pkillUntilGoneMs.push(untilGoneMs);
        }
      }
    }
    const result = {
      daemons: DAEMONS,
      rounds: ROUNDS,
      sweep: stats(sweepMs),
      sweepWithLiveParent: stats(sweepParentedMs),
      sweepReportDurationMs: stats(sweepReportMs),
      pkill: stats(pkillMs),
      pkillUntilGone: stats(pkillUntilGoneMs),
      pkillTermUntilGone: stats(pkillTermMs),
      ratioVsTermUntilGone: ratio(median(sweepMs), median(pkillTermMs)),
      sigkillEscalationsPerRound: escalated,
      ratio: ratio(median(sweepMs), median(pkillMs)),
      ratioWithLiveParent: ratio(median(sweepParentedMs), median(pkillMs)),
      target: 3,
    };
    result.met = result.ratio <= result.target;
    result.summary = [
      `kill-cooperative: sweep ${DAEMONS} (verified) ${fmtMs(median(sweepMs))} (p90 ${fmtMs(percentile(sweepMs, 90))}) vs pkill -9 -x ${fmtMs(median(pkillMs))} (p90 ${fmtMs(percentile(pkillMs, 90))}) → ${result.ratio}x (target ≤ 3x)${result.met ? '' : ' MISSED'}`,
      `  the same by hand, pkill -TERM then polling until all ${DAEMONS} are gone: ${fmtMs(median(pkillTermMs))} (p90 ${fmtMs(percentile(pkillTermMs, 90))}) → sweep ${result.ratioVsTermUntilGone}x that`,
      `  ${DAEMONS} daemons whose parent lives (watched for a respawn for 300 ms): sweep ${fmtMs(median(sweepParentedMs))} (p90 ${fmtMs(percentile(sweepParentedMs, 90))}) → ${result.ratioWithLiveParent}x`,
      `  pkill until all ${DAEMONS} gone (untimed in the ratio): ${fmtMs(median(pkillUntilGoneMs))}; sweep's own durationMs: ${round(median(sweepReportMs), 1)} ms; SIGKILL escalations per round: ${escalated.join(', ')}`,
    ];
    return result;
  } finally {
    await sandbox.cleanup();
  }
}

await runIfMain(import.meta.url, run);
