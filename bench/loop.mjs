// The inner loop: what `mcp-reaper up` saves a rerun, and what watching the stack's services costs.
// Two figures, each from whole Vitest 4 runs of a sample project outside the repo (Vitest from the
// registry, our packages from `pnpm pack`, as bench/parallel.mjs installs them):
//
// 1. Launch to first test, reusing an `up`'s stack vs starting it. The project's
//    mcp-reaper.config.json holds the 5-service stack of bench/stack.mjs, run-scoped, on the same
//    fakes with the same readiness checks: daemon (a socket answer) → seed (exit 0) → rest
//    (GET /health) → coordinator (the "coordinator ready" line) and web (GET /). Its places are
//    `${dir}` and `port: "auto"`, not fixed ones: the run that starts its own stack runs while the
//    `up` holds the other. `mcp-reaper up` of the project (node on the installed bin, its own
//    process group) is started once, its `Ctrl-C to stop` line awaited. Then, alternating for
//    ROUNDS rounds after a warm-up (the order rotated each round): (a) `npx vitest run`,
//    which must print "reusing the stack of `mcp-reaper up`" and see the `up`'s REST server; (b) the
//    same with MCP_REAPER_STACK_REUSE=never, which starts and stops a stack of its own (another REST
//    pid); the floor: the same command and test with a config without the adapter (no run, no
//    stack), and that once more as node on vitest.mjs (no npx). The figure is the time from just
//    before the spawn to the test's first line, which writes a timestamp (performance.timeOrigin +
//    now(), the bench's clock). Target: (a) ≤ 0.1x (b). After each run nothing of it may be left:
//    no process naming the sandbox but the `up`'s, and the registry exactly as the `up` left it. At
//    the end the `up` gets SIGINT (to its group), must print its "stack down" line and exit 0, and
//    then nothing may be left at all.
//
// 2. The death checks' cost. The Vitest setup file asks deadService(runId, slot) once per file
//    before the file's tests, and before and after each test (a run-record read, an instance-record
//    read and one probe of the services' pids). The product has no switch to turn that off and gets
//    none here. What isolates those calls best is the calls themselves, timed where they run: a Node
//    module hook (`--import` in NODE_OPTIONS, bench-side; nothing installed is edited) serves the
//    installed @mcp-reaper/core's dist/index.js through a shim that re-exports it and wraps
//    `deadService`, the one export the setup file calls: each call's duration (and pid) is appended
//    to a file after the call returns. That gives the count and the time of every check of the run,
//    the cold first call in each fresh worker process included. A 10-file run (one trivial test
//    each) with a one-service stack (the REST fake, run-scoped, an auto port) runs three ways,
//    alternating for CHECK_ROUNDS rounds after a warm-up: the product as a user runs it (no hook:
//    the wall time the share is taken of), the hook with the real checks, and the hook with the
//    checks off (the shim answers "nothing dead" without looking, and appends the same line, so the
//    only difference is the checks' own work). The figure: the run's summed check time over the
//    unhooked run's wall time, as 1 + share. The sum counts each call's whole elapsed time (waits
//    for a core included) and adds up the calls of every worker as if none ran beside another; the
//    runner is node on vitest.mjs (no npx), the smaller wall time to divide by. Target: ≤ 1.02x.
//    Beside it: on vs off as whole runs (a difference this small is below the runs' own noise on a
//    shared 2-core machine: the spread is reported), and deadService() per call in this process
//    against a live run's instance record, warm, as a floor. The hook itself (a loader thread in
//    every node process of the run, the REST fake's and the watchdog's too) has a cost of its own:
//    off vs no hook is reported.
//
// Everything runs with a TMPDIR of its own (a temp dir, removed at the end): the registry of runs,
// instances and leases is the bench's, never the machine's. The fakes run under unique names
// (lib's uniqueName()) from wrappers in a Sandbox; every sweep is given those names and a dir of ours.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { core, fmtMs, installFixture, median, packWorkspace, pause, processesNaming, ratio, registryEntries, round, runIfMain, Sandbox, stats, uniqueName, waitUntil } from './lib.mjs';

