// The daemon lifecycle for tests:
// 1. How soon startDaemon() notices that a daemon can answer, against the integration scripts' way
//    (poll for the socket file every 0.5 s, then go on).
// 2. How soon the crash-safety watchdog sweeps after the runner's whole process group is SIGKILLed
//    (target: within 2 s).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { core, coreUrl, fmtMs, isGone, runIfMain, median, pause, percentile, ratio, Sandbox, stats } from './lib.mjs';

const ROUNDS = 7;
const WATCHDOG_ROUNDS = 3;
const SCRIPT_POLL_MS = 500;
const WATCHDOG_TARGET_MS = 2000;

/** Wall-clock time with sub-millisecond precision, comparable with file times. */
const wallNow = () => performance.timeOrigin + performance.now();

/** When the fake started listening: it writes its ready file right after. */
const listenedAt = (readyPath) => fs.statSync(readyPath).mtimeMs;

async function readinessRound(sandbox, id) {
  const readyPath = path.join(sandbox.tmp, 'run', `start-${id}.ready`);
  const socketPath = path.join(sandbox.tmp, 'run', `start-${id}.sock`);
  const daemon = await core.startDaemon({
    command: sandbox.bin,
    dir: sandbox.stateDir,
    socketPath,
    env: { XDG_DATA_HOME: sandbox.tmp, FAKE_MCP_READY_FILE: readyPath },
  });
  const lag = wallNow() - listenedAt(readyPath);
  await daemon.stop();
  return lag;
}

/** The integration scripts' way: start, then look for the socket every 0.5 s. */
async function scriptRound(sandbox, id) {
  const readyPath = path.join(sandbox.tmp, 'run', `script-${id}.ready`);
  const socketPath = path.join(sandbox.tmp, 'run', `script-${id}.sock`);
  const child = spawn(sandbox.bin, ['daemon', '--foreground', '--socket-path', socketPath], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, XDG_DATA_HOME: sandbox.tmp, FAKE_MCP_READY_FILE: readyPath },
  });
  sandbox.children.push(child);
  while (!fs.existsSync(socketPath)) await pause(SCRIPT_POLL_MS);
  const seenAt = wallNow();
  while (!fs.existsSync(readyPath)) await pause(1);
  const lag = seenAt - listenedAt(readyPath);
  await core.sweep(sandbox.sweepOptions({ respawnWindowMs: 0 }));
  return lag;
}

async function watchdogRound(sandbox, id) {
  const run = `run-${sandbox.name}-${id}`;
  const marker = path.join(sandbox.tmp, 'run', `runner-${id}.json`);
  const ready = path.join(sandbox.tmp, 'run', `runner-daemon-${id}.ready`);
  const runner = path.join(sandbox.tmp, 'run', `runner-${id}.mjs`);
  fs.writeFileSync(
    runner,
    `import { spawn } from 'node:child_process';
import fs from 'node:fs';
const { startWatchdog } = await import(${JSON.stringify(coreUrl)});
const watchdog = await startWatchdog({ owner: ${JSON.stringify(run)}, names: [${JSON.stringify(sandbox.name)}], dir: ${JSON.stringify(sandbox.stateDir)} });
spawn(${JSON.stringify(sandbox.bin)}, ['daemon', '--foreground', '--socket-path', ${JSON.stringify(path.join(sandbox.tmp, 'run', `runner-${id}.sock`))}], {
  detached: true, stdio: 'ignore',
  env: { ...process.env, XDG_DATA_HOME: ${JSON.stringify(sandbox.tmp)}, MCP_REAPER_OWNER: ${JSON.stringify(`${run}/w1`)}, FAKE_MCP_READY_FILE: ${JSON.stringify(ready)} },
}).unref();
while (!fs.existsSync(${JSON.stringify(ready)})) await new Promise((resolve) => setTimeout(resolve, 5));
fs.writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ watchdog: watchdog.pid, daemon: JSON.parse(fs.readFileSync(${JSON.stringify(ready)}, 'utf8')).pid }));
setInterval(() => {}, 1e6);
`,
  );
  const child = spawn(process.execPath, [runner], { detached: true, stdio: 'ignore' });
  sandbox.children.push(child);
  while (!fs.existsSync(marker)) await pause(5);
  const { watchdog, daemon } = JSON.parse(fs.readFileSync(marker, 'utf8'));
  sandbox.extraPids.add(watchdog);
  const killedAt = performance.now();
  process.kill(-child.pid, 'SIGKILL');
  while (!isGone(daemon)) {
    if (performance.now() - killedAt > 30_000) throw new Error(`the watchdog did not sweep daemon ${daemon} within 30 s`);
    await pause(1);
  }
  return performance.now() - killedAt;
}

export async function run({ log = console.log } = {}) {
  const sandbox = new Sandbox();
  try {
    log(`lifecycle: readiness ${ROUNDS} rounds each (alternating), watchdog ${WATCHDOG_ROUNDS} rounds`);
    await readinessRound(sandbox, 'warm');
    const ours = [];
    const scripts = [];
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await readinessRound(sandbox, i));
      scripts.push(await scriptRound(sandbox, i));
    }
    const swept = [];
    for (let i = 0; i < WATCHDOG_ROUNDS; i++) swept.push(await watchdogRound(sandbox, i));

    const result = {
      readiness: { startDaemon: stats(ours), scriptPolling: stats(scripts), ratio: ratio(median(ours), median(scripts)) },
      watchdog: { sweptAfter: stats(swept), targetMs: WATCHDOG_TARGET_MS, met: median(swept) <= WATCHDOG_TARGET_MS },
    };
    result.summary = [
      `lifecycle: startDaemon noticed readiness ${fmtMs(median(ours))} (p90 ${fmtMs(percentile(ours, 90))}) after the daemon listened, vs ${fmtMs(median(scripts))} for 0.5 s socket polling → ${result.readiness.ratio}x`,
      `lifecycle: watchdog swept the run's daemon ${fmtMs(median(swept))} (p90 ${fmtMs(percentile(swept, 90))}) after the runner's group was SIGKILLed (target ≤ ${WATCHDOG_TARGET_MS} ms)${result.watchdog.met ? '' : ' MISSED'}`,
    ];
    return result;
  } finally {
    await sandbox.cleanup();
  }
}

await runIfMain(import.meta.url, run);
