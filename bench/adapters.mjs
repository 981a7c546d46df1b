// What the runner adapters cost a test run (the third-worst bug is a slow test hook):
// 1. The hooks themselves, in this process, as the adapters call them: the global setup (startRun:
//    a sweep and the watchdog's start) against the integration scripts' pre-run cleanup
//    (`ps aux | grep | grep -v grep | awk | xargs kill -9`); the per-file leak check (checkLeaks,
//    a scoped sweep) with nothing leaked while other workers' daemons run, and with one leak; the
//    global teardown (run.end).
// 2. The real runners: one sample project (Jest 30, Vitest 4, Playwright, from the registry; our
//    packages from `pnpm pack`), 10 trivial test files, run with and without the adapter's config,
//    rounds alternating. Skipped with BENCH_RUNNERS=0 (the npm install needs the registry).
// 3. A leak check that stops one cooperative leak started with startDaemon(), before and after the
//    scoped sweep's respawn window went to 0 by default: in this process (checkLeaks with
//    respawnWindowMs 300 vs unset), and in each real runner, whose leak check's own time is read
//    from the NODE_DEBUG=mcp-reaper trace (MCP_REAPER_RESPAWN_WINDOW_MS=300 is the old config
//    default, exactly: "before" and "after" run the same code, rounds alternating).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { core, fmtMs, packWorkspace, runIfMain, ratio, Sandbox, stats, timeAsync, uniqueName } from './lib.mjs';

const HOOK_ROUNDS = 15;
const RUNNER_ROUNDS = 5;
const TEST_FILES = 10;
/** The respawn window every sweep had before a scoped sweep's default became 0 (the config layer filled it in). */
const OLD_RESPAWN_WINDOW_MS = 300;
/** What a leak check that stops one cooperative leak should cost once no respawn window is paid. */
const LEAK_CHECK_TARGET_MS = 50;

/** How long `fn` takes, in ms (lib's timeAsync, without the value). */
const timed = async (fn) => (await timeAsync(fn)).ms;

/** The integration scripts' pre-run cleanup, for a name nobody has (so it kills nothing). */
function grepPipeline(name) {
  // The name travels in the environment: on bash's own command line the pipeline would match the
  // shell running it, the very bug of this idiom (it kills whatever mentions the name).
  const t0 = performance.now();
  spawnSync('bash', ['-c', 'ps aux | grep -E "$BENCH_NAME" | grep -v grep | awk \'{print $2}\' | xargs -r kill -9'], {
    env: { ...process.env, BENCH_NAME: name },
    stdio: 'ignore',
  });
  return performance.now() - t0;
}

async function hooks(log) {
  const sandbox = new Sandbox();
  const saved = { run: process.env.MCP_REAPER_RUN, owner: process.env.MCP_REAPER_OWNER };
  try {
    const options = sandbox.sweepOptions();
    // Four other workers' daemons run meanwhile: the leak check must find and skip them (scoped).
    await sandbox.startDaemons(4, { MCP_REAPER_OWNER: 'bench-other/w1' });
    const setup = [];
    const teardown = [];
    const pipeline = [];
    for (let i = 0; i < HOOK_ROUNDS; i++) {
      let run;
      setup.push(await timed(async () => (run = await core.startRun(options))));
      teardown.push(await timed(() => run.end()));
      pipeline.push(grepPipeline(uniqueName()));
    }
    const clean = [];
    for (let i = 0; i < HOOK_ROUNDS; i++) {
      clean.push(await timed(() => core.checkLeaks({ ...options, owner: `bench-run/w2/file-${i}` })));
    }
    const leaked = [];
    for (let i = 0; i < Math.min(HOOK_ROUNDS, 7); i++) {
      const owner = `bench-run/w3/file-${i}`;
      await sandbox.startDaemons(1, { MCP_REAPER_OWNER: owner });
      let check;
      leaked.push(await timed(async () => (check = await core.checkLeaks({ ...options, owner, onLeak: 'kill' }))));
      if (check.leaks.length !== 1) throw new Error(`expected one leak, got ${check.leaks.length}`);
    }
    const childLeak = await leakCheckChildLeak(sandbox, options);
    const result = {
      globalSetup: stats(setup),
      grepPipeline: stats(pipeline),
      setupVsPipeline: ratio(stats(setup).median, stats(pipeline).median),
      globalTeardown: stats(teardown),
      leakCheckClean: stats(clean),
      leakCheckOneLeak: stats(leaked),
      leakCheckChildLeak: childLeak,
    };
    log(`hooks: global setup ${fmtMs(result.globalSetup.median)} vs grep|kill pipeline ${fmtMs(result.grepPipeline.median)} (${result.setupVsPipeline}x), teardown ${fmtMs(result.globalTeardown.median)}`);
    log(`hooks: leak check per file ${fmtMs(result.leakCheckClean.median)} (nothing leaked), ${fmtMs(result.leakCheckOneLeak.median)} (one cooperative leak stopped)`);
    log(`hooks: leak check stopping one child leak ${fmtMs(childLeak.after.median)} vs ${fmtMs(childLeak.before.median)} with a ${OLD_RESPAWN_WINDOW_MS} ms respawn window (${childLeak.ratio}x)`);
    return result;
  } finally {
    process.env.MCP_REAPER_RUN = saved.run;
    process.env.MCP_REAPER_OWNER = saved.owner;
    if (saved.run === undefined) delete process.env.MCP_REAPER_RUN;
    if (saved.owner === undefined) delete process.env.MCP_REAPER_OWNER;
    await sandbox.cleanup();
  }
}