const ROUNDS = 5;
// The on-vs-off cross-check of the death checks needs more: a 10-file run's wall time varies 15-40% here.
const CHECK_ROUNDS = 10;
const FIRST_TEST_TARGET = 0.1;
const CHECK_FILES = 10;
const CHECK_TESTS_PER_FILE = 1;
const CHECK_TARGET = 1.02;
const MICRO_CALLS = 500;
const SEED_MS = 20;
const REUSE_LINE = 'reusing the stack of `mcp-reaper up`';
const STACK_NAMES = () => ['daemon', 'seed', 'rest', 'coordinator', 'web'];

/** Wall-clock time with sub-millisecond precision, the same clock the tests write. */
const wallNow = () => performance.timeOrigin + performance.now();
// Round i starts with kinds[i % n] and keeps their cycle: each kind takes every place in a round and
// follows every other kind. Reversing the order every other round kept one kind in the middle of
// every round while the others ran twice in a row across rounds.
const rotated = (kinds, i) => [...kinds.slice(i % kinds.length), ...kinds.slice(0, i % kinds.length)];
const signedMs = (ms) => `${ms < 0 ? '-' : '+'}${fmtMs(Math.abs(ms))}`;

// ---------------------------------------------------------------------------------------------
// Helpers (the shared ones are in lib.mjs).

/** A wrapper for a fixture under a fresh unique name (its kernel name), in the sandbox's bin dir. */
function installFake(sandbox, fixture, taken) {
  let name;
  do name = uniqueName();
  while (taken.has(name));
  taken.add(name);
  return { name, bin: installFixture(sandbox, fixture, name) };
}

/** A developer's terminal: the bench's TMPDIR, no runner or run variables, no CI (reuse is "local"), no npm_* of a pnpm script. */
function terminalEnv(tmp, extra = {}) {
  const env = { ...process.env, TMPDIR: tmp, NO_COLOR: '1', npm_config_update_notifier: 'false' };
  for (const key of Object.keys(env)) {
    if (/^(VITEST|MCP_REAPER_|JEST_)/.test(key) || (key.startsWith('npm_') && key !== 'npm_config_update_notifier')) delete env[key];
  }
  for (const key of ['NODE_OPTIONS', 'CI', 'GITHUB_ACTIONS']) delete env[key];
  return { ...env, ...extra };
}

const ADAPTER_CONFIG = (include) =>
  `export default { test: { include: [${JSON.stringify(include)}], globalSetup: ['@mcp-reaper/vitest-setup/global-setup'], setupFiles: ['@mcp-reaper/vitest-setup'] } };\n`;
const PLAIN_CONFIG = (include) => `export default { test: { include: [${JSON.stringify(include)}] } };\n`;

