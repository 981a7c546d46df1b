// Parallel stacks: what a stack per worker buys and costs. Three figures:
//
// 1. An I/O-bound integration suite, 1 worker vs 3. A sample project outside the repo (Vitest 4 from
//    the registry, our packages from `pnpm pack`, as bench/adapters.mjs installs them) with 6 test
//    files. Each POSTs to its worker's REST server (the fake behind a wrapper; worker-scoped daemon on
//    ${dir}/mcp.sock and REST server on `port: "auto"`, database in ${dir}), sleeps 1 s (the I/O wait)
//    and reads back. The whole runner process is timed (`vitest run --maxWorkers=1` vs `=3`), rounds
//    alternating after a warm-up. Target: 3 workers ≤ 0.5x the wall time of 1. Beside it, in the same
//    rounds, the same files without the adapter (no run, no stack: the tests only wait), for what
//    Vitest itself costs them; Vitest's own "Duration" line of the last round is kept too. Skipped
//    with BENCH_RUNNERS=0 (the npm install needs the registry).
// 2. A worker's stack readiness overhead: a worker instance started as a runner's worker starts it
//    (a run from startRunnerRun() with the same two services, then joinWorkerStack() for a new slot
//    each round), against the same services as a run stack (startStack()), rounds alternating. As
//    bench/stack.mjs does: each service's log ends with its readiness line, so the log's mtime once
//    the stack is up is when it became ready; "up - own readiness" is the moment the call resolved
//    minus the latest of those (file times lag a write by up to a kernel tick: only ever larger).
//    Target: ≤ 50 ms, as run stacks.
// 3. Auto port leases under contention: 10 processes, started together (each waits for a "go"
//    file), each leasing 20 ports one after another and holding them all until every process is
//    done. Each lease's holder is the process itself ({ pid, startKey } from the process source, as
//    startStack() holds them for a run's owner). The parent checks that no port was leased twice, that
//    the registry holds exactly the 200 claims while they are held and nothing once they are
//    released. Target: ≤ 1 ms per lease (median). One process leasing 20 alone runs beside it, as the
//    uncontended floor. leasePort() is not exported by @mcp-reaper/core (dist/index.js bundles it
//    unexported), so the bench bundles packages/core/src/registry/port-leases.ts with esbuild (the
//    bundler tsup runs for dist) into its temp dir, and the lease processes import that.
//
// Everything runs with a TMPDIR of its own (a temp dir, removed at the end): mcp-reaper's registry of
// runs, instances and leases is the bench's, never the machine's. Fakes run under unique names
// (lib's uniqueName()), from wrappers in a Sandbox: its cleanup kills what names its temp dir.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { core, entriesBelow, fmtMs, installFixture, median, packWorkspace, pause, processesNaming, ratio, registryEntries, REPO, round, runIfMain, Sandbox, stats, uniqueName, waitUntil } from './lib.mjs';

const SUITE_FILES = 6;
const SUITE_HOLD_MS = 1000;
const SUITE_ROUNDS = 3;
const SUITE_WORKERS = [1, 3];
const SUITE_TARGET = 0.5;
const READY_ROUNDS = 15;
const READY_TARGET_MS = 50;
const LEASE_PROCESSES = 10;
const LEASES_EACH = 20;
const LEASE_TARGET_MS = 1;

/** Wall-clock time with sub-millisecond precision, comparable with file times. */
const wallNow = () => performance.timeOrigin + performance.now();

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const lastLine = (file) => readText(file).split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';