/** Before vs after, as the table shows them: the ratio is after/before, the target is on after. */
function beforeAfter(before, after) {
  const b = stats(before);
  const a = stats(after);
  return { before: b, after: a, ratio: ratio(a.median, b.median), met: a.median < LEAK_CHECK_TARGET_MS };
}

/**
 * The leak a real test leaves: a daemon started with startDaemon() and never stopped. Unlike the
 * forked orphans above, it is our child, and its parent (this process, as a runner's worker) still
 * lives when the leak check runs: a respawn window is paid for it whenever one is set. Rounds
 * alternate before (respawnWindowMs 300) and after (unset: 0 in a scoped sweep).
 */
async function leakCheckChildLeak(sandbox, options) {
  const before = [];
  const after = [];
  for (let i = 0; i < Math.min(HOOK_ROUNDS, 7); i++) {
    for (const [window, times] of [[OLD_RESPAWN_WINDOW_MS, before], [undefined, after]]) {
      const owner = `bench-run/w4/file-${times === before ? 'b' : 'a'}${i}`;
      // Its dir is the sandbox's state dir, so the check also removes its pid file, as a real one does.
      await core.startDaemon({ command: sandbox.bin, env: { XDG_DATA_HOME: sandbox.tmp }, owner });
      const checkOptions = { ...options, owner, onLeak: 'kill', ...(window !== undefined && { respawnWindowMs: window }) };
      let check;
      times.push(await timed(async () => (check = await core.checkLeaks(checkOptions))));
      if (check.leaks.length !== 1) throw new Error(`expected one leak, got ${check.leaks.length}`);
    }
  }
  return beforeAfter(before, after);
}

// ---------------------------------------------------------------------------------------------
// The real runners.

function trivialTests(dir, header, ext) {
  for (let i = 1; i <= TEST_FILES; i++) {
    fs.writeFileSync(path.join(dir, `t${i}.test.${ext}`), `${header}\ntest('trivial ${i}', () => { expect(${i}).toBe(${i}); });\n`);
  }
}

/**
 * One test file that leaks: it starts a daemon (the fake, behind the sandbox's wrapper, in the
 * foreground: a child of the runner's worker) and forgets it, as a test that throws before its
 * stop() would. `imports` brings `startDaemon`, `expect` and `test` in.
 */
function leakTest(dir, project, bin, imports, ext) {
  const xdg = path.join(project, 'xdg');
  fs.writeFileSync(
    path.join(dir, `leak.test.${ext}`),
    `${imports}
test('leaks one daemon', async () => {
  const daemon = await startDaemon({ command: ${JSON.stringify(bin)}, env: { XDG_DATA_HOME: ${JSON.stringify(xdg)} } });
  expect(daemon.pid).toBeGreaterThan(0); // never stopped: the file's leak check stops it
});
`,
  );
}

