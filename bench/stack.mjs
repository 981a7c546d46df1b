// The sample stack of the integration scripts (daemon → seed → rest → coordinator and web), up (all
// ready) and down (all verified gone), three ways, in alternating rounds on the same sample:
//
// 1. startStack() and stop(): the time from the call to its promise.
// 2. The scripts' way, a bash script written as the run-ucNNN-test.sh scripts are: the daemon in the
//    background with a custom socket and a 0.5 s socket poll (10 tries), the seed, rest in the
//    background with a `curl` loop on /health (sleep 0.5), the coordinator then `sleep 2`, web with
//    the same `curl` loop; "up" when it prints that everything runs. "down" is `pkill -9 -f <name>`
//    for each service name, until the last pkill returns (never verified).
// 3. By hand with 1 ms polls, no library: each service started in the same order as soon as the one
//    before it is ready (socket file there, exit, TCP accept, ready line), then SIGTERM to each group
//    in stop()'s order (coordinator and web, then rest, then the daemon), /proc polled every 1 ms
//    until each is gone. This round gives the services' own exit time, the floor for "down".
//
// "Own readiness", for the up target, is observed in the stack round itself, without a probe of our
// own competing for the CPU: every service's log (a named `logFile`) ends with its readiness line
// ("listening on", "seeded" before the seed exits, "coordinator ready"), so the log's mtime once the
// stack is up is when the service became ready (the last line is checked). "up - own readiness" is
// the moment startStack() resolved minus the latest of those. File times can lag a write by up to a
// kernel tick (a few ms), which only makes that figure larger. The by-hand round's up is reported
// too: the floor of the whole chain, with 1 ms noticing and no checks of ports or sockets.
//
// Targets (the issue's): up within 50 ms of the slowest service's own readiness; down within the
// services' own exit time plus 50 ms. Processes of the sample still alive right after each way's
// down are counted (by pid and by command lines naming the sandbox), then killed by the bench.
//
// Every fake runs behind a wrapper named after a fresh unique name (its kernel name), none of them
// the sandbox's name, so that the script's `pkill -f <name>` matches one service only.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { core, fmtMs, isGone, median, pause, percentile, ratio, readCmdline, REPO, round, runIfMain, Sandbox, stats, uniqueName } from './lib.mjs';

const ROUNDS = 7;
const UP_TARGET_MS = 50;
const DOWN_TARGET_MS = 50;
const SEED_MS = 20;
const SERVICES = ['daemon', 'seed', 'rest', 'coordinator', 'web'];
const FIXTURES = {
  daemon: 'fake-mcp-server-pm.mjs',
  seed: 'fake-seed.mjs',
  rest: 'fake-rest-server-pm.mjs',
  coordinator: 'fake-coordinator.mjs',
  web: 'fake-rest-server-pm.mjs', // a second REST fake on its own port, standing in for Vite
};
/** The line each service writes when it becomes ready: the last of its log once the stack is up. */
const READY_LINE = {
  daemon: /listening on /,
  seed: /^seeded$/,
  rest: /listening on /,
  coordinator: /^coordinator ready$/,
  web: /listening on /,
};
/** stop()'s order: dependents first (coordinator and web together), the seed has exited already. */
const STOP_ORDER = [['coordinator', 'web'], ['rest'], ['daemon']];

/** Wall-clock time with sub-millisecond precision, comparable with file times. */
const wallNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// Setup and probes.

/** A wrapper for one fixture, named after a fresh unique name (its kernel name), in the sandbox. */
function installFake(sandbox, fixture, taken) {
  let name;
  do name = uniqueName();
  while (taken.has(name));
  taken.add(name);
  if (!/^mcpb-[0-9a-f]{6}$/.test(name)) throw new Error(`unexpected fake name ${name}`);
  const bin = path.join(sandbox.binDir, name);
  const url = pathToFileURL(path.join(REPO, 'test/fixtures', fixture)).href;
  fs.writeFileSync(bin, `#!${process.execPath}\nimport(${JSON.stringify(url)});\n`, { mode: 0o755 });
  return { name, bin };
}

