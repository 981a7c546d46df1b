// Runs every benchmark in one process, prints a table and the summary lines, and writes
// bench/results.json (the reference run, with machine info). Reports only: timings are never
// asserted, a missed target is printed, not failed. Exits non-zero only if a bench could not run.
//
//   pnpm bench              (builds first)
//   node bench/run.mjs      (uses the existing packages/core/dist)
//   node bench/run.mjs parallel [stack …]   only those benches: their results replace theirs in
//                           results.json, each with the machine info of its own run; the rest is kept
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmtMs, machineInfo } from './lib.mjs';
import * as listing from './listing.mjs';
import * as killCooperative from './kill-cooperative.mjs';
import * as killStubborn from './kill-stubborn.mjs';
import * as descendants from './descendants.mjs';
import * as lifecycle from './lifecycle.mjs';
import * as adapters from './adapters.mjs';
import * as stack from './stack.mjs';
import * as load from './load.mjs';
import * as parallel from './parallel.mjs';
import * as loop from './loop.mjs';

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const allBenches = { listing, killCooperative, killStubborn, descendants, lifecycle, adapters, stack, load, parallel, loop };
const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in allBenches));
if (unknown.length > 0) {
  console.error(`no such bench: ${unknown.join(', ')} (there are: ${Object.keys(allBenches).join(', ')})`);
  process.exit(2);
}
const benches = only.length > 0 ? Object.fromEntries(only.map((name) => [name, allBenches[name]])) : allBenches;

const machine = machineInfo();
console.log(`node ${machine.node}, ${machine.cpuCount} CPUs (${machine.cpuModel}), load ${machine.loadavg.join(' ')}, ${machine.processes} processes\n`);

const results = {};
const failures = [];
for (const [name, bench] of Object.entries(benches)) {
  try {
    results[name] = await bench.run({ log: (line) => console.log(line) });
  } catch (error) {
    failures.push(name);
    results[name] = { error: String(error?.stack ?? error) };
    console.error(`${name} failed: ${error?.stack ?? error}`);
  }
}