/** Runs a command in `cwd`; resolves with its wall time and output, rejects on a non-zero exit. */
function runOnce(sandbox, command, args, { cwd, env, what }) {
  return new Promise((resolve, reject) => {
    const launchedAt = wallNow();
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    sandbox.children.push(child);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${what} failed (${code ?? signal}):\n${output}`));
      resolve({ ms, launchedAt, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The project, installed once; the second project uses its node_modules.

function stackOf(fakes) {
  return {
    daemon: {
      command: [fakes.daemon.bin, 'daemon', '--socket-path', '${dir}/mcp.sock', '--foreground'],
      env: { XDG_DATA_HOME: '${dir}' },
      ready: { socket: '${dir}/mcp.sock' },
    },
    seed: { command: [fakes.seed.bin], env: { FAKE_SEED_MS: String(SEED_MS) }, dependsOn: ['daemon'], ready: { exit: 0 } },
    rest: {
      command: [fakes.rest.bin],
      env: { AIAGENTPM_WEBSERVER_PORT: '${port}', MCP_SOCKET: '${stack.daemon.socket}' },
      port: 'auto',
      dependsOn: ['seed'],
      ready: { url: 'http://127.0.0.1:${port}/health' },
    },
    coordinator: { command: [fakes.coordinator.bin], env: { REST_URL: '${stack.rest.url}' }, dependsOn: ['rest'], ready: { line: 'coordinator ready' } },
    web: { command: [fakes.web.bin, '--port', '${port}'], port: 'auto', dependsOn: ['rest'], ready: { url: 'http://127.0.0.1:${port}/' } },
  };
}

// The first line writes when the test started; then it uses the stack, and says whose REST server it was.
const FIRST_TEST = `import fs from 'node:fs';
import { expect, test } from 'vitest';
test('the first test', async () => {
  fs.writeFileSync(process.env.LOOP_OUT + '/started', String(performance.timeOrigin + performance.now()));
  const url = process.env.MCP_REAPER_STACK_REST_URL;
  if (url) expect((await fetch(url)).status).toBe(200);
  fs.writeFileSync(process.env.LOOP_OUT + '/rest.json', JSON.stringify({ restPid: Number(process.env.MCP_REAPER_STACK_REST_PID ?? 0) }));
});
`;

function writeLoopProject(dir, sandbox, tarballs, taken) {
  const fakes = {
    daemon: installFake(sandbox, 'fake-mcp-server-pm.mjs', taken),
    seed: installFake(sandbox, 'fake-seed.mjs', taken),
    rest: installFake(sandbox, 'fake-rest-server-pm.mjs', taken),
    coordinator: installFake(sandbox, 'fake-coordinator.mjs', taken),
    web: installFake(sandbox, 'fake-rest-server-pm.mjs', taken), // a second REST fake, standing in for Vite
  };
  fs.mkdirSync(path.join(dir, 'tests'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'xdg'));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'bench-loop', private: true, type: 'module', dependencies: { vitest: '^4', ...tarballs }, overrides: { '@mcp-reaper/core': tarballs['@mcp-reaper/core'] } }, null, 2),
  );
  // The sweep before each run looks for our names only, in a dir of ours.
  fs.writeFileSync(path.join(dir, 'mcp-reaper.config.json'), JSON.stringify({ names: [fakes.daemon.name], dir: './xdg/AIAgentPM', stack: stackOf(fakes) }, null, 2));
  fs.writeFileSync(path.join(dir, 'tests', 'first.test.mjs'), FIRST_TEST);
  fs.writeFileSync(path.join(dir, 'vitest.config.mjs'), ADAPTER_CONFIG('tests/*.test.mjs'));
  fs.writeFileSync(path.join(dir, 'vitest.plain.config.mjs'), PLAIN_CONFIG('tests/*.test.mjs'));
}

function writeChecksProject(dir, loopDir, sandbox, taken) {
  const rest = installFake(sandbox, 'fake-rest-server-pm.mjs', taken);
  fs.mkdirSync(path.join(dir, 'tests'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'xdg'));
  fs.symlinkSync(path.join(loopDir, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-loop-checks', private: true, type: 'module' }, null, 2));
  const stack = { rest: { command: [rest.bin], env: { AIAGENTPM_WEBSERVER_PORT: '${port}' }, port: 'auto', ready: { url: 'http://127.0.0.1:${port}/health' } } };
  fs.writeFileSync(path.join(dir, 'mcp-reaper.config.json'), JSON.stringify({ names: [rest.name], dir: './xdg/AIAgentPM', stack }, null, 2));
  for (let i = 1; i <= CHECK_FILES; i++) {
    const tests = Array.from({ length: CHECK_TESTS_PER_FILE }, (_, k) => `test('trivial ${k + 1}', () => {\n  expect(${i} + ${k}).toBe(${i + k});\n});\n`).join('');
    fs.writeFileSync(path.join(dir, 'tests', `t${String(i).padStart(2, '0')}.test.mjs`), `import { expect, test } from 'vitest';\n${tests}`);
  }
  fs.writeFileSync(path.join(dir, 'vitest.config.mjs'), ADAPTER_CONFIG('tests/*.test.mjs'));
  return rest;
}

// ---------------------------------------------------------------------------------------------
// 1. Launch to first test: reusing the `up`'s stack, starting one's own, no adapter.

/** `mcp-reaper up` of the project, in its own process group; resolves once it prints `Ctrl-C to stop`. */
async function startUp(sandbox, dir, tmp) {
  const bin = path.join(dir, 'node_modules', '@mcp-reaper', 'core', 'bin', 'mcp-reaper.js');
  const child = spawn(process.execPath, [bin, 'up'], { cwd: dir, env: terminalEnv(tmp), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  sandbox.children.push(child);
  child.on('error', () => {});
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      stdout += `${line}\n`;
      if (/Ctrl-C to stop/.test(line)) resolve();
    });
    exited.then(({ code, signal }) => reject(new Error(`mcp-reaper up exited (${code ?? signal}) before it was up:\n${stdout}${stderr}`)));
  });
  const timeout = pause(60_000).then(() => {
    throw new Error(`mcp-reaper up not up after 60 s:\n${stdout}${stderr}`);
  });
  const t0 = performance.now();
  await Promise.race([ready, timeout]);
  const upMs = performance.now() - t0;
  const env = Object.fromEntries([...stdout.matchAll(/^ {2}(MCP_REAPER_STACK_\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  return { child, upMs, env, exited, output: () => stdout + stderr };
}

async function firstTestOnce(sandbox, dir, tmp, kind) {
  const out = path.join(dir, 'out');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  const config = kind === 'plain' || kind === 'node' ? 'vitest.plain.config.mjs' : 'vitest.config.mjs';
  const env = terminalEnv(tmp, { LOOP_OUT: out, ...(kind === 'own' && { MCP_REAPER_STACK_REUSE: 'never' }) });
  // `node` is the floor without npx: node on vitest.mjs, as bench/parallel.mjs runs it.
  const [command, ...args] = kind === 'node' ? [process.execPath, path.join(dir, 'node_modules', 'vitest', 'vitest.mjs')] : ['npx', 'vitest'];
  const { ms, launchedAt, output } = await runOnce(sandbox, command, [...args, 'run', '--config', config], { cwd: dir, env, what: `vitest run (${kind})` });
  const startedAt = Number(fs.readFileSync(path.join(out, 'started'), 'utf8'));
  const { restPid } = JSON.parse(fs.readFileSync(path.join(out, 'rest.json'), 'utf8'));
  // Vitest's own account: "setup" is the setup files' time (ours: the leak check, the worker stack, the first death check).
  const setupMs = Number(/Duration\s.*\bsetup (\d+(?:\.\d+)?)ms/.exec(output)?.[1] ?? NaN);
  return { firstMs: startedAt - launchedAt, wallMs: ms, setupMs, restPid, reused: output.includes(REUSE_LINE), output };
}

async function firstTest(sandbox, dir, tmp, log) {
  const up = await startUp(sandbox, dir, tmp);
  const upRest = Number(up.env.MCP_REAPER_STACK_REST_PID);
  if (!(upRest > 0)) throw new Error(`mcp-reaper up printed no REST pid:\n${up.output()}`);
  log(`loop: \`mcp-reaper up\` of the stack (${STACK_NAMES().length} services: ${STACK_NAMES().join(', ')}) up in ${fmtMs(up.upMs)} (REST pid ${upRest}); launch of \`npx vitest run\` to its first test, ${ROUNDS} rounds alternating after a warm-up: reusing the up's stack, MCP_REAPER_STACK_REUSE=never (its own stack), no adapter`);
  // What the `up` holds: its processes and its registry entries stay; a run must leave nothing else.
  await pause(300); // its watchdog settles
  const held = new Set([up.child.pid, ...processesNaming(sandbox.tmp).map((p) => p.pid)]);
  const heldRegistry = registryEntries(tmp).join('\n');
  const checkClean = async (what) => {
    const extra = () => processesNaming(sandbox.tmp).filter((p) => !held.has(p.pid));
    await waitUntil(() => extra().length === 0, 5_000, `${what}: nothing but the up running (still: ${extra().map((p) => p.cmd).join(', ')})`);
    await waitUntil(() => registryEntries(tmp).join('\n') === heldRegistry, 5_000, `${what}: the registry as the up left it (now: ${registryEntries(tmp).join(', ')})`);
  };
  const kinds = ['reuse', 'own', 'plain', 'node'];
  const check = (kind, r, what) => {
    if (kind === 'reuse' && !(r.reused && r.restPid === upRest)) throw new Error(`${what}: did not reuse the up's stack (REST pid ${r.restPid}, the up's ${upRest}):\n${r.output}`);
    if (kind === 'own' && (r.reused || !(r.restPid > 0) || r.restPid === upRest)) throw new Error(`${what}: did not start its own stack (REST pid ${r.restPid}):\n${r.output}`);
    if ((kind === 'plain' || kind === 'node') && r.restPid !== 0) throw new Error(`${what}: saw a stack without the adapter:\n${r.output}`);
  };
  const runs = [];
  try {
    for (const kind of kinds) {
      check(kind, await firstTestOnce(sandbox, dir, tmp, kind), `warm-up ${kind}`);
      await checkClean(`warm-up ${kind}`);
    }
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of rotated(kinds, i)) {
        const r = await firstTestOnce(sandbox, dir, tmp, kind);
        check(kind, r, `round ${i} ${kind}`);
        runs.push({ kind, round: i, firstMs: r.firstMs, wallMs: r.wallMs, setupMs: r.setupMs });
        await checkClean(`round ${i} ${kind}`);
      }
      const of = (kind) => runs.find((r) => r.round === i && r.kind === kind);
      log(`  round ${i}: first test after ${fmtMs(of('reuse').firstMs)} reusing / ${fmtMs(of('own').firstMs)} own stack / ${fmtMs(of('plain').firstMs)} no adapter (${fmtMs(of('node').firstMs)} without npx); whole run ${fmtMs(of('reuse').wallMs)} / ${fmtMs(of('own').wallMs)} / ${fmtMs(of('plain').wallMs)}`);
    }
  } finally {
    // The developer's Ctrl-C: SIGINT to the up's process group.
    const upAlive = up.child.exitCode === null && up.child.signalCode === null;
    if (upAlive) process.kill(-up.child.pid, 'SIGINT');
  }
  const ended = await Promise.race([up.exited, pause(15_000).then(() => undefined)]);
  if (!ended) throw new Error(`mcp-reaper up still running 15 s after SIGINT:\n${up.output()}`);
  const downLine = /stack down: .*/.exec(up.output())?.[0];
  if (ended.code !== 0 || !downLine) throw new Error(`mcp-reaper up ended with ${ended.code ?? ended.signal}, without its "stack down" line:\n${up.output()}`);
  await waitUntil(() => processesNaming(sandbox.tmp).length === 0, 5_000, `after the up's SIGINT: nothing of the sample running (still: ${processesNaming(sandbox.tmp).map((p) => p.cmd).join(', ')})`);
  await waitUntil(() => registryEntries(tmp).length === 0, 5_000, `after the up's SIGINT: an empty registry (now: ${registryEntries(tmp).join(', ')})`);

  const times = (kind, key = 'firstMs') => runs.filter((r) => r.kind === kind).map((r) => r[key]);
  const byRound = (a, b) => times(a).map((ms, i) => ms - times(b)[i]);
  const result = {
    rounds: ROUNDS,
    services: STACK_NAMES(),
    upMs: round(up.upMs),
    reuse: stats(times('reuse')),
    own: stats(times('own')),
    plain: stats(times('plain')),
    plainWithoutNpx: stats(times('node')),
    ratio: ratio(median(times('reuse')), median(times('own'))),
    target: FIRST_TEST_TARGET,
    // Round by round (the runs of a round ran next to each other): what the stack start adds, what reuse adds over no adapter.
    ownMinusReuse: stats(byRound('own', 'reuse')),
    reuseMinusPlain: stats(byRound('reuse', 'plain')),
    ownMinusPlain: stats(byRound('own', 'plain')),
    npx: stats(byRound('plain', 'node')),
    ratioOverFloor: ratio(median(byRound('reuse', 'plain')), median(byRound('own', 'plain'))),
    wall: { reuse: stats(times('reuse', 'wallMs')), own: stats(times('own', 'wallMs')), plain: stats(times('plain', 'wallMs')) },
    // Vitest's "setup" (its setup files): ours in the adapter's runs, none without it.
    vitestSetup: { reuse: stats(times('reuse', 'setupMs')), own: stats(times('own', 'setupMs')), plain: stats(times('plain', 'setupMs')) },
    upStopped: downLine,
  };
  result.met = result.ratio <= FIRST_TEST_TARGET;
  return result;
}