/** A port that was free a moment ago (listen on 0, read it, close). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether 127.0.0.1:port accepts a connection. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isSocket(file) {
  try {
    return fs.statSync(file).isSocket();
  } catch {
    return false;
  }
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function lastLine(file) {
  const lines = readText(file).split('\n').filter((l) => l.trim() !== '');
  return lines.at(-1) ?? '';
}

/** Polls `check` every 1 ms until it is true; fails if `child` exits first or after 10 s. */
async function pollEveryMs(check, what, child) {
  const deadline = performance.now() + 10_000;
  while (!(await check())) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${what}: exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    if (performance.now() > deadline) throw new Error(`${what}: not ready after 10 s`);
    await pause(1);
  }
}

/**
 * Gone with all its threads. A SIGKILLed Node's main thread can show as a zombie while its other
 * threads are still exiting, and they hold its files: its listening port still accepts meanwhile.
 */
function fullyGone(pid) {
  if (!isGone(pid)) return false;
  let tasks;
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tasks.every((tid) => isGone(Number(tid)));
}

/** Processes of the sample still alive: the given pids, plus any whose command line names the sandbox. */
function aliveOfSample(sandbox, pids, exclude = []) {
  const alive = new Set(pids.filter((pid) => !fullyGone(pid)));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || exclude.includes(pid) || isGone(pid)) continue;
    if (readCmdline(pid)?.includes(sandbox.tmp)) alive.add(pid);
  }
  return [...alive];
}

/**
 * What a way left right after its down: processes (the known pids first, a few stat reads, before the
 * slower scan of every command line), the daemon's socket file, ports still accepting.
 */
async function leftovers(sandbox, pids, socketPath, ports, exclude = []) {
  const byPid = pids.filter((pid) => !fullyGone(pid));
  const processes = new Set([...byPid, ...aliveOfSample(sandbox, pids, exclude)]).size;
  const socketFile = fs.existsSync(socketPath) ? 1 : 0;
  let portsOpen = 0;
  for (const port of ports) if (await accepts(port)) portsOpen++;
  return { processes, socketFile, portsOpen };
}

async function freshSample(sandbox, kind, id) {
  const dir = path.join(sandbox.tmp, 'rounds', `${kind}-${id}`);
  fs.mkdirSync(dir, { recursive: true });
  return {
    dir,
    socket: path.join(sandbox.tmp, 'run', `${kind}-${id}.sock`),
    ports: { rest: await freePort(), web: await freePort() },
    log: (service) => path.join(dir, `${service}.log`),
  };
}

// ---------------------------------------------------------------------------------------------
// 1. startStack() and stop().