/** `sandbox` gives the daemon's unique name and its wrapper (and kills what a failed run leaves). */
function writeProject(dir, sandbox, tarballs) {
  const { name, bin } = sandbox;
  const json = {
    name: 'bench-adapters',
    private: true,
    type: 'module',
    // dir is where the leaked fake writes its pid file ($XDG_DATA_HOME/AIAgentPM), so the leak check
    // removes it as it would the real daemon's. onLeak 'kill': the leaking runs pass without a word.
    mcpReaper: { names: [name], dir: './xdg/AIAgentPM', onLeak: 'kill' },
    dependencies: { jest: '^30', 'jest-environment-node': '^30', vitest: '^4', '@playwright/test': '^1.65', ...tarballs },
    overrides: { '@mcp-reaper/core': tarballs['@mcp-reaper/core'] },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(json, null, 2));
  for (const sub of ['jest', 'vitest', 'pw-plain', 'pw-adapter', 'jest-leak', 'vitest-leak', 'pw-leak', 'xdg']) fs.mkdirSync(path.join(dir, sub));
  trivialTests(path.join(dir, 'jest'), '', 'cjs');
  trivialTests(path.join(dir, 'vitest'), "import { expect, test } from 'vitest';", 'mjs');
  trivialTests(path.join(dir, 'pw-plain'), "import { expect, test } from '@playwright/test';", 'mjs');
  trivialTests(path.join(dir, 'pw-adapter'), "import { expect, test } from '@mcp-reaper/playwright-fixture';", 'mjs');
  // The leaking sets: the same trivial files, plus one that leaks a daemon.
  trivialTests(path.join(dir, 'jest-leak'), '', 'cjs');
  trivialTests(path.join(dir, 'vitest-leak'), "import { expect, test } from 'vitest';", 'mjs');
  trivialTests(path.join(dir, 'pw-leak'), "import { expect, test } from '@mcp-reaper/playwright-fixture';", 'mjs');
  const importCore = "import { startDaemon } from '@mcp-reaper/core';";
  leakTest(path.join(dir, 'jest-leak'), dir, bin, "const { startDaemon } = require('@mcp-reaper/core');", 'cjs');
  leakTest(path.join(dir, 'vitest-leak'), dir, bin, `${importCore}\nimport { expect, test } from 'vitest';`, 'mjs');
  leakTest(path.join(dir, 'pw-leak'), dir, bin, `${importCore}\nimport { expect, test } from '@mcp-reaper/playwright-fixture';`, 'mjs');
  const files = {
    'jest.plain.config.cjs': `module.exports = { testMatch: ['<rootDir>/jest/*.test.cjs'] };\n`,
    'jest.adapter.config.cjs': `module.exports = {
  testMatch: ['<rootDir>/jest/*.test.cjs'],
  globalSetup: '@mcp-reaper/jest-env/global-setup',
  globalTeardown: '@mcp-reaper/jest-env/global-teardown',
  testEnvironment: '@mcp-reaper/jest-env',
};\n`,
    'vitest.plain.config.mjs': `export default { test: { include: ['vitest/*.test.mjs'] } };\n`,
    'vitest.adapter.config.mjs': `export default { test: {
  include: ['vitest/*.test.mjs'],
  globalSetup: ['@mcp-reaper/vitest-setup/global-setup'],
  setupFiles: ['@mcp-reaper/vitest-setup'],
} };\n`,
    'pw.plain.config.mjs': `export default { testDir: './pw-plain', testMatch: '*.test.mjs', workers: 2, reporter: 'dot' };\n`,
    'pw.adapter.config.mjs': `export default { testDir: './pw-adapter', testMatch: '*.test.mjs', workers: 2, reporter: 'dot',
  globalSetup: '@mcp-reaper/playwright-fixture/global-setup',
  globalTeardown: '@mcp-reaper/playwright-fixture/global-teardown',
};\n`,
    'jest.leak.config.cjs': `module.exports = {
  testMatch: ['<rootDir>/jest-leak/*.test.cjs'],
  globalSetup: '@mcp-reaper/jest-env/global-setup',
  globalTeardown: '@mcp-reaper/jest-env/global-teardown',
  testEnvironment: '@mcp-reaper/jest-env',
};\n`,
    'vitest.leak.config.mjs': `export default { test: {
  include: ['vitest-leak/*.test.mjs'],
  globalSetup: ['@mcp-reaper/vitest-setup/global-setup'],
  setupFiles: ['@mcp-reaper/vitest-setup'],
} };\n`,
    'pw.leak.config.mjs': `export default { testDir: './pw-leak', testMatch: '*.test.mjs', workers: 2, reporter: 'dot',
  globalSetup: '@mcp-reaper/playwright-fixture/global-setup',
  globalTeardown: '@mcp-reaper/playwright-fixture/global-teardown',
};\n`,
  };
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
}