/** The users' parallel stack (README, "Parallel, a stack per worker"), on our fakes. */
function workerServices(daemonBin, restBin) {
  return {
    daemon: {
      command: [daemonBin, 'daemon', '--socket-path', '${dir}/mcp.sock', '--foreground'],
      env: { AIAGENTPM_DB_PATH: '${dir}/pm.db', XDG_DATA_HOME: '${dir}' },
      scope: 'worker',
      ready: { socket: '${dir}/mcp.sock' },
    },
    rest: {
      command: [restBin],
      env: { AIAGENTPM_WEBSERVER_PORT: '${port}', AIAGENTPM_DB_PATH: '${dir}/pm.db' },
      port: 'auto',
      scope: 'worker',
      dependsOn: ['daemon'],
      ready: { url: 'http://localhost:${port}/health' },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Auto port leases under contention.

/** leasePort() and the process source, bundled from the core's sources (leasePort is not exported by dist). */
async function bundleLeases(out) {
  const tsup = createRequire(import.meta.url).resolve('tsup');
  const esbuild = createRequire(tsup)('esbuild');
  const src = (file) => JSON.stringify(path.join(REPO, 'packages/core/src', file));
  await esbuild.build({
    stdin: {
      contents: `export { leasePort } from ${src('registry/port-leases.ts')};\nexport { defaultProcessSource } from ${src('processes/process-source.ts')};\n`,
      resolveDir: REPO,
      sourcefile: 'bench-leases-entry.mjs',
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    logLevel: 'error',
  });
  return { esbuild: esbuild.version };
}

/** One lease process: ready, waits for "go", leases `count` ports (each timed), reports, holds them until "release". */
const LEASE_WORKER = `import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const [bundle, dir, id, count] = process.argv.slice(2);
const { leasePort, defaultProcessSource } = await import(pathToFileURL(bundle).href);
const source = defaultProcessSource();
const self = (await source.probe([process.pid])).get(process.pid);
const holder = { pid: process.pid, startKey: self.startKey };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
fs.writeFileSync(path.join(dir, 'ready-' + id), '');
while (!fs.existsSync(path.join(dir, 'go'))) await sleep(1);
const startedAt = performance.timeOrigin + performance.now();
const leases = [];
const ms = [];
const cpuMs = [];
for (let i = 0; i < Number(count); i++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  leases.push(await leasePort({ runId: 'bench-leases-' + id, instance: 'w' + id, service: 's' + i, holder }, source));
  ms.push(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  cpuMs.push((cpu.user + cpu.system) / 1000);
}
const endedAt = performance.timeOrigin + performance.now();
fs.writeFileSync(path.join(dir, 'result-' + id + '.tmp'), JSON.stringify({ pid: process.pid, holder, ports: leases.map((l) => l.port), ms, cpuMs, startedAt, endedAt }));
fs.renameSync(path.join(dir, 'result-' + id + '.tmp'), path.join(dir, 'result-' + id + '.json'));
while (!fs.existsSync(path.join(dir, 'release'))) await sleep(2);
for (const lease of leases) lease.release();
`;

/** `processes` lease processes of `each` leases, started together; returns what each recorded and what the registry held. */
async function leaseRound(sandbox, tmp, work, bundle, label, processes, each) {
  const dir = path.join(work, label);
  fs.mkdirSync(dir);
  const script = path.join(work, 'lease-worker.mjs');
  const children = [];
  for (let id = 0; id < processes; id++) {
    const child = spawn(process.execPath, [script, bundle, dir, String(id), String(each)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', () => {});
    child.stderrText = () => stderr;
    sandbox.children.push(child);
    children.push(child);
  }
  const failed = () => children.find((c) => c.exitCode !== null || c.signalCode !== null);
  const all = (prefix, ext = '') => children.every((_, id) => fs.existsSync(path.join(dir, `${prefix}${id}${ext}`)));
  const check = (what) => {
    const child = failed();
    if (child && !all('result-', '.json')) throw new Error(`lease process ${child.pid} exited (${child.exitCode ?? child.signalCode}) before ${what}: ${child.stderrText()}`);
  };
  const waitAll = async (prefix, ext, what) => {
    const deadline = performance.now() + 30_000;
    while (!all(prefix, ext)) {
      check(what);
      if (performance.now() > deadline) throw new Error(`lease processes: not all ${what} within 30 s`);
      await pause(2);
    }
  };
  await waitAll('ready-', '', 'ready');
  fs.writeFileSync(path.join(dir, 'go'), '');
  await waitAll('result-', '.json', 'leased');
  const results = children.map((_, id) => JSON.parse(fs.readFileSync(path.join(dir, `result-${id}.json`), 'utf8')));
  // While every lease is held: the registry's claims, port by port.
  const portsDir = path.join(tmp, `mcp-reaper-${process.getuid()}`, 'ports');
  const held = new Map();
  for (const port of fs.readdirSync(portsDir)) {
    const files = fs.readdirSync(path.join(portsDir, port));
    held.set(Number(port), files.map((f) => JSON.parse(fs.readFileSync(path.join(portsDir, port, f), 'utf8')).holder.pid));
  }
  fs.writeFileSync(path.join(dir, 'release'), '');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((resolve) => c.once('exit', resolve)) : undefined)));
  const bad = children.filter((c) => c.exitCode !== 0);
  if (bad.length > 0) throw new Error(`lease processes failed: ${bad.map((c) => `${c.pid} (${c.exitCode ?? c.signalCode}): ${c.stderrText()}`).join('; ')}`);
  const leftAfter = entriesBelow(portsDir);
  return { results, held, leftAfter };
}

function leaseFigures({ results, held, leftAfter }) {
  const ports = results.flatMap((r) => r.ports);
  const ms = results.flatMap((r) => r.ms);
  const seen = new Map();
  for (const port of ports) seen.set(port, (seen.get(port) ?? 0) + 1);
  const duplicates = [...seen.values()].filter((n) => n > 1).length;
  // Each leased port's dir holds exactly one claim, its holder's; no other claim is left.
  const claimsHeld = [...held.values()].reduce((sum, pids) => sum + pids.length, 0);
  const byPort = new Map(results.flatMap((r) => r.ports.map((port) => [port, r.pid])));
  const wrongHolder = [...byPort].filter(([port, pid]) => (held.get(port) ?? []).join() !== String(pid)).length;
  const span = Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt));
  const startSkew = Math.max(...results.map((r) => r.startedAt)) - Math.min(...results.map((r) => r.startedAt));
  return {
    leases: ports.length,
    distinctPorts: seen.size,
    duplicates,
    claimsHeld,
    wrongHolder,
    leftAfterRelease: leftAfter.length,
    perLease: stats(ms),
    // The process's own CPU time during each lease (user + system, all its threads): the rest of the wall time is waiting, mostly for a core.
    cpuPerLease: stats(results.flatMap((r) => r.cpuMs)),
    firstLease: stats(results.map((r) => r.ms[0])),
    laterLeases: stats(results.flatMap((r) => r.ms.slice(1))),
    wallMs: round(span),
    startSkewMs: round(startSkew),
  };
}

async function leaseContention(sandbox, tmp, log) {
  const work = path.join(sandbox.tmp, 'leases');
  fs.mkdirSync(work);
  const bundle = path.join(work, 'leases.mjs');
  const { esbuild } = await bundleLeases(bundle);
  fs.writeFileSync(path.join(work, 'lease-worker.mjs'), LEASE_WORKER);
  log(`parallel: leases, ${LEASE_PROCESSES} processes × ${LEASES_EACH} auto ports at once (leasePort() from the core's src, bundled with esbuild ${esbuild}), and 1 process × ${LEASES_EACH} alone`);
  // A warm-up (the OS's page cache for node and the bundle), then the uncontended floor and the contended round, side by side.
  leaseFigures(await leaseRound(sandbox, tmp, work, bundle, 'warm', 2, 5));
  const alone = leaseFigures(await leaseRound(sandbox, tmp, work, bundle, 'alone', 1, LEASES_EACH));
  const contended = leaseFigures(await leaseRound(sandbox, tmp, work, bundle, 'contended', LEASE_PROCESSES, LEASES_EACH));
  const met = contended.duplicates === 0 && contended.wrongHolder === 0 && contended.claimsHeld === contended.leases && contended.leftAfterRelease === 0 && contended.perLease.median <= LEASE_TARGET_MS;
  log(
    `  ${contended.leases} leases: ${contended.distinctPorts} distinct ports, ${contended.duplicates} duplicates, ${contended.claimsHeld} claims in the registry while held (${contended.wrongHolder} with another holder), ${contended.leftAfterRelease} entries after release; per lease ${fmtMs(contended.perLease.median)} (p90 ${fmtMs(contended.perLease.p90)}, max ${fmtMs(contended.perLease.max)}; its own CPU ${fmtMs(contended.cpuPerLease.median)}, p90 ${fmtMs(contended.cpuPerLease.p90)}); first lease of each process ${fmtMs(contended.firstLease.median)}; alone ${fmtMs(alone.perLease.median)} (first ${fmtMs(alone.firstLease.median)})`,
  );
  return { processes: LEASE_PROCESSES, each: LEASES_EACH, contended, alone, ratioVsAlone: ratio(contended.perLease.median, alone.perLease.median), targetMs: LEASE_TARGET_MS, met, bundledWith: `esbuild ${esbuild}` };
}

// ---------------------------------------------------------------------------------------------
// 2. A worker's stack readiness overhead.

const READY_LINE = { daemon: /listening on /, rest: /listening on / };

/** When each service became ready (its log's mtime, its last line checked), and up minus the latest. */
function readiness(label, services, calledAt, upAt) {
  const readyAt = {};
  for (const [name, service] of Object.entries(services)) {
    const line = lastLine(service.logFile);
    if (!READY_LINE[name].test(line)) throw new Error(`${label}: the log of ${name} ends with "${line}", not its ready line`);
    readyAt[name] = fs.statSync(service.logFile).mtimeMs - calledAt;
  }
  const slowest = Object.keys(readyAt).reduce((a, b) => (readyAt[b] > readyAt[a] ? b : a));
  return { up: upAt - calledAt, readyAt, slowest, upMinusReady: upAt - calledAt - readyAt[slowest] };
}

async function workerReadiness(sandbox, log) {
  const project = path.join(sandbox.tmp, 'ready-project');
  fs.mkdirSync(path.join(project, 'xdg'), { recursive: true });
  const daemonName = uniqueName();
  const restName = uniqueName();
  const services = workerServices(installFixture(sandbox, 'fake-mcp-server-pm.mjs', daemonName), installFixture(sandbox, 'fake-rest-server-pm.mjs', restName));
  // The sweep before the run looks for our names only, in a dir of ours.
  const config = { names: [daemonName], dir: path.join(project, 'xdg', 'AIAgentPM'), stack: services };
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'bench-parallel-ready', private: true, mcpReaper: config }, null, 2));
  const runStackServices = Object.fromEntries(Object.entries(services).map(([name, { scope, ...rest }]) => [name, rest]));
  log(`parallel: worker stack readiness (daemon on \${dir}/mcp.sock, REST on an auto port), ${READY_ROUNDS} rounds each, alternating: joinWorkerStack() in a Vitest run, startStack() as a run stack`);

  const runner = await core.startRunnerRun({ runner: 'vitest', root: project });
  const worker = [];
  const runStack = [];
  const pids = [];
  try {
    const joined = core.joinRun({ runner: 'vitest', handoff: runner.handoff });
    const workerRound = async (slot) => {
      const calledAt = wallNow();
      const stack = await core.joinWorkerStack({ run: joined, slot });
      const upAt = wallNow();
      if (!stack?.startedHere) throw new Error(`worker slot ${slot}: its stack was not started here`);
      for (const s of Object.values(stack.services)) pids.push(s.pid);
      const figures = readiness(`worker slot ${slot}`, stack.services, calledAt, upAt);
      const report = await stack.stop();
      if (!report.ok) throw new Error(`worker slot ${slot}: stop() was not clean`);
      return figures;
    };
    const runRound = async (i) => {
      const calledAt = wallNow();
      const stack = await core.startStack({ services: runStackServices, owner: `bench-${sandbox.name}`, names: [daemonName] });
      const upAt = wallNow();
      for (const s of Object.values(stack.services)) pids.push(s.pid);
      const figures = readiness(`run stack ${i}`, stack.services, calledAt, upAt);
      const report = await stack.stop();
      if (!report.ok) throw new Error(`run stack ${i}: stop() was not clean`);
      return figures;
    };
    await workerRound(100); // warm-up
    await runRound('warm');
    for (let i = 1; i <= READY_ROUNDS; i++) {
      worker.push(await workerRound(i));
      runStack.push(await runRound(i));
    }
  } finally {
    const verdict = await runner.end();
    if (verdict.error) log(`  the run's end: ${verdict.error.message}`);
    for (const pid of pids) sandbox.extraPids.add(pid);
  }
  const figures = (rounds) => ({
    up: stats(rounds.map((r) => r.up)),
    slowestReady: stats(rounds.map((r) => r.readyAt[r.slowest])),
    slowestService: Object.fromEntries(['daemon', 'rest'].map((s) => [s, rounds.filter((r) => r.slowest === s).length])),
    upMinusReadiness: stats(rounds.map((r) => r.upMinusReady)),
  });
  const result = { rounds: READY_ROUNDS, worker: figures(worker), runStack: figures(runStack), targetMs: READY_TARGET_MS };
  result.worker.upMinusReadiness.met = result.worker.upMinusReadiness.median <= READY_TARGET_MS;
  result.workerMinusRunStack = stats(worker.map((w, i) => w.upMinusReady - runStack[i].upMinusReady));
  log(
    `  worker: up ${fmtMs(result.worker.up.median)}, ${fmtMs(result.worker.upMinusReadiness.median)} (p90 ${fmtMs(result.worker.upMinusReadiness.p90)}) after the slowest own readiness; run stack: up ${fmtMs(result.runStack.up.median)}, ${fmtMs(result.runStack.upMinusReadiness.median)} (p90 ${fmtMs(result.runStack.upMinusReadiness.p90)})`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// 1. The I/O-bound suite, 1 worker vs 3.

// With the adapter, the test talks to its worker's REST server; without it (the plain baseline) there
// is no stack, and the test only waits: what Vitest itself costs the same files.
const SUITE_TEST = (file) => `import fs from 'node:fs';
import { expect, test } from 'vitest';
test('${file}: write, wait ${SUITE_HOLD_MS} ms on the server, read back', async () => {
  const url = process.env.MCP_REAPER_STACK_REST_URL;
  if (url) expect((await fetch(new URL('/items', url), { method: 'POST', body: '${file}' })).status).toBe(201);
  await new Promise((resolve) => setTimeout(resolve, ${SUITE_HOLD_MS}));
  const items = url ? await (await fetch(new URL('/items', url))).json() : ['${file}'];
  expect(items).toContain('${file}');
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync('out/${file}.json', JSON.stringify({ slot: process.env.VITEST_POOL_ID, restPid: Number(process.env.MCP_REAPER_STACK_REST_PID ?? 0), items }));
});
`;

const SUITE_CONFIGS = { adapter: 'vitest.config.mjs', plain: 'vitest.plain.config.mjs' };

function writeSuite(dir, sandbox, tarballs) {
  const daemonName = uniqueName();
  const restName = uniqueName();
  const services = workerServices(installFixture(sandbox, 'fake-mcp-server-pm.mjs', daemonName), installFixture(sandbox, 'fake-rest-server-pm.mjs', restName));
  const json = {
    name: 'bench-parallel-suite',
    private: true,
    type: 'module',
    mcpReaper: { names: [daemonName], dir: './xdg/AIAgentPM', stack: services },
    dependencies: { vitest: '^4', ...tarballs },
    overrides: { '@mcp-reaper/core': tarballs['@mcp-reaper/core'] },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(json, null, 2));
  fs.mkdirSync(path.join(dir, 'tests'));
  fs.mkdirSync(path.join(dir, 'xdg'));
  for (let i = 1; i <= SUITE_FILES; i++) fs.writeFileSync(path.join(dir, 'tests', `f${i}.test.mjs`), SUITE_TEST(`f${i}`));
  fs.writeFileSync(
    path.join(dir, SUITE_CONFIGS.adapter),
    `export default { test: { include: ['tests/*.test.mjs'], globalSetup: ['@mcp-reaper/vitest-setup/global-setup'], setupFiles: ['@mcp-reaper/vitest-setup'] } };\n`,
  );
  fs.writeFileSync(path.join(dir, SUITE_CONFIGS.plain), `export default { test: { include: ['tests/*.test.mjs'] } };\n`);
}

/** One whole `vitest run --maxWorkers=N`: its wall time, its own Duration line, and how many REST servers its tests used. */
function suiteOnce(dir, tmp, workers, kind) {
  fs.rmSync(path.join(dir, 'out'), { recursive: true, force: true });
  const vitest = path.join(dir, 'node_modules', 'vitest', 'vitest.mjs');
  const env = { ...process.env, TMPDIR: tmp, NO_COLOR: '1', CI: '1' };
  for (const key of ['VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID', 'NODE_OPTIONS', 'MCP_REAPER_RUN', 'MCP_REAPER_OWNER']) delete env[key];
  const what = `vitest ${kind} --maxWorkers=${workers}`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [vitest, 'run', '--config', SUITE_CONFIGS[kind], `--maxWorkers=${workers}`], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${what} failed (${code ?? signal}):\n${output}`));
      const seen = fs.readdirSync(path.join(dir, 'out')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, 'out', f), 'utf8')));
      if (seen.length !== SUITE_FILES) return reject(new Error(`${what}: ${seen.length} of ${SUITE_FILES} files recorded:\n${output}`));
      const instances = new Set(seen.map((s) => s.restPid).filter((pid) => pid > 0)).size;
      if ((kind === 'adapter') !== instances > 0) return reject(new Error(`${what}: its tests used ${instances} REST servers:\n${output}`));
      resolve({ ms, instances, duration: /Duration\s+(.*)/.exec(output)?.[1]?.trim() });
    });
  });
}

async function suite(sandbox, tmp, log) {
  const dir = path.join(sandbox.tmp, 'suite');
  const packs = path.join(sandbox.tmp, 'packs');
  fs.mkdirSync(dir);
  fs.mkdirSync(packs);
  writeSuite(dir, sandbox, packWorkspace(packs, ['core', 'vitest-setup']));
  const installStart = performance.now();
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'ignore', timeout: 600_000 });
  const vitestVersion = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/vitest/package.json'), 'utf8')).version;
  log(`parallel: suite of ${SUITE_FILES} files (each ${SUITE_HOLD_MS} ms of I/O wait on its worker's REST server), Vitest ${vitestVersion}, 1 vs 3 workers, ${SUITE_ROUNDS} rounds alternating; beside it, the same files without the adapter (no stack: the tests only wait); npm install ${fmtMs(performance.now() - installStart)}`);
  const checkClean = async (what) => {
    // The run's end stopped its workers' stacks; its watchdog exits a moment after.
    await waitUntil(() => processesNaming(dir).length === 0, 5_000, `${what}: nothing of the project running (still: ${processesNaming(dir).map((p) => p.cmd).join(', ')})`);
    const left = registryEntries(tmp);
    if (left.length > 0) throw new Error(`${what}: left in the registry: ${left.join(', ')}`);
  };
  // Warm-up: Vite's caches.
  for (const kind of Object.keys(SUITE_CONFIGS)) await suiteOnce(dir, tmp, SUITE_WORKERS.at(-1), kind);
  await checkClean('warm-up');
  const runs = [];
  for (let i = 0; i < SUITE_ROUNDS; i++) {
    for (const kind of Object.keys(SUITE_CONFIGS)) {
      for (const workers of SUITE_WORKERS) {
        runs.push({ kind, workers, round: i, ...(await suiteOnce(dir, tmp, workers, kind)) });
        await checkClean(`${kind}, ${workers} workers, round ${i}`);
      }
    }
    const of = (kind, workers) => runs.find((r) => r.round === i && r.kind === kind && r.workers === workers);
    log(
      `  round ${i}: ${SUITE_WORKERS.map((w) => `${w} worker${w === 1 ? '' : 's'} ${fmtMs(of('adapter', w).ms)} (${of('adapter', w).instances} stack${of('adapter', w).instances === 1 ? '' : 's'})`).join(', ')}; without: ${SUITE_WORKERS.map((w) => fmtMs(of('plain', w).ms)).join(', ')}`,
    );
  }
  const times = (kind, workers) => runs.filter((r) => r.kind === kind && r.workers === workers).map((r) => r.ms);
  const [one, many] = SUITE_WORKERS;
  const result = {
    files: SUITE_FILES,
    holdMs: SUITE_HOLD_MS,
    rounds: SUITE_ROUNDS,
    vitest: vitestVersion,
    workers1: stats(times('adapter', one)),
    workers3: stats(times('adapter', many)),
    ratio: ratio(median(times('adapter', many)), median(times('adapter', one))),
    target: SUITE_TARGET,
    instances: Object.fromEntries(SUITE_WORKERS.map((w) => [`workers${w}`, runs.filter((r) => r.kind === 'adapter' && r.workers === w).map((r) => r.instances)])),
    // Without the adapter (no run, no stacks): Vitest's own cost of the same files.
    plain: { workers1: stats(times('plain', one)), workers3: stats(times('plain', many)), ratio: ratio(median(times('plain', many)), median(times('plain', one))) },
    // What the adapter and the stacks add to each, round by round (the runs of a round ran next to each other).
    adapterAdds: Object.fromEntries(
      SUITE_WORKERS.map((w) => [`workers${w}`, stats(times('adapter', w).map((ms, i) => ms - times('plain', w)[i]))]),
    ),
    vitestDuration: Object.fromEntries(runs.filter((r) => r.round === SUITE_ROUNDS - 1).map((r) => [`${r.kind}Workers${r.workers}`, r.duration])),
  };
  result.met = result.ratio <= SUITE_TARGET;
  return result;
}

// ---------------------------------------------------------------------------------------------

export async function run({ log = console.log } = {}) {
  // The bench's own TMPDIR: the registry it fills is its own. Short, for the sockets in ${dir}.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpb-t-'));
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  const sandbox = new Sandbox();
  const result = {};
  let left = [];
  try {
    result.leases = await leaseContention(sandbox, tmp, log);
    result.workerReadiness = await workerReadiness(sandbox, log);
    if (process.env.BENCH_RUNNERS !== '0') result.suite = await suite(sandbox, tmp, log);
  } finally {
    await sandbox.cleanup();
    left = registryEntries(tmp);
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  result.registryLeft = left.length;
  if (left.length > 0) log(`parallel: left in the bench's registry: ${left.join(', ')}`);

  const { leases: l, workerReadiness: w, suite: s } = result;
  const yes = (met) => (met ? 'met' : 'MISSED');
  result.summary = [
    ...(s
      ? [
          `parallel: ${s.files} I/O-bound files (${s.holdMs} ms wait each): 3 workers ${fmtMs(s.workers3.median)} vs 1 worker ${fmtMs(s.workers1.median)} → ${s.ratio}x (target ≤ ${s.target}x, ${yes(s.met)}); stacks per run: ${s.instances.workers3.join('/')} with 3 workers, ${s.instances.workers1.join('/')} with 1`,
          `parallel: the same files without the adapter (no stack, the tests only wait): 3 workers ${fmtMs(s.plain.workers3.median)} vs 1 worker ${fmtMs(s.plain.workers1.median)} → ${s.plain.ratio}x; the adapter and its stacks add ${fmtMs(s.adapterAdds.workers3.median)} with 3 workers, ${fmtMs(s.adapterAdds.workers1.median)} with 1`,
        ]
      : []),
    `parallel: a worker's stack ready ${fmtMs(w.worker.upMinusReadiness.median)} (p90 ${fmtMs(w.worker.upMinusReadiness.p90)}) after the slowest service's own readiness (target ≤ ${w.targetMs} ms, ${yes(w.worker.upMinusReadiness.met)}); the same services as a run stack ${fmtMs(w.runStack.upMinusReadiness.median)} (p90 ${fmtMs(w.runStack.upMinusReadiness.p90)}); up ${fmtMs(w.worker.up.median)} vs ${fmtMs(w.runStack.up.median)}`,
    `parallel: ${l.processes} processes × ${l.each} auto ports at once: ${l.contended.duplicates} duplicate ports of ${l.contended.leases}, ${fmtMs(l.contended.perLease.median)} per lease (p90 ${fmtMs(l.contended.perLease.p90)}, max ${fmtMs(l.contended.perLease.max)}; CPU per lease p90 ${fmtMs(l.contended.cpuPerLease.p90)}: the tail is waiting for a core) (target ≤ ${l.targetMs} ms, ${yes(l.met)}); one process alone ${fmtMs(l.alone.perLease.median)} (p90 ${fmtMs(l.alone.perLease.p90)}); registry empty after release: ${l.contended.leftAfterRelease === 0 ? 'yes' : 'NO'}`,
  ];
  return result;
}

await runIfMain(import.meta.url, run);