async function stackRound(sandbox, fakes, id) {
  const sample = await freshSample(sandbox, 'stack', id);
  const { rest: restPort, web: webPort } = sample.ports;
  const services = {
    daemon: {
      command: [fakes.daemon.bin, 'daemon', '--socket-path', sample.socket, '--foreground'],
      env: { XDG_DATA_HOME: sandbox.tmp },
      ready: { socket: sample.socket },
      logFile: sample.log('daemon'),
    },
    seed: { command: [fakes.seed.bin], env: { FAKE_SEED_MS: String(SEED_MS) }, dependsOn: ['daemon'], ready: { exit: 0 }, logFile: sample.log('seed') },
    rest: {
      command: [fakes.rest.bin],
      env: { AIAGENTPM_WEBSERVER_PORT: String(restPort), MCP_SOCKET: '${stack.daemon.socket}' },
      dependsOn: ['seed'],
      ready: { url: `http://127.0.0.1:${restPort}/health` },
      logFile: sample.log('rest'),
    },
    coordinator: { command: [fakes.coordinator.bin], env: { REST_URL: '${stack.rest.url}' }, dependsOn: ['rest'], ready: { line: 'coordinator ready' }, logFile: sample.log('coordinator') },
    web: { command: [fakes.web.bin, '--port', String(webPort)], dependsOn: ['rest'], ready: { url: `http://127.0.0.1:${webPort}/` }, logFile: sample.log('web') },
  };
  const calledAt = wallNow();
  const t0 = performance.now();
  const stack = await core.startStack({ services, owner: `bench-${sandbox.name}`, names: [fakes.daemon.name] });
  const up = performance.now() - t0;
  const upAt = wallNow();
  const pids = Object.values(stack.services).map((s) => s.pid);
  for (const pid of pids) sandbox.extraPids.add(pid);

  const readyAt = {};
  for (const service of SERVICES) {
    const line = lastLine(sample.log(service));
    if (!READY_LINE[service].test(line)) throw new Error(`stack round ${id}: the log of ${service} ends with "${line}", not its ready line`);
    readyAt[service] = fs.statSync(sample.log(service)).mtimeMs - calledAt;
  }
  const slowest = SERVICES.reduce((a, b) => (readyAt[b] > readyAt[a] ? b : a));

  const t1 = performance.now();
  const report = await stack.stop();
  const down = performance.now() - t1;
  const left = await leftovers(sandbox, pids, sample.socket, [restPort, webPort]);
  const stopMs = Object.fromEntries(report.services.map((s) => [s.name, s.report.durationMs]));
  if (!report.ok) throw new Error(`stack round ${id}: stop() was not clean: ${JSON.stringify(report.services.filter((s) => !s.ok))}`);
  return { up, down, readyAt, slowest, upMinusReady: upAt - calledAt - readyAt[slowest], left, stopMs };
}

// ---------------------------------------------------------------------------------------------
// 2. The scripts' way.

function scriptText(fakes, sample) {
  const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
  const vars = {
    LOGS: sample.dir,
    SOCK: sample.socket,
    REST_PORT: sample.ports.rest,
    WEB_PORT: sample.ports.web,
    ...Object.fromEntries(SERVICES.flatMap((s) => [[`${s.toUpperCase()}_BIN`, fakes[s].bin], [`${s.toUpperCase()}_NAME`, fakes[s].name]])),
  };
  return `#!/bin/bash
# The integration scripts' way (run-ucNNN-test.sh). Everything is set here, none of it on the command
# line: the script's own command line must not carry a service name, or pkill -f would match it.
${Object.entries(vars)
  .map(([k, v]) => `${k}=${q(v)}`)
  .join('\n')}

"$DAEMON_BIN" daemon --socket-path "$SOCK" --foreground > "$LOGS/daemon.log" 2>&1 &
echo "pid daemon $!"
for i in $(seq 1 10); do [ -S "$SOCK" ] && break; sleep 0.5; done

FAKE_SEED_MS=${SEED_MS} "$SEED_BIN" > "$LOGS/seed.log" 2>&1 || { echo "seed failed"; exit 1; }

AIAGENTPM_WEBSERVER_PORT=$REST_PORT MCP_SOCKET="$SOCK" "$REST_BIN" > "$LOGS/rest.log" 2>&1 &
echo "pid rest $!"
for i in $(seq 1 10); do curl -sf "http://127.0.0.1:$REST_PORT/health" > /dev/null && break; sleep 0.5; done

REST_URL="http://127.0.0.1:$REST_PORT/health" "$COORDINATOR_BIN" > "$LOGS/coordinator.log" 2>&1 &
echo "pid coordinator $!"
sleep 2

"$WEB_BIN" --port "$WEB_PORT" > "$LOGS/web.log" 2>&1 &
echo "pid web $!"
for i in $(seq 1 10); do curl -sf "http://127.0.0.1:$WEB_PORT/" > /dev/null && break; sleep 0.5; done
echo "all services running"

read -r _   # the tests run here
pkill -9 -f "$DAEMON_NAME"
pkill -9 -f "$SEED_NAME"
pkill -9 -f "$REST_NAME"
pkill -9 -f "$COORDINATOR_NAME"
pkill -9 -f "$WEB_NAME"
echo "down"
`;
}

