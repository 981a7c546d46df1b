// Listing a ~500-process table: a dry-run sweep (one /proc scan, nothing to do) vs one find-process
// lookup by name. Plus, for docs/decisions.md: reading /proc with readFileSync vs open+read into a
// reused buffer, and spawning + parsing `ps -eo pid,ppid,pgid,comm,args`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import find from 'find-process';
import { countProcesses, fmtMs, runIfMain, ratio, Sandbox, stats, sweep, timeAsync } from './lib.mjs';

const execFileAsync = promisify(execFile);
const TARGET_PROCESSES = 500;
const ITERATIONS = 25;
const WARMUP = 3;

// --- the two ways of reading /proc/PID/{stat,cmdline} -----------------------------------------

function pids() {
  return fs.readdirSync('/proc').filter((e) => e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57);
}

function readAllWithReadFileSync() {
  let bytes = 0;
  for (const pid of pids()) {
    for (const file of ['stat', 'cmdline']) {
      try {
        bytes += fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').length;
      } catch {
        // exited meanwhile
      }
    }
  }
  return bytes;
}

/** readFileSync without an encoding: Node then fstat()s and returns a Buffer (decoded here). */
function readAllWithReadFileSyncBuffer() {
  let bytes = 0;
  for (const pid of pids()) {
    for (const file of ['stat', 'cmdline']) {
      try {
        bytes += fs.readFileSync(`/proc/${pid}/${file}`).toString('utf8').length;
      } catch {
        // exited meanwhile
      }
    }
  }
  return bytes;
}

const buffer = Buffer.allocUnsafe(128 * 1024);
function readReused(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0 || (length += n) === buffer.length) break;
    }
    return buffer.toString('utf8', 0, length);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function readAllWithReusedBuffer() {
  let bytes = 0;
  for (const pid of pids()) {
    for (const file of ['stat', 'cmdline']) bytes += readReused(`/proc/${pid}/${file}`)?.length ?? 0;
  }
  return bytes;
}

/** Only /proc/PID/stat (name, state, ppid, pgid, start time), reused buffer: the floor of a scan. */
function readStatOnlyWithReusedBuffer() {
  let bytes = 0;
  for (const pid of pids()) bytes += readReused(`/proc/${pid}/stat`)?.length ?? 0;
  return bytes;
}

async function psSpawnAndParse() {
  const { stdout } = await execFileAsync('ps', ['-eo', 'pid,ppid,pgid,comm,args'], { maxBuffer: 64 * 1024 * 1024 });
  const rows = [];
  const lines = stdout.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(lines[i]);
    if (m) rows.push({ pid: +m[1], ppid: +m[2], pgid: +m[3], comm: m[4], args: m[5] });
  }
  return rows;
}

/** Runs the contenders round-robin (order rotated every iteration) and returns their timings. */
async function alternate(contenders, iterations, warmup) {
  const names = Object.keys(contenders);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < warmup + iterations; i++) {
    const order = names.map((_, k) => names[(i + k) % names.length]);
    for (const name of order) {
      const { ms } = await timeAsync(contenders[name]);
      if (i >= warmup) times[name].push(ms);
    }
  }
  return times;
}

export async function run({ log = console.log } = {}) {
  const sandbox = new Sandbox();
  try {
    // Top up until the table really holds TARGET_PROCESSES: zombies that pid 1 reaps late leave
    // the table while the sleepers start, so one fill computed at the start can fall far short.
    let fill = 0;
    for (let round = 0; round < 10 && countProcesses() < TARGET_PROCESSES; round++) {
      const before = countProcesses();
      const more = TARGET_PROCESSES - before;
      sandbox.spawnSleepers(more);
      fill += more;
      // Wait until they have exec'd (comm "sleep"), so every iteration sees the same table.
      const deadline = performance.now() + 30_000;
      while (performance.now() < deadline && countProcesses() < before + more) await new Promise((r) => setTimeout(r, 5));
    }
    const processCount = countProcesses();
    log(`listing: ${processCount} processes in /proc (${fill} sleep 600 added), ${ITERATIONS} iterations each after ${WARMUP} warm-up`);

    const options = sandbox.sweepOptions({ dryRun: true });
    let sweepFound = 0;
    let findFound = 0;
    const main = await alternate(
      {
        sweepDryRun: async () => {
          const report = await sweep(options);
          sweepFound += report.processes.length;
        },
        findProcess: async () => {
          findFound += (await find('name', sandbox.name)).length;
        },
      },
      ITERATIONS,
      WARMUP,
    );
    if (sweepFound !== 0 || findFound !== 0) throw new Error(`expected nothing to find (sweep ${sweepFound}, find-process ${findFound})`);

    const reads = await alternate(
      {
        readFileSync: readAllWithReadFileSync,
        readFileSyncBuffer: readAllWithReadFileSyncBuffer,
        reusedBuffer: readAllWithReusedBuffer,
        statOnly: readStatOnlyWithReusedBuffer,
      },
      ITERATIONS,
      WARMUP,
    );
    const ps = await alternate({ psSpawnParse: psSpawnAndParse }, ITERATIONS, WARMUP);

    const result = {
      processCount,
      iterations: ITERATIONS,
      sweepDryRun: stats(main.sweepDryRun),
      findProcess: stats(main.findProcess),
      readFileSync: stats(reads.readFileSync),
      readFileSyncBuffer: stats(reads.readFileSyncBuffer),
      reusedBuffer: stats(reads.reusedBuffer),
      statOnlyReusedBuffer: stats(reads.statOnly),
      psSpawnParse: stats(ps.psSpawnParse),
    };
    result.ratio = ratio(result.sweepDryRun.median, result.findProcess.median);
    result.readRatio = ratio(result.readFileSync.median, result.reusedBuffer.median);
    result.readBufferRatio = ratio(result.readFileSyncBuffer.median, result.reusedBuffer.median);
    result.target = 0.25;
    result.met = result.ratio <= result.target;
    result.summary = [
      `listing: sweep dry-run ${fmtMs(result.sweepDryRun.median)} (p90 ${fmtMs(result.sweepDryRun.p90)}) vs find-process ${fmtMs(result.findProcess.median)} (p90 ${fmtMs(result.findProcess.p90)}) → ${result.ratio}x (target ≤ 0.25x)${result.met ? '' : ' MISSED'}`,
      `  /proc stat+cmdline x${processCount}: readFileSync(utf8) ${fmtMs(result.readFileSync.median)} / readFileSync→Buffer ${fmtMs(result.readFileSyncBuffer.median)} vs open+read into reused buffer ${fmtMs(result.reusedBuffer.median)} → ${result.readRatio}x / ${result.readBufferRatio}x; stat only ${fmtMs(result.statOnlyReusedBuffer.median)}`,
      `  ps -eo pid,ppid,pgid,comm,args spawn+parse: ${fmtMs(result.psSpawnParse.median)} (p90 ${fmtMs(result.psSpawnParse.p90)})`,
    ];
    return result;
  } finally {
    await sandbox.cleanup();
  }
}

await runIfMain(import.meta.url, run);
