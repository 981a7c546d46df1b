// 10 fake daemons that ignore SIGTERM: a sweep with graceMs 500 must wait the grace period, then
// SIGKILL and verify. Its wall time is grace + escalation overhead.
import { fmtMs, isGone, runIfMain, median, percentile, round, Sandbox, stats, sweep, timeAsync } from './lib.mjs';

const DAEMONS = 10;
const ROUNDS = 3;
const GRACE_MS = 500;
const TARGET_MS = 650;

async function oneRound(sandbox, count) {
  const daemons = await sandbox.startDaemons(count, { FAKE_MCP_IGNORE_TERM: '1' });
  const pids = daemons.map((d) => d.pid);
  const { ms, value: report } = await timeAsync(() => sweep(sandbox.sweepOptions({ graceMs: GRACE_MS })));
  const notGone = pids.filter((pid) => !isGone(pid));
  if (notGone.length > 0) throw new Error(`sweep left ${notGone.length} daemons running: ${notGone.join(', ')}`);
  const killed = report.processes.filter((p) => p.action === 'killed' && p.signal === 'SIGKILL').length;
  if (!report.ok || killed !== count) throw new Error(`sweep report: ok=${report.ok}, killed ${killed}/${count}`);
  return ms;
}

export async function run({ log = console.log } = {}) {
  const sandbox = new Sandbox();
  try {
    log(`kill-stubborn: ${DAEMONS} daemons ignoring SIGTERM, graceMs ${GRACE_MS}, ${ROUNDS} rounds after a 2-daemon warm-up`);
    await oneRound(sandbox, 2);
    const times = [];
    for (let round = 0; round < ROUNDS; round++) times.push(await oneRound(sandbox, DAEMONS));
    const result = { daemons: DAEMONS, rounds: ROUNDS, graceMs: GRACE_MS, sweep: stats(times), targetMs: TARGET_MS };
    result.overheadMs = round(median(times) - GRACE_MS, 1);
    result.met = median(times) < TARGET_MS;
    result.summary = [
      `kill-stubborn: sweep ${DAEMONS} TERM-ignoring daemons (graceMs ${GRACE_MS}) ${fmtMs(median(times))} (p90 ${fmtMs(percentile(times, 90))}), ${result.overheadMs} ms over the grace (target < ${TARGET_MS} ms)${result.met ? '' : ' MISSED'}`,
    ];
    return result;
  } finally {
    await sandbox.cleanup();
  }
}

await runIfMain(import.meta.url, run);