async function scriptRound(sandbox, fakes, id) {
  const sample = await freshSample(sandbox, 'script', id);
  const file = path.join(sample.dir, 'run-stack-test.sh');
  fs.writeFileSync(file, scriptText(fakes, sample), { mode: 0o755 });
  const t0 = performance.now();
  const bash = spawn('bash', [file], { stdio: ['pipe', 'pipe', 'pipe'] });
  sandbox.children.push(bash);
  let stderr = '';
  bash.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = readline.createInterface({ input: bash.stdout })[Symbol.asyncIterator]();
  const pids = [];
  const until = async (wanted) => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`script round ${id}: the script ended before "${wanted}"; stderr: ${stderr.trim()}`);
      const pid = /^pid \w+ (\d+)$/.exec(value);
      if (pid) pids.push(Number(pid[1]));
      else if (value === wanted) return;
    }
  };
  await until('all services running');
  const up = performance.now() - t0;
  for (const pid of pids) sandbox.extraPids.add(pid);
  const servicesUp = pids.filter((pid) => !isGone(pid)).length;

  const t1 = performance.now();
  // On the side, every 1 ms: when every process the script started is really gone (it never looks).
  let goneAfter = Infinity;
  const watcher = (async () => {
    while (pids.some((pid) => !fullyGone(pid)) && performance.now() - t1 < 5_000) await pause(1);
    if (pids.every((pid) => fullyGone(pid))) goneAfter = performance.now() - t1;
  })();
  bash.stdin.end('\n');
  await until('down');
  const down = performance.now() - t1;
  const left = await leftovers(sandbox, pids, sample.socket, [sample.ports.rest, sample.ports.web], [bash.pid]);
  await watcher;
  if (bash.exitCode === null && bash.signalCode === null) await new Promise((resolve) => bash.once('exit', resolve));
  await pause(200);
  const settled = aliveOfSample(sandbox, pids).length;
  // Our cleanup, not the script's: anything of the sample still there (command line names the sandbox).
  const killed = sandbox.killStraysSync().length;
  fs.rmSync(sample.socket, { force: true }); // the stale socket SIGKILL leaves
  return { up, down, goneAfter, servicesUp, left, settled, killed };
}

// ---------------------------------------------------------------------------------------------
// 3. By hand with 1 ms polls: the floor for up, and the services' own exit time after SIGTERM.