const RUNNERS = {
  jest: (config) => ['jest', '--config', config, '--maxWorkers=2'],
  vitest: (config) => ['vitest', 'run', '--config', config, '--maxWorkers=2'],
  playwright: (config) => ['playwright', 'test', '--config', config],
};
const CONFIGS = {
  jest: { plain: 'jest.plain.config.cjs', adapter: 'jest.adapter.config.cjs', leak: 'jest.leak.config.cjs' },
  vitest: { plain: 'vitest.plain.config.mjs', adapter: 'vitest.adapter.config.mjs', leak: 'vitest.leak.config.mjs' },
  playwright: { plain: 'pw.plain.config.mjs', adapter: 'pw.adapter.config.mjs', leak: 'pw.leak.config.mjs' },
};

function runOnce(dir, runner, config) {
  return runWithOutput(dir, runner, config).ms;
}

/** Runs one runner on one config, with `env` over ours (throws unless it passes): its wall time and its output. */
function runWithOutput(dir, runner, config, env = {}) {
  const t0 = performance.now();
  const result = spawnSync('npx', RUNNERS[runner](config), {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', CI: '1', MCP_REAPER_RUN: undefined, MCP_REAPER_OWNER: undefined, ...env },
    encoding: 'utf8',
    timeout: 180_000,
  });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${runner} with ${config} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return { ms, output: `${result.stdout}\n${result.stderr}` };
}

/**
 * The leak checks that stopped something, from a run's NODE_DEBUG=mcp-reaper trace: each process
 * prints `sweep {options}` as a sweep starts, `SIGTERM: g groups, n processes` when it signals, and
 * `swept <owner> in <ms> ms` as it ends. A process runs its sweeps one after another, so its lines
 * are followed per pid (workers' lines interleave). A leak check's owner has a "/" (the run's own
 * sweeps have none); this picks, among Playwright's per-test and per-worker checks, the per-test
 * check that stopped the leak, not the worker's that found nothing.
 */
function stoppingLeakChecks(output) {
  const current = new Map();
  const found = [];
  for (const line of output.split('\n')) {
    const m = /^MCP-REAPER (\d+): (?:sweep (\{.*\})|SIGTERM: \d+ groups, (\d+) processes|swept (.+) in ([\d.]+) ms)$/.exec(line.trim());
    if (!m) continue;
    const [, pid, options, signalled, owner, ms] = m;
    if (options) {
      current.set(pid, { respawnWindowMs: JSON.parse(options).respawnWindowMs, stopped: false });
    } else if (signalled) {
      if (current.has(pid) && Number(signalled) > 0) current.get(pid).stopped = true;
    } else {
      const sweep = current.get(pid);
      current.delete(pid);
      if (sweep?.stopped && owner.includes('/')) found.push({ owner, ms: Number(ms), respawnWindowMs: sweep.respawnWindowMs });
    }
  }
  return found;
}

/** One run of the leaking set: the time of the leak check that stopped the leak, checked to run under `respawnWindowMs`. */
function leakCheckOnce(dir, runner, respawnWindowMs) {
  const env = { NODE_DEBUG: 'mcp-reaper', MCP_REAPER_RESPAWN_WINDOW_MS: respawnWindowMs === undefined ? undefined : String(respawnWindowMs) };
  const { output } = runWithOutput(dir, runner, CONFIGS[runner].leak, env);
  const checks = stoppingLeakChecks(output);
  const expected = respawnWindowMs ?? 0;
  if (checks.length !== 1 || checks[0].respawnWindowMs !== expected) {
    throw new Error(`${runner}: expected one leak check stopping the leak, with respawnWindowMs ${expected}; got ${JSON.stringify(checks)}:\n${output}`);
  }
  return checks[0].ms;
}

