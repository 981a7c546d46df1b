// What the runner adapters cost a test run (the third-worst bug is a slow test hook):
// 1. The hooks themselves, in this process, as the adapters call them: the global setup (startRun:
//    a sweep and the watchdog's start) against the integration scripts' pre-run cleanup
//    (`ps aux | grep | grep -v grep | awk | xargs kill -9`); the per-file leak check (checkLeaks,
//    a scoped sweep) with nothing leaked while other workers' daemons run, and with one leak; the
//    global teardown (run.end).
// 2. The real runners: one sample project (Jest 30, Vitest 4, Playwright, from the registry; our
//    packages from `pnpm pack`), 10 trivial test files, run with and without the adapter's config,
//    rounds alternating. Skipped with BENCH_RUNNERS=0 (the npm install needs the registry).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { core, fmtMs, runIfMain, ratio, REPO, Sandbox, stats, timeAsync, uniqueName } from './lib.mjs';

const HOOK_ROUNDS = 15;
const RUNNER_ROUNDS = 5;
const TEST_FILES = 10;

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
    const result = {
      globalSetup: stats(setup),
      grepPipeline: stats(pipeline),
      setupVsPipeline: ratio(stats(setup).median, stats(pipeline).median),
      globalTeardown: stats(teardown),
      leakCheckClean: stats(clean),
      leakCheckOneLeak: stats(leaked),
    };
    log(`hooks: global setup ${fmtMs(result.globalSetup.median)} vs grep|kill pipeline ${fmtMs(result.grepPipeline.median)} (${result.setupVsPipeline}x), teardown ${fmtMs(result.globalTeardown.median)}`);
    log(`hooks: leak check per file ${fmtMs(result.leakCheckClean.median)} (nothing leaked), ${fmtMs(result.leakCheckOneLeak.median)} (one cooperative leak stopped)`);
    return result;
  } finally {
    process.env.MCP_REAPER_RUN = saved.run;
    process.env.MCP_REAPER_OWNER = saved.owner;
    if (saved.run === undefined) delete process.env.MCP_REAPER_RUN;
    if (saved.owner === undefined) delete process.env.MCP_REAPER_OWNER;
    await sandbox.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// The real runners.

/** Packs our packages (pnpm rewrites workspace:* as publishing would): name → tarball. */
function pack(out) {
  const tarballs = {};
  for (const dir of ['core', 'jest-env', 'vitest-setup', 'playwright-fixture']) {
    const packageDir = path.join(REPO, 'packages', dir);
    const { name } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const before = new Set(fs.readdirSync(out));
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: packageDir, stdio: 'ignore' });
    const file = fs.readdirSync(out).find((f) => !before.has(f));
    tarballs[name] = `file:${path.join(out, file)}`;
  }
  return tarballs;
}

function trivialTests(dir, header, ext) {
  for (let i = 1; i <= TEST_FILES; i++) {
    fs.writeFileSync(path.join(dir, `t${i}.test.${ext}`), `${header}\ntest('trivial ${i}', () => { expect(${i}).toBe(${i}); });\n`);
  }
}

function writeProject(dir, name, tarballs) {
  const json = {
    name: 'bench-adapters',
    private: true,
    type: 'module',
    mcpReaper: { names: [name], dir: './state' },
    dependencies: { jest: '^30', 'jest-environment-node': '^30', vitest: '^4', '@playwright/test': '^1.65', ...tarballs },
    overrides: { '@mcp-reaper/core': tarballs['@mcp-reaper/core'] },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(json, null, 2));
  for (const sub of ['jest', 'vitest', 'pw-plain', 'pw-adapter', 'state']) fs.mkdirSync(path.join(dir, sub));
  trivialTests(path.join(dir, 'jest'), '', 'cjs');
  trivialTests(path.join(dir, 'vitest'), "import { expect, test } from 'vitest';", 'mjs');
  trivialTests(path.join(dir, 'pw-plain'), "import { expect, test } from '@playwright/test';", 'mjs');
  trivialTests(path.join(dir, 'pw-adapter'), "import { expect, test } from '@mcp-reaper/playwright-fixture';", 'mjs');
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
  };
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
}

const RUNNERS = {
  jest: (config) => ['jest', '--config', config, '--maxWorkers=2'],
  vitest: (config) => ['vitest', 'run', '--config', config, '--maxWorkers=2'],
  playwright: (config) => ['playwright', 'test', '--config', config],
};
const CONFIGS = {
  jest: { plain: 'jest.plain.config.cjs', adapter: 'jest.adapter.config.cjs' },
  vitest: { plain: 'vitest.plain.config.mjs', adapter: 'vitest.adapter.config.mjs' },
  playwright: { plain: 'pw.plain.config.mjs', adapter: 'pw.adapter.config.mjs' },
};

function runOnce(dir, runner, config) {
  const t0 = performance.now();
  const result = spawnSync('npx', RUNNERS[runner](config), {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', CI: '1', MCP_REAPER_RUN: undefined, MCP_REAPER_OWNER: undefined },
    encoding: 'utf8',
    timeout: 180_000,
  });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${runner} with ${config} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return ms;
}

async function runners(log) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-bench-adapters-'));
  try {
    const packs = path.join(root, 'packs');
    const dir = path.join(root, 'project');
    fs.mkdirSync(packs);
    fs.mkdirSync(dir);
    writeProject(dir, uniqueName(), pack(packs));
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
    }
    return result;
  } finally {
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
  return { ...result, summary };
}

await runIfMain(import.meta.url, run);