function spawnLogged(sandbox, file, args, logPath, env = {}) {
  const fd = fs.openSync(logPath, 'a');
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    child.on('error', () => {});
    sandbox.children.push(child);
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

async function byHandRound(sandbox, fakes, id) {
  const sample = await freshSample(sandbox, 'hand', id);
  const { rest: restPort, web: webPort } = sample.ports;
  const started = {};
  const t0 = performance.now();
  started.daemon = spawnLogged(sandbox, fakes.daemon.bin, ['daemon', '--socket-path', sample.socket, '--foreground'], sample.log('daemon'), { XDG_DATA_HOME: sandbox.tmp });
  await pollEveryMs(() => isSocket(sample.socket), 'daemon', started.daemon);
  started.seed = spawnLogged(sandbox, fakes.seed.bin, [], sample.log('seed'), { FAKE_SEED_MS: String(SEED_MS) });
  const seedCode = await new Promise((resolve) => started.seed.once('exit', (code) => resolve(code)));
  if (seedCode !== 0) throw new Error(`by hand round ${id}: the seed exited with ${seedCode}`);
  started.rest = spawnLogged(sandbox, fakes.rest.bin, [], sample.log('rest'), { AIAGENTPM_WEBSERVER_PORT: String(restPort), MCP_SOCKET: sample.socket });
  await pollEveryMs(() => accepts(restPort), 'rest', started.rest);
  started.coordinator = spawnLogged(sandbox, fakes.coordinator.bin, [], sample.log('coordinator'), { REST_URL: `http://127.0.0.1:${restPort}/health` });
  started.web = spawnLogged(sandbox, fakes.web.bin, ['--port', String(webPort)], sample.log('web'));
  await Promise.all([
    pollEveryMs(() => readText(sample.log('coordinator')).includes('coordinator ready\n'), 'coordinator', started.coordinator),
    pollEveryMs(() => accepts(webPort), 'web', started.web),
  ]);
  const up = performance.now() - t0;

  const exitMs = {};
  const t1 = performance.now();
  for (const step of STOP_ORDER) {
    await Promise.all(
      step.map(async (service) => {
        const { pid } = started[service];
        const sent = performance.now();
        process.kill(-pid, 'SIGTERM');
        while (!fullyGone(pid)) {
          if (performance.now() - sent > 5_000) throw new Error(`by hand round ${id}: ${service} still running 5 s after SIGTERM`);
          await pause(1);
        }
        exitMs[service] = performance.now() - sent;
      }),
    );
  }
  const down = performance.now() - t1;
  const pids = Object.values(started).map((c) => c.pid);
  const left = aliveOfSample(sandbox, pids).length;
  if (left > 0) throw new Error(`by hand round ${id}: ${left} processes left after SIGTERM`);
  fs.rmSync(sample.socket, { force: true });
  return { up, down, exitMs };
}

// ---------------------------------------------------------------------------------------------

const sum = (values) => values.reduce((a, b) => a + b, 0);
const signedMs = (ms) => `${ms < 0 ? '-' : '+'}${fmtMs(Math.abs(ms))}`;

export async function run({ log = console.log } = {}) {
  const sandbox = new Sandbox();
  try {
    const taken = new Set([sandbox.name]);
    const fakes = Object.fromEntries(SERVICES.map((s) => [s, installFake(sandbox, FIXTURES[s], taken)]));
    log(`stack: 5 services (daemon → seed → rest → coordinator, web), ${ROUNDS} rounds each way (alternating, after a warm-up): startStack, the scripts' bash, by hand with 1 ms polls`);
    await stackRound(sandbox, fakes, 'warm');
    await byHandRound(sandbox, fakes, 'warm');
    const stackRounds = [];
    const scriptRounds = [];
    const handRounds = [];
    for (let i = 0; i < ROUNDS; i++) {
      stackRounds.push(await stackRound(sandbox, fakes, i));
      scriptRounds.push(await scriptRound(sandbox, fakes, i));
      handRounds.push(await byHandRound(sandbox, fakes, i));
      const s = stackRounds.at(-1);
      const b = scriptRounds.at(-1);
      const h = handRounds.at(-1);
      log(
        `  round ${i}: up ${fmtMs(s.up)} / script ${fmtMs(b.up)} / by hand ${fmtMs(h.up)}; down ${fmtMs(s.down)} / pkill ${fmtMs(b.down)} (gone ${fmtMs(b.goneAfter)}) / own exit ${fmtMs(h.down)}; left ${s.left.processes} / ${b.left.processes}`,
      );
    }

    const pick = (rounds, key) => rounds.map((r) => r[key]);
    const stackUp = pick(stackRounds, 'up');
    const stackDown = pick(stackRounds, 'down');
    const scriptUp = pick(scriptRounds, 'up');
    const scriptDown = pick(scriptRounds, 'down');
    const handUp = pick(handRounds, 'up');
    const ownExit = pick(handRounds, 'down');
    const upMinusReady = pick(stackRounds, 'upMinusReady');
    // Rounds i of both ways ran next to each other: their difference, round by round.
    const downMinusOwn = stackDown.map((d, i) => d - ownExit[i]);
    const upMinusHand = stackUp.map((u, i) => u - handUp[i]);
    const slowestReady = stackRounds.map((r) => r.readyAt[r.slowest]);
    const leftOf = (rounds, key) => ({
      processes: rounds.map((r) => r.left.processes),
      socketFiles: sum(rounds.map((r) => r.left.socketFile)),
      portsOpen: sum(rounds.map((r) => r.left.portsOpen)),
      ...(key && { [key]: rounds.map((r) => r[key]) }),
    });

    const result = {
      rounds: ROUNDS,
      up: {
        startStack: stats(stackUp),
        script: stats(scriptUp),
        byHand: stats(handUp),
        ratio: ratio(median(stackUp), median(scriptUp)),
        overByHand: stats(upMinusHand),
      },
      down: {
        stop: stats(stackDown),
        pkill: stats(scriptDown),
        pkillUntilGone: stats(pick(scriptRounds, 'goneAfter')),
        ownExit: stats(ownExit),
        ratio: ratio(median(stackDown), median(scriptDown)),
      },
      ownReadiness: {
        slowest: stats(slowestReady),
        slowestService: Object.fromEntries(SERVICES.map((s) => [s, stackRounds.filter((r) => r.slowest === s).length]).filter(([, n]) => n > 0)),
        perService: Object.fromEntries(SERVICES.map((s) => [s, round(median(stackRounds.map((r) => r.readyAt[s])))])),
      },
      stopPerService: Object.fromEntries(SERVICES.map((s) => [s, stats(stackRounds.map((r) => r.stopMs[s]))])),
      ownExitPerService: Object.fromEntries(STOP_ORDER.flat().map((s) => [s, stats(handRounds.map((r) => r.exitMs[s]))])),
      upMinusReadiness: { ...stats(upMinusReady), targetMs: UP_TARGET_MS, met: median(upMinusReady) <= UP_TARGET_MS },
      downMinusOwnExit: { ...stats(downMinusOwn), targetMs: DOWN_TARGET_MS, met: median(downMinusOwn) <= DOWN_TARGET_MS },
      left: {
        startStack: leftOf(stackRounds),
        script: { ...leftOf(scriptRounds), after200ms: pick(scriptRounds, 'settled'), killedByBench: pick(scriptRounds, 'killed'), runningAtUp: pick(scriptRounds, 'servicesUp') },
      },
    };
    const countText = (counts) => (counts.every((n) => n === counts[0]) ? `${counts[0]}` : `${median(counts)} (${Math.min(...counts)}–${Math.max(...counts)})`);
    const ls = result.left.startStack;
    const lb = result.left.script;
    result.summary = [
      `stack: up ${fmtMs(median(stackUp))} (p90 ${fmtMs(percentile(stackUp, 90))}) with startStack() vs ${fmtMs(median(scriptUp))} for the scripts' polls and sleeps → ${result.up.ratio}x; by hand with 1 ms polls ${fmtMs(median(handUp))} (startStack ${signedMs(median(upMinusHand))} round by round; Node's start-up varies more)`,
      `stack: up resolved ${fmtMs(median(upMinusReady))} (p90 ${fmtMs(percentile(upMinusReady, 90))}) after the slowest service's own readiness (at ${fmtMs(median(slowestReady))}) (target ≤ ${UP_TARGET_MS} ms)${result.upMinusReadiness.met ? '' : ' MISSED'}`,
      `stack: down ${fmtMs(median(stackDown))} (p90 ${fmtMs(percentile(stackDown, 90))}) with stop(), graceful and verified, vs ${fmtMs(median(scriptDown))} for pkill -9 -f by name (unverified; gone after ${fmtMs(result.down.pkillUntilGone.median)}) → ${result.down.ratio}x`,
      `stack: stop() took ${fmtMs(median(downMinusOwn))} (p90 ${fmtMs(percentile(downMinusOwn, 90))}) more than the services' own exit after SIGTERM in the same order (${fmtMs(median(ownExit))}) (target ≤ ${DOWN_TARGET_MS} ms)${result.downMinusOwnExit.met ? '' : ' MISSED'}`,
      `stack: left right after down, in ${ROUNDS} rounds: startStack ${countText(ls.processes)} processes per round, ${ls.socketFiles} socket files, ${ls.portsOpen} ports still accepting; the script ${countText(lb.processes)} processes per round (of ${countText(lb.runningAtUp)} running), ${lb.socketFiles} stale socket files, ${lb.portsOpen} ports still accepting, and ${countText(lb.after200ms)} processes 200 ms later`,
    ];
    return result;
  } finally {
    await sandbox.cleanup();
  }
}

await runIfMain(import.meta.url, run);