// ---------------------------------------------------------------------------------------------
// 2. The death checks: every call timed in the run, on vs off, and per call in this process.

/** The module hook: the installed core's dist/index.js is served as a shim that times `deadService`. */
function writeHook(hookDir, target) {
  fs.mkdirSync(hookDir);
  const original = `${target}?loop-original`;
  const shim = `import fs from 'node:fs';
import * as original from ${JSON.stringify(original)};
export * from ${JSON.stringify(original)};
const file = process.env.LOOP_CALLS_FILE;
const off = process.env.LOOP_CHECKS === 'off';
export async function deadService(...args) {
  const t0 = performance.now();
  const dead = off ? undefined : await original.deadService(...args);
  const ms = performance.now() - t0;
  if (file) fs.appendFileSync(file, process.pid + ' ' + ms + '\\n');
  return dead;
}
`;
  fs.writeFileSync(
    path.join(hookDir, 'hooks.mjs'),
    `const target = ${JSON.stringify(target)};
const shim = ${JSON.stringify(shim)};
export async function load(url, context, next) {
  if (url === target) return { format: 'module', source: shim, shortCircuit: true };
  return next(url, context);
}
`,
  );
  fs.writeFileSync(path.join(hookDir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  return pathToFileURL(path.join(hookDir, 'register.mjs')).href;
}

async function checksOnce(sandbox, dir, tmp, kind, register) {
  const calls = path.join(dir, 'calls.txt');
  fs.rmSync(calls, { force: true });
  const hooked = kind !== 'plain' && { NODE_OPTIONS: `--import ${register}`, LOOP_CHECKS: kind, LOOP_CALLS_FILE: calls };
  const env = terminalEnv(tmp, hooked || {});
  const vitest = path.join(dir, 'node_modules', 'vitest', 'vitest.mjs');
  const { ms, output } = await runOnce(sandbox, process.execPath, [vitest, 'run'], { cwd: dir, env, what: `vitest run, checks ${kind}` });
  const passed = Number(/Tests\s+(\d+) passed/.exec(output)?.[1] ?? 0);
  if (passed !== CHECK_FILES * CHECK_TESTS_PER_FILE) throw new Error(`vitest run, checks ${kind}: ${passed} tests passed:\n${output}`);
  if (!hooked) return { ms };
  const lines = fs.readFileSync(calls, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
  const seen = new Set();
  const first = [];
  const later = [];
  for (const [pid, callMs] of lines) {
    (seen.has(pid) ? later : first).push(callMs);
    seen.add(pid);
  }
  return { ms, calls: lines.map(([, callMs]) => callMs), first, later, processes: seen.size };
}

/** deadService() in this process, against a live run's instance record (one REST fake): the warm floor. */
async function microBench(sandbox, taken) {
  const rest = installFake(sandbox, 'fake-rest-server-pm.mjs', taken);
  const run = await core.startRun({
    names: [rest.name],
    dir: sandbox.stateDir,
    watchdog: false,
    stack: { rest: { command: [rest.bin], env: { AIAGENTPM_WEBSERVER_PORT: '${port}' }, port: 'auto', ready: { url: 'http://127.0.0.1:${port}/health' } } },
  });
  try {
    for (const s of Object.values(run.stack.services)) sandbox.extraPids.add(s.pid);
    const t0 = performance.now();
    if ((await core.deadService(run.runId)) !== undefined) throw new Error('micro-bench: a service of a live stack reported dead');
    const first = performance.now() - t0;
    for (let i = 0; i < 50; i++) await core.deadService(run.runId);
    const ms = [];
    for (let i = 0; i < MICRO_CALLS; i++) {
      const t = performance.now();
      await core.deadService(run.runId);
      ms.push(performance.now() - t);
    }
    return { first: round(first, 3), perCall: stats(ms), calls: MICRO_CALLS };
  } finally {
    const end = await run.end();
    if (!end.stack?.ok) throw new Error(`micro-bench: its stack did not stop cleanly`);
  }
}

async function checks(sandbox, loopDir, tmp, taken, log) {
  const dir = path.join(sandbox.tmp, 'checks');
  writeChecksProject(dir, loopDir, sandbox, taken);
  const target = pathToFileURL(fs.realpathSync(path.join(loopDir, 'node_modules', '@mcp-reaper', 'core', 'dist', 'index.js'))).href;
  const register = writeHook(path.join(sandbox.tmp, 'hook'), target);
  const expectedCalls = CHECK_FILES * (1 + 2 * CHECK_TESTS_PER_FILE);
  log(`loop: ${CHECK_FILES} files × ${CHECK_TESTS_PER_FILE} trivial test with a one-service stack (REST fake), ${CHECK_ROUNDS} rounds alternating after a warm-up: as users run it; every deadService() call timed in the run (a module hook); the same hook with the checks off`);
  const checkClean = async (what) => {
    await waitUntil(() => processesNaming(dir).length === 0, 5_000, `${what}: nothing of the project running (still: ${processesNaming(dir).map((p) => p.cmd).join(', ')})`);
    await waitUntil(() => registryEntries(tmp).length === 0, 5_000, `${what}: an empty registry (now: ${registryEntries(tmp).join(', ')})`);
  };
  const kinds = ['plain', 'on', 'off'];
  const check = (kind, r, what) => {
    if (kind !== 'plain' && r.calls.length !== expectedCalls) throw new Error(`${what}: ${r.calls.length} deadService() calls, expected ${expectedCalls} (is the hook applied?)`);
  };
  for (const kind of kinds) {
    check(kind, await checksOnce(sandbox, dir, tmp, kind, register), `warm-up ${kind}`);
    await checkClean(`warm-up ${kind}`);
  }
  const runs = [];
  for (let i = 0; i < CHECK_ROUNDS; i++) {
    for (const kind of rotated(kinds, i)) {
      const r = await checksOnce(sandbox, dir, tmp, kind, register);
      check(kind, r, `round ${i} ${kind}`);
      runs.push({ kind, round: i, ...r, sum: r.calls ? r.calls.reduce((a, b) => a + b, 0) : undefined });
      await checkClean(`round ${i} ${kind}`);
    }
    const of = (kind) => runs.find((r) => r.round === i && r.kind === kind);
    log(`  round ${i}: run ${fmtMs(of('plain').ms)} as users run it; hooked: checks on ${fmtMs(of('on').ms)} (${of('on').calls.length} checks in ${of('on').processes} processes, ${fmtMs(of('on').sum)} in all), off ${fmtMs(of('off').ms)}`);
  }
  const micro = await microBench(sandbox, taken);

  const times = (kind) => runs.filter((r) => r.kind === kind).map((r) => r.ms);
  const on = runs.filter((r) => r.kind === 'on');
  const allCalls = on.flatMap((r) => r.calls);
  const sums = on.map((r) => r.sum);
  const share = median(sums) / median(times('plain'));
  const spread = (values) => round((Math.max(...values) - Math.min(...values)) / median(values), 3);
  const result = {
    rounds: CHECK_ROUNDS,
    files: CHECK_FILES,
    testsPerFile: CHECK_TESTS_PER_FILE,
    callsPerRun: expectedCalls,
    processesPerRun: on.map((r) => r.processes),
    perCall: stats(allCalls),
    // The first call in each worker process (cold: the file's top-level check) against the others.
    firstInProcess: stats(on.flatMap((r) => r.first)),
    laterInProcess: stats(on.flatMap((r) => r.later)),
    checksPerRun: stats(sums),
    run: stats(times('plain')),
    share: round(share, 4),
    ratio: round(1 + share, 3),
    target: CHECK_TARGET,
    onVsOff: {
      on: stats(times('on')),
      off: stats(times('off')),
      ratio: ratio(median(times('on')), median(times('off'))),
      onMinusOff: stats(times('on').map((ms, i) => ms - times('off')[i])),
      // (max - min) / median of each contender's wall times: the runs' own noise.
      spread: { on: spread(times('on')), off: spread(times('off')), plain: spread(times('plain')) },
    },
    hookCost: ratio(median(times('off')), median(times('plain'))),
    inProcess: micro,
  };
  result.met = result.ratio <= CHECK_TARGET;
  return result;
}

// ---------------------------------------------------------------------------------------------

export async function run({ log = console.log } = {}) {
  // The bench's own TMPDIR: the registry it fills is its own. Short, for the sockets in ${dir}.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpb-l-'));
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  const sandbox = new Sandbox();
  const result = {};
  let left = [];
  let strays = [];
  try {
    const taken = new Set([sandbox.name]);
    const loopDir = path.join(sandbox.tmp, 'loop');
    const packs = path.join(sandbox.tmp, 'packs');
    fs.mkdirSync(loopDir);
    fs.mkdirSync(packs);
    writeLoopProject(loopDir, sandbox, packWorkspace(packs, ['core', 'vitest-setup']), taken);
    const installStart = performance.now();
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: loopDir, stdio: 'ignore', timeout: 600_000, env: { ...process.env, TMPDIR: tmp } });
    result.vitest = JSON.parse(fs.readFileSync(path.join(loopDir, 'node_modules/vitest/package.json'), 'utf8')).version;
    log(`loop: Vitest ${result.vitest}; npm install ${fmtMs(performance.now() - installStart)}`);
    result.firstTest = await firstTest(sandbox, loopDir, tmp, log);
    result.checks = await checks(sandbox, loopDir, tmp, taken, log);
  } finally {
    strays = processesNaming(sandbox.tmp);
    await sandbox.cleanup();
    left = registryEntries(tmp);
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  result.leftAtEnd = { processes: strays.length, registry: left.length, tmpDir: fs.existsSync(tmp) ? 1 : 0 };
  if (strays.length > 0) log(`loop: still running at the end (killed by the bench's cleanup): ${strays.map((p) => p.cmd).join(', ')}`);
  if (left.length > 0) log(`loop: left in the bench's registry: ${left.join(', ')}`);

  const yes = (met) => (met ? 'met' : 'MISSED');
  const f = result.firstTest;
  const c = result.checks;
  result.summary = [
    `loop: launch of \`npx vitest run\` to its first test, ${f.services.length}-service stack: reusing \`mcp-reaper up\`'s ${fmtMs(f.reuse.median)} (p90 ${fmtMs(f.reuse.p90)}) vs starting its own ${fmtMs(f.own.median)} (p90 ${fmtMs(f.own.p90)}) → ${f.ratio}x (target ≤ ${f.target}x, ${yes(f.met)}); no adapter ${fmtMs(f.plain.median)} (npx ${fmtMs(f.npx.median)} of it): reuse adds ${fmtMs(f.reuseMinusPlain.median)} over it (${fmtMs(f.vitestSetup.reuse.median)} of it in the setup file, by Vitest's count), its own stack ${fmtMs(f.ownMinusPlain.median)} (${f.ratioOverFloor}x); ${f.upStopped}`,
    `loop: death checks, ${c.files} files: ${c.callsPerRun} deadService() calls per run, ${fmtMs(c.perCall.median)} each (p90 ${fmtMs(c.perCall.p90)}, max ${fmtMs(c.perCall.max)}; a worker's first ${fmtMs(c.firstInProcess.median)}, later ones ${fmtMs(c.laterInProcess.median)}), ${fmtMs(c.checksPerRun.median)} per run of ${fmtMs(c.run.median)} → ${c.ratio}x (target ≤ ${c.target}x, ${yes(c.met)}); whole runs checks on vs off ${fmtMs(c.onVsOff.on.median)} vs ${fmtMs(c.onVsOff.off.median)} → ${c.onVsOff.ratio}x, round by round ${signedMs(c.onVsOff.onMinusOff.median)} (${signedMs(c.onVsOff.onMinusOff.min)} to ${signedMs(c.onVsOff.onMinusOff.max)}): noise, each contender's own spread (max - min) / median is on ${Math.round(c.onVsOff.spread.on * 100)}%, off ${Math.round(c.onVsOff.spread.off * 100)}%, under the hook, which itself makes a run ${c.hookCost}x as long; in this process, warm: ${fmtMs(c.inProcess.perCall.median)} per call`,
    `loop: left at the end: ${result.leftAtEnd.processes} processes, ${result.leftAtEnd.registry} registry entries, ${result.leftAtEnd.tmpDir} temp dirs`,
  ];
  return result;
}

await runIfMain(import.meta.url, run);