const row = (bench, a, b, ratio, target, met) => ({ bench, a, b, ratio, target, met });
const ms = (s) => (s ? `${fmtMs(s.median)} / ${fmtMs(s.p90)}` : '-');
const r = results;
const leakCheckRow = (bench, x) => row(bench, `after ${ms(x?.after)}`, `before ${ms(x?.before)}`, x?.ratio, '< 50 ms', x?.met);
const rows = [
  row('listing (~500 procs)', `sweep dry-run ${ms(r.listing?.sweepDryRun)}`, `find-process ${ms(r.listing?.findProcess)}`, r.listing?.ratio, '≤ 0.25x', r.listing?.met),
  row('/proc read x2/proc', `reused buffer ${ms(r.listing?.reusedBuffer)}`, `readFileSync ${ms(r.listing?.readFileSync)}`, r.listing && Math.round((r.listing.reusedBuffer.median / r.listing.readFileSync.median) * 100) / 100, '-', undefined),
  row('ps spawn+parse', `ps -eo … ${ms(r.listing?.psSpawnParse)}`, '', undefined, '-', undefined),
  row('kill 50 cooperative', `sweep ${ms(r.killCooperative?.sweep)}`, `pkill -9 -x ${ms(r.killCooperative?.pkill)}`, r.killCooperative?.ratio, '≤ 3x', r.killCooperative?.met),
  row('  the same, verified', `sweep ${ms(r.killCooperative?.sweep)}`, `pkill -TERM+poll ${ms(r.killCooperative?.pkillTermUntilGone)}`, r.killCooperative?.ratioVsTermUntilGone, '-', undefined),
  row('  with a live parent', `sweep ${ms(r.killCooperative?.sweepWithLiveParent)}`, `pkill -9 -x ${ms(r.killCooperative?.pkill)}`, r.killCooperative?.ratioWithLiveParent, '-', undefined),
  row('kill 10 stubborn', `sweep grace 500 ${ms(r.killStubborn?.sweep)}`, '', undefined, '< 650 ms', r.killStubborn?.met),
  row('descendants (1+5)', `sweep dry-run ${ms(r.descendants?.sweepDryRun)}`, `tree-kill cb ${ms(r.descendants?.treeKillCallback)}`, r.descendants?.ratioDryVsTreeKill, '-', undefined),
  row('descendants verified', `sweep ${ms(r.descendants?.sweepVerified)}`, `tree-kill+poll ${ms(r.descendants?.treeKillUntilGone)}`, r.descendants?.ratioVerifiedVsTreeKillUntilGone, '-', undefined),
  row('readiness noticed', `startDaemon ${ms(r.lifecycle?.readiness.startDaemon)}`, `0.5 s polling ${ms(r.lifecycle?.readiness.scriptPolling)}`, r.lifecycle?.readiness.ratio, '-', undefined),
  row('watchdog after SIGKILL', `sweep ${ms(r.lifecycle?.watchdog.sweptAfter)}`, '', undefined, '≤ 2000 ms', r.lifecycle?.watchdog.met),
  row('adapter global setup', `startRun ${ms(r.adapters?.hooks.globalSetup)}`, `ps|grep|kill ${ms(r.adapters?.hooks.grepPipeline)}`, r.adapters?.hooks.setupVsPipeline, '-', undefined),
  row('adapter leak check', `nothing leaked ${ms(r.adapters?.hooks.leakCheckClean)}`, `one leak ${ms(r.adapters?.hooks.leakCheckOneLeak)}`, undefined, '-', undefined),
  ...Object.entries(r.adapters?.runners ?? {}).map(([runner, x]) =>
    row(`${runner} run, ${x.files} files`, `with adapter ${ms(x.adapter)}`, `without ${ms(x.plain)}`, x.ratio, '-', undefined),
  ),
  // The leak check that stops one daemon started with startDaemon(): after (respawn window unset, 0
  // in a scoped sweep) against before (300 ms, the old config default), in this process and in each runner.
  leakCheckRow('leak check, one leak: in-process', r.adapters?.hooks?.leakCheckChildLeak),
  ...Object.entries(r.adapters?.runners ?? {}).map(([runner, x]) => leakCheckRow(`leak check, one leak: ${runner}`, x.leakCheck)),
  // The sample stack (daemon → seed → rest → coordinator, web) against the scripts' bash (0.5 s polls,
  // sleep 2, curl loops, pkill -9 -f by name); what each way leaves behind is in the summary lines.
  row('stack up (5 services)', `startStack ${ms(r.stack?.up?.startStack)}`, `script ${ms(r.stack?.up?.script)}`, r.stack?.up?.ratio, '-', undefined),
  row('stack down', `stop() ${ms(r.stack?.down?.stop)}`, `pkill -9 -f ${ms(r.stack?.down?.pkill)}`, r.stack?.down?.ratio, '-', undefined),
  row('stack: up - slowest own readiness', `up - ready ${ms(r.stack?.upMinusReadiness)}`, `slowest ready at ${ms(r.stack?.ownReadiness?.slowest)}`, undefined, '≤ 50 ms', r.stack?.upMinusReadiness?.met),
  row('stack: down - own exit', `stop() - own exit ${ms(r.stack?.downMinusOwnExit)}`, `own exit ${ms(r.stack?.down?.ownExit)}`, undefined, '≤ 50 ms', r.stack?.downMinusOwnExit?.met),
  // 200 leftovers among 1,000 processes, each round in a fresh pid namespace (bench/load.mjs says what pkill does not do).
  row('load: 200 of 1,000 procs', `sweep ${ms(r.load?.sweep)}`, `pkill -9 -x ${ms(r.load?.pkill)}`, r.load?.ratio, '-', undefined),
  row('  pkill until all gone', `sweep ${ms(r.load?.sweep)}`, `pkill -9 + poll ${ms(r.load?.pkillUntilGone)}`, r.load?.ratioVsUntilGone, '-', undefined),
  // Parallel stacks (bench/parallel.mjs): 6 files each waiting 1 s on its worker's REST server; a
  // worker's stack up against its services' own readiness; 10 processes × 20 auto port leases at once.
  row('parallel: 6 I/O-bound files', `3 workers ${ms(r.parallel?.suite?.workers3)}`, `1 worker ${ms(r.parallel?.suite?.workers1)}`, r.parallel?.suite?.ratio, '≤ 0.5x', r.parallel?.suite?.met),
  row('  the same, no adapter or stack', `3 workers ${ms(r.parallel?.suite?.plain?.workers3)}`, `1 worker ${ms(r.parallel?.suite?.plain?.workers1)}`, r.parallel?.suite?.plain?.ratio, '-', undefined),
  row('worker stack: up - slowest own readiness', `up - ready ${ms(r.parallel?.workerReadiness?.worker?.upMinusReadiness)}`, `run stack ${ms(r.parallel?.workerReadiness?.runStack?.upMinusReadiness)}`, undefined, '≤ 50 ms', r.parallel?.workerReadiness?.worker?.upMinusReadiness?.met),
  row('auto port leases, 10 procs × 20', `per lease ${ms(r.parallel?.leases?.contended?.perLease)}`, `1 proc alone ${ms(r.parallel?.leases?.alone?.perLease)}`, r.parallel?.leases?.ratioVsAlone, '≤ 1 ms, 0 dup', r.parallel?.leases?.met),
  // The inner loop (bench/loop.mjs): `npx vitest run` to its first test, reusing `mcp-reaper up`'s stack
  // vs starting its own; the death checks of a 10-file run, every call timed in the run, vs its wall time.
  row('loop: rerun to first test', `reusing up ${ms(r.loop?.firstTest?.reuse)}`, `own stack ${ms(r.loop?.firstTest?.own)}`, r.loop?.firstTest?.ratio, '≤ 0.1x', r.loop?.firstTest?.met),
  row('loop: death checks, 10 files', `checks ${ms(r.loop?.checks?.checksPerRun)}`, `run ${ms(r.loop?.checks?.run)}`, r.loop?.checks?.ratio, '≤ 1.02x', r.loop?.checks?.met),
];
const header = row('benchmark', 'contender A (median / p90)', 'contender B (median / p90)', 'A/B', 'target', 'met');
const cell = (x) => [x.bench, x.a, x.b, x.ratio === undefined ? '' : `${x.ratio}x`, x.target, x.met === undefined ? '' : x.met ? 'yes' : 'NO'];
// Only some benches run: only rows with a figure (every figure prints as "N ms / N ms").
const shown = only.length > 0 ? rows.filter((x) => / ms \/ /.test(`${x.a} ${x.b}`)) : rows;
const cells = [Object.values(header), ...shown.map(cell)];
const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => String(c[i]).length)));
console.log('');
for (const [i, c] of cells.entries()) {
  console.log(c.map((v, k) => String(v).padEnd(widths[k])).join('  ').trimEnd());
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
console.log('');
for (const result of Object.values(results)) for (const line of result.summary ?? []) console.log(line);

if (only.length > 0) {
  // The reference run's other figures stay as they are; each bench run now says on what machine state.
  const kept = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  for (const name of only.filter((n) => !failures.includes(n))) kept.results[name] = { ...results[name], machine };
  fs.writeFileSync(RESULTS, `${JSON.stringify(kept, null, 2)}\n`);
} else {
  fs.writeFileSync(RESULTS, `${JSON.stringify({ machine, results }, null, 2)}\n`);
}
console.log(`\nwrote ${RESULTS}`);
if (failures.length > 0) {
  console.error(`could not run: ${failures.join(', ')}`);
  process.exitCode = 1;
}