/** Before (the old 300 ms, as the environment sets it) and after (unset), rounds alternating. */
function leakCheckInRunner(dir, runner) {
  leakCheckOnce(dir, runner, undefined); // warm caches for the leaking set's files
  const before = [];
  const after = [];
  for (let i = 0; i < RUNNER_ROUNDS; i++) {
    before.push(leakCheckOnce(dir, runner, OLD_RESPAWN_WINDOW_MS));
    after.push(leakCheckOnce(dir, runner, undefined));
  }
  return beforeAfter(before, after);
}

async function runners(log) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-bench-adapters-'));
  // The leaking tests' daemons run lib's wrapper: a run that fails with its leak alive leaves
  // nothing behind, the sandbox's cleanup kills what names its temp dir.
  const sandbox = new Sandbox();
  try {
    const packs = path.join(root, 'packs');
    const dir = path.join(root, 'project');
    fs.mkdirSync(packs);
    fs.mkdirSync(dir);
    writeProject(dir, sandbox, packWorkspace(packs, ['core', 'jest-env', 'vitest-setup', 'playwright-fixture']));
    const installStart = performance.now();
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'ignore', timeout: 600_000 });
    log(`runners: npm install ${fmtMs(performance.now() - installStart)}`);
    const result = {};
    for (const runner of Object.keys(RUNNERS)) {
      runOnce(dir, runner, CONFIGS[runner].plain); // warm caches (Jest's transform cache, Vite's)
      runOnce(dir, runner, CONFIGS[runner].adapter);
      const plain = [];
      const adapter = [];
      for (let i = 0; i < RUNNER_ROUNDS; i++) {
        plain.push(runOnce(dir, runner, CONFIGS[runner].plain));
        adapter.push(runOnce(dir, runner, CONFIGS[runner].adapter));
      }
      const a = stats(adapter);
      const p = stats(plain);
      result[runner] = { files: TEST_FILES, plain: p, adapter: a, overheadMs: Math.round(a.median - p.median), ratio: ratio(a.median, p.median) };
      log(`runners: ${runner}, ${TEST_FILES} files: ${fmtMs(a.median)} with the adapter vs ${fmtMs(p.median)} without (${result[runner].ratio}x, +${result[runner].overheadMs} ms)`);
      const leak = (result[runner].leakCheck = leakCheckInRunner(dir, runner));
      log(`runners: ${runner}, the leak check stopping one leak: ${fmtMs(leak.after.median)} vs ${fmtMs(leak.before.median)} with a ${OLD_RESPAWN_WINDOW_MS} ms respawn window (${leak.ratio}x)`);
    }
    return result;
  } finally {
    await sandbox.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export async function run({ log = console.log } = {}) {
  const result = { hooks: await hooks(log) };
  if (process.env.BENCH_RUNNERS !== '0') result.runners = await runners(log);
  const summary = [
    `Adapter hooks: global setup ${fmtMs(result.hooks.globalSetup.median)} (${result.hooks.setupVsPipeline}x the grep|kill pipeline), leak check ${fmtMs(result.hooks.leakCheckClean.median)} per file, teardown ${fmtMs(result.hooks.globalTeardown.median)}.`,
  ];
  for (const [runner, r] of Object.entries(result.runners ?? {})) {
    summary.push(`${runner} run of ${r.files} files: ${r.ratio}x with the adapter (+${r.overheadMs} ms on ${fmtMs(r.plain.median)}).`);
  }
  const leakChecks = [['in-process', result.hooks.leakCheckChildLeak], ...Object.entries(result.runners ?? {}).map(([runner, r]) => [runner, r.leakCheck])];
  summary.push(
    `Leak check stopping one leak (after vs before, ${OLD_RESPAWN_WINDOW_MS} ms respawn window): ${leakChecks.map(([where, x]) => `${where} ${fmtMs(x.after.median)} vs ${fmtMs(x.before.median)}`).join(', ')} (target < ${LEAK_CHECK_TARGET_MS} ms${leakChecks.every(([, x]) => x.met) ? ', met' : ', NOT met'}).`,
  );
  return { ...result, summary };
}

await runIfMain(import.meta.url, run);
