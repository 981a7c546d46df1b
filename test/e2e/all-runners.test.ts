// The three runners side by side, in one project that installs Jest, Vitest and Playwright and our
// packages from the packed tarballs, with the README's shared mcp-reaper.config.json:
// - one configuration, the same behaviour everywhere: the same environment and runner settings given
//   to the CLI and to each runner, row by row. Each row asserts, through the real runner, what the
//   sweep before the run does, what a leak does, the grace a daemon fixture gets, what happens to
//   dryRun, and the respawn window of a leak check (from the NODE_DEBUG=mcp-reaper trace of each
//   sweep's resolved options);
// - two runs at once: a Vitest run holds its daemon while Jest and Playwright runs start and finish
//   beside it, 20 times: none of them may stop it.
//
// Safety: the daemon is a fake under a unique name (`mcpc-` + 6 hex) that only this project runs.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, listening } from '../helpers/net.js';
import { readmeBlock } from '../helpers/readme.js';
import { isAlive, processesWith, waitFor } from '../helpers/wait.js';
import { plantLeftovers } from './helpers/leftovers.js';
import { createProject, type RunResult, type SampleProject } from './helpers/sample-project.js';
import { CURRENT_PLAYWRIGHT } from './playwright/support.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const FAKE = path.join(REPO, 'test/fixtures/fake-mcp-server-pm.mjs');

type Runner = 'jest' | 'vitest' | 'playwright';
const RUNNERS: Runner[] = ['jest', 'vitest', 'playwright'];

interface Row {
  name: string;
  /** MCP_REAPER_* variables of the run. */
  env: Record<string, string>;
  /** The runner settings, the same in each runner's place for them. */
  settings: Record<string, unknown>;
  expect: {
    onLeak: 'warn' | 'fail' | 'kill';
    /** The fixtures' daemons' grace (Jest's and Vitest's useDaemon, Playwright's mcpDaemon). */
    graceMs: number;
    /** The respawn window of the sweep before the run, and of each leak check. */
    respawnBefore: number;
    respawnLeakCheck: number;
    /** Where dryRun came from, when the run must say it ignores it. */
    dryRunIgnored?: string;
  };
}

// The README's file sets onLeak "fail" and graceMs 1000; the rows change it as users do.
const ROWS: Row[] = [
  { name: 'the file alone', env: {}, settings: {}, expect: { onLeak: 'fail', graceMs: 1000, respawnBefore: 300, respawnLeakCheck: 0 } },
  {
    name: 'MCP_REAPER_* over the file',
    env: { MCP_REAPER_ON_LEAK: 'kill', MCP_REAPER_GRACE_MS: '300' },
    settings: {},
    expect: { onLeak: 'kill', graceMs: 300, respawnBefore: 300, respawnLeakCheck: 0 },
  },
  {
    name: 'runner settings over both',
    env: { MCP_REAPER_ON_LEAK: 'kill' },
    settings: { onLeak: 'warn', graceMs: 200, respawnWindowMs: 50 },
    expect: { onLeak: 'warn', graceMs: 200, respawnBefore: 50, respawnLeakCheck: 50 },
  },
  {
    name: 'dryRun, which only the CLI honours',
    env: { MCP_REAPER_DRY_RUN: '1', MCP_REAPER_ON_LEAK: 'warn', MCP_REAPER_GRACE_MS: '300' },
    settings: {},
    expect: { onLeak: 'warn', graceMs: 300, respawnBefore: 300, respawnLeakCheck: 0, dryRunIgnored: 'env MCP_REAPER_DRY_RUN' },
  },
];

const jestConfig = (settings: Record<string, unknown>) =>
  readmeBlock('packages/jest-env/README.md', /`jest\.config\.js`/, 'js').replace("{ mcpReaper: { onLeak: 'warn' } }", `{ mcpReaper: ${JSON.stringify(settings)} }`);
const vitestConfig = (settings: Record<string, unknown>) =>
  readmeBlock('packages/vitest-setup/README.md', /## Config/, 'ts').replace(
    "setupFiles: ['@mcp-reaper/vitest-setup'],",
    `setupFiles: ['@mcp-reaper/vitest-setup'],\n    include: ['vitest/**/*.test.ts'],\n    provide: { mcpReaper: ${JSON.stringify(settings)} },`,
  );
const playwrightConfig = (settings: Record<string, unknown>) =>
  readmeBlock('packages/playwright-fixture/README.md', /## `playwright\.config\.ts`/, 'ts')
    .replace("testDir: './tests',", `testDir: './pw',\n  use: { mcpReaper: ${JSON.stringify(settings)} },`);

// Each runner's test: a daemon fixture that ignores SIGTERM, stopped in the test (its report says
// how long it was given), and a daemon started and forgotten (the leak).
const SUPPORT = `const fs = require('node:fs');
const path = require('node:path');
const { startDaemon } = require('@mcp-reaper/core');
exports.stubbornEnv = (id) => ({ XDG_DATA_HOME: path.resolve('.test-state', id), FAKE_MCP_IGNORE_TERM: '1' });
exports.leak = (id) => startDaemon({ command: process.env.FAKE_NAME, env: { XDG_DATA_HOME: path.resolve('.test-state', id) } });
exports.record = (runner, data) => {
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync(path.join('out', runner + '.json'), JSON.stringify(data));
};
`;
const JEST_TEST = `const { useDaemon } = require('@mcp-reaper/jest-env');
const { leak, record, stubbornEnv } = require('../support.cjs');
const stubborn = useDaemon(() => ({ env: stubbornEnv('j-stubborn') }));
test('a stubborn fixture daemon, and a leak', async () => {
  const stop = await stubborn.handle.stop();
  const leaked = await leak('j-leak');
  record('jest', { leaked: leaked.pid, stop: stop.processes[0].reason });
}, 30000);
`;
const VITEST_TEST = `import { test } from 'vitest';
import { useDaemon } from '@mcp-reaper/vitest-setup';
import support from '../support.cjs';
const stubborn = useDaemon(() => ({ env: support.stubbornEnv('v-stubborn') }));
test('a stubborn fixture daemon, and a leak', async () => {
  const stop = await stubborn.handle.stop();
  const leaked = await support.leak('v-leak');
  support.record('vitest', { leaked: leaked.pid, stop: stop.processes[0].reason });
}, 30000);
`;
const playwrightTest = (settings: Record<string, unknown>) => `import { test } from '@mcp-reaper/playwright-fixture';
import support from '../support.cjs';
// test.use() replaces the config's mcpReaper: the row's settings again, with a stubborn daemon.
test.use({ mcpReaper: { ...${JSON.stringify(settings)}, daemon: { env: support.stubbornEnv('p-stubborn') } } });
test('a stubborn fixture daemon, and a leak', async ({ mcpDaemon }) => {
  const stop = await mcpDaemon.stop();
  const leaked = await support.leak('p-leak');
  support.record('playwright', { leaked: leaked.pid, stop: stop.processes[0].reason });
});
`;

let project: SampleProject;
let name: string;
let bin: string;
const stateDir = () => path.join(project.dir, '.test-state', 'AIAgentPM');

beforeAll(async () => {
  name = `mcpc-${randomBytes(3).toString('hex')}`;
  const shared = readmeBlock('README.md', /### One config file/, 'json').replaceAll('mcp-server-pm', name);
  project = await createProject({
    name: 'one-config',
    dependencies: { jest: '^30', 'jest-environment-node': '^30', vitest: '^4', '@playwright/test': CURRENT_PLAYWRIGHT },
    packages: ['@mcp-reaper/jest-env', '@mcp-reaper/vitest-setup', '@mcp-reaper/playwright-fixture'],
    files: {
      'mcp-reaper.config.json': shared,
      'bin/package.json': '{}\n',
      [`bin/${name}`]: `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(FAKE).href)});\n`,
      'support.cjs': SUPPORT,
      'jest/leak.test.js': JEST_TEST,
      'vitest/leak.test.ts': VITEST_TEST,
    },
  });
  bin = path.join(project.dir, 'bin', name);
  fs.chmodSync(bin, 0o755);
}, 300_000);

afterAll(() => {
  for (const { pid } of processesWith(project?.dir ?? '/nonexistent')) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  project?.remove();
});

/** The environment of every run: the project's daemon on PATH (the file names it), its state under .test-state. */
const envOf = (extra: Record<string, string>) => ({
  ...extra,
  PATH: `${path.join(project.dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  XDG_DATA_HOME: path.join(project.dir, '.test-state'),
  FAKE_NAME: name,
  NODE_DEBUG: 'mcp-reaper',
});

describe('one config file: the CLI, Jest, Vitest and Playwright behave alike', () => {
  const COMMANDS: Record<Runner, string[]> = {
    jest: ['jest', 'jest/'],
    vitest: ['vitest', 'run'],
    playwright: ['playwright', 'test'],
  };

  /** The options of each sweep a run made, from the NODE_DEBUG trace: the one before the run, and its leak checks. */
  function sweeps(output: string): Array<{ owner?: string; respawnWindowMs: number; dryRun: boolean }> {
    return [...output.matchAll(/MCP-REAPER \d+: sweep (\{.*\})/g)].map((m) => JSON.parse(m[1]!) as { owner?: string; respawnWindowMs: number; dryRun: boolean });
  }

  for (const row of ROWS) {
    describe(row.name, () => {
      for (const runner of RUNNERS) {
        it(`${runner}: sweeps before, ${row.expect.onLeak} on a leak, grace ${row.expect.graceMs} ms, leak-check respawn window ${row.expect.respawnLeakCheck}`, async () => {
          project.write({
            'jest.config.js': jestConfig(row.settings),
            'vitest.config.mts': vitestConfig(row.settings),
            'playwright.config.ts': playwrightConfig(row.settings),
            'pw/leak.spec.ts': playwrightTest(row.settings),
          });
          fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
          const planted = await plantLeftovers({ bin, root: project.dir, stateDir: stateDir() });

          const [command, ...args] = ['npx', ...COMMANDS[runner]];
          const result: RunResult = await project.run(command!, args, { env: envOf(row.env), timeoutMs: 120_000 });
          const output = result.stdout + result.stderr;
          const seen = JSON.parse(fs.readFileSync(path.join(project.dir, 'out', `${runner}.json`), 'utf8')) as { leaked: number; stop?: string };

          // Before the run: the planted daemon (which removes its own socket as it exits) and the stale files, in one line.
          expect(isAlive(planted.pid)).toBe(false);
          expect(output).toMatch(new RegExp(`mcp-reaper: before the run: stopped 1 leftover daemon \\(pid ${planted.pid}\\), removed 2 stale files\n`));
          // A leak, as onLeak says; stopped in every mode.
          expect(isAlive(seen.leaked)).toBe(false);
          const named = `left a daemon running; mcp-reaper stopped it:`;
          if (row.expect.onLeak === 'kill') expect(output).not.toContain(named);
          // (The runners indent a failure's message: Jest by four spaces more.)
          else expect(output).toMatch(new RegExp(`${named}\\n\\s+pid ${seen.leaked} terminated:`));
          expect(result.code, output).toBe(row.expect.onLeak === 'fail' ? 1 : 0);
          // The fixture's daemon gets the configured grace.
          expect(seen.stop).toContain(`ignored SIGTERM for ${row.expect.graceMs} ms; killed with SIGKILL`);
          // dryRun: ignored by a run, said once.
          const notice = `dryRun (${row.expect.dryRunIgnored}) is ignored in test runs`;
          expect(output.split(notice).length - 1).toBe(row.expect.dryRunIgnored ? 1 : 0);
          // The respawn window of each sweep, as the run resolved it.
          const traced = sweeps(output);
          const before = traced.filter((s) => s.owner === undefined);
          const checks = traced.filter((s) => s.owner?.includes('/'));
          expect(before.map((s) => [s.respawnWindowMs, s.dryRun])).toEqual([[row.expect.respawnBefore, false]]);
          expect(checks.length).toBeGreaterThan(0);
          for (const check of checks) expect([check.respawnWindowMs, check.dryRun]).toEqual([row.expect.respawnLeakCheck, false]);
          // Nothing of the project is left: no daemon, no watchdog, no runner.
          expect(processesWith(project.dir).map((p) => p.cmd)).toEqual([]);
        }, 120_000);
      }

      it('the CLI: the same values, and dryRun honoured', async () => {
        const cli = path.join(project.dir, 'node_modules', '.bin', 'mcp-reaper');
        const config = await project.run(cli, ['config', '--runner', 'jest', '--json'], { env: envOf(row.env) });
        expect(config.code, config.stderr).toBe(0);
        const { run } = JSON.parse(config.stdout) as { run: { onLeak: string; daemon: { graceMs: number }; sweep: { respawnWindowMs?: number } } };
        // The CLI has no runner settings: its values are the file's and the environment's.
        if (Object.keys(row.settings).length === 0) {
          expect(run.onLeak).toBe(row.expect.onLeak);
          expect(run.daemon.graceMs).toBe(row.expect.graceMs);
          expect(run.sweep.respawnWindowMs).toBeUndefined(); // each sweep's default: 300 before, 0 in a check
        }
        const planted = await plantLeftovers({ bin, root: project.dir, stateDir: stateDir() });
        const swept = await project.run(cli, ['--json'], { env: envOf(row.env) });
        const report = JSON.parse(swept.stdout) as { dryRun: boolean; processes: Array<{ pid: number; action: string }> };
        const dry = row.env.MCP_REAPER_DRY_RUN === '1';
        expect(report.dryRun).toBe(dry);
        expect(report.processes).toEqual([expect.objectContaining({ pid: planted.pid, action: dry ? 'would-kill' : 'terminated' })]);
        expect(isAlive(planted.pid)).toBe(dry);
        if (dry) process.kill(planted.pid, 'SIGKILL');
      }, 60_000);
    });
  }
});

// A Vitest run that holds its daemon (in the shared state dir, on its mcp.sock) until released.
const HOLD_TEST = `import fs from 'node:fs';
import { test } from 'vitest';
import { useDaemon } from '@mcp-reaper/vitest-setup';
import support from '../support.cjs';
const held = useDaemon();
const alive = (pid: number) => {
  try {
    return !/^\\S+ \\(.*\\) [ZX] /.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8'));
  } catch {
    return false;
  }
};
test('holds its daemon until released', async () => {
  support.record('hold-ready', { pid: held.pid, runId: process.env.MCP_REAPER_RUN });
  let died = false;
  while (!fs.existsSync('out/release')) {
    if (!alive(held.pid)) died = true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  support.record('hold-done', { pid: held.pid, died: died || !alive(held.pid), healthy: (await held.health()).healthy });
}, 600_000);
`;
// Jest's and Playwright's runs beside it: each test with a daemon of its own, stopped as it should be.
const JEST_OWN = `const path = require('node:path');
const { startDaemon } = require('@mcp-reaper/core');
test('a daemon of its own', async () => {
  const daemon = await startDaemon({ command: process.env.FAKE_NAME, env: { XDG_DATA_HOME: path.resolve('.test-state', 'j-own') } });
  expect((await daemon.health()).healthy).toBe(true);
  expect((await daemon.stop()).ok).toBe(true);
}, 30000);
`;
const PW_OWN = `import path from 'node:path';
import { expect, test } from '@mcp-reaper/playwright-fixture';
test.use({ mcpReaper: { daemon: { env: { XDG_DATA_HOME: path.resolve('.test-state', 'p-own') } } } });
test('a daemon of its own', async ({ mcpDaemon }) => {
  expect((await mcpDaemon.health()).healthy).toBe(true);
});
`;

describe('two runs at once: a Vitest run holds its daemon while Jest and Playwright runs come and go', () => {
  it('20 times: every run passes, the held daemon is kept by each sweep and never stopped, nothing is left', async () => {
    project.write({
      'jest.config.js': jestConfig({}),
      'vitest.config.mts': vitestConfig({}).replace("include: ['vitest/**/*.test.ts']", "include: ['vitest-hold/**/*.test.ts']"),
      'playwright.config.ts': playwrightConfig({}).replace("testDir: './pw'", "testDir: './pw-own'"),
      'vitest-hold/hold.test.ts': HOLD_TEST,
      'jest-own/own.test.js': JEST_OWN,
      'pw-own/own.spec.ts': PW_OWN,
    });
    fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
    const env = envOf({});
    const holder = project.start('npx', ['vitest', 'run'], { env });
    const holderExit = new Promise<number | null>((resolve) => holder.once('exit', resolve));
    try {
      const ready = path.join(project.dir, 'out', 'hold-ready.json');
      const held = await waitFor(() => fs.existsSync(ready) && (JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number; runId: string }), {
        timeoutMs: 60_000,
        message: () => `the Vitest run to hold its daemon:\n${holder.output()}`,
      });
      const kept = `kept 1 daemon of live run ${held.runId} (pid ${held.pid};`;
      for (let round = 1; round <= 20; round++) {
        const [jest, playwright] = await Promise.all([
          project.run('npx', ['jest', 'jest-own/'], { env, timeoutMs: 120_000 }),
          project.run('npx', ['playwright', 'test'], { env, timeoutMs: 120_000 }),
        ]);
        for (const [runner, result] of [['jest', jest], ['playwright', playwright]] as const) {
          const output = result.stdout + result.stderr;
          expect(result.code, `round ${round}, ${runner}:\n${output}`).toBe(0);
          expect(output, `round ${round}, ${runner}`).toContain(kept);
        }
        expect(isAlive(held.pid), `round ${round}`).toBe(true);
      }
      fs.writeFileSync(path.join(project.dir, 'out', 'release'), '');
      expect(await holderExit, holder.output()).toBe(0);
      const done = JSON.parse(fs.readFileSync(path.join(project.dir, 'out', 'hold-done.json'), 'utf8')) as { died: boolean; healthy: boolean };
      expect(done).toEqual(expect.objectContaining({ died: false, healthy: true }));
      await waitFor(() => processesWith(project.dir).length === 0, { timeoutMs: 5_000, message: () => processesWith(project.dir).map((p) => p.cmd).join('\n') });
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) process.kill(-holder.pid!, 'SIGKILL');
    }
  }, 600_000);
});

describe("without its global setup, each runner's per-file part fails every file alike, naming the line to add", () => {
  const cases: Array<{ runner: Runner; config: Record<string, string>; command: string[]; setup: string }> = [
    {
      runner: 'jest',
      config: { 'jest.config.js': "module.exports = { testEnvironment: '@mcp-reaper/jest-env' };\n" },
      command: ['jest', 'jest/'],
      setup: "add globalSetup: '@mcp-reaper/jest-env/global-setup' and globalTeardown: '@mcp-reaper/jest-env/global-teardown' in jest.config",
    },
    {
      runner: 'vitest',
      config: { 'vitest.config.mts': "export default { test: { include: ['vitest/**/*.test.ts'], setupFiles: ['@mcp-reaper/vitest-setup'] } };\n" },
      command: ['vitest', 'run'],
      setup: "add globalSetup: ['@mcp-reaper/vitest-setup/global-setup'] next to setupFiles: ['@mcp-reaper/vitest-setup'] in vitest.config",
    },
    {
      runner: 'playwright',
      config: { 'playwright.config.ts': "export default { testDir: './pw' };\n", 'pw/leak.spec.ts': playwrightTest({}) },
      command: ['playwright', 'test'],
      setup: "add globalSetup: '@mcp-reaper/playwright-fixture/global-setup' in playwright.config",
    },
  ];
  for (const { runner, config, command, setup } of cases) {
    it(`${runner}: exit 1, "mcp-reaper: no run was started for these tests", no test body ran, nothing left`, async () => {
      project.write(config);
      fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      const result = await project.run('npx', command, { env: envOf({}), timeoutMs: 120_000 });
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(1);
      expect(output).toContain(`mcp-reaper: no run was started for these tests: ${setup}.`);
      expect(output).not.toMatch(/^\s+at /m); // a user's mistake: the message, not a stack trace
      expect(fs.existsSync(path.join(project.dir, 'out', `${runner}.json`))).toBe(false);
      expect(processesWith(project.dir).map((p) => p.cmd)).toEqual([]);
    }, 120_000);
  }
});

// A stack, as the README declares it: the scripts' daemon → seed → REST → coordinator and web server,
// with this project's fakes in place of the real programs and free ports in place of 8087 and 5173.
const STACK_TEST = (record: string) => `const fs = require('node:fs');
const http = require('node:http');
const status = (url) => new Promise((resolve) => http.get(url, (r) => { r.resume(); resolve(r.statusCode); }).on('error', (e) => resolve(String(e.code))));
module.exports = async function check() {
  const env = process.env;
  const seen = {
    rest: await status(env.MCP_REAPER_STACK_REST_URL),
    web: await status(env.MCP_REAPER_STACK_WEB_URL),
    socket: fs.existsSync(env.MCP_REAPER_STACK_DAEMON_SOCKET),
    pids: ['DAEMON', 'REST', 'COORDINATOR', 'WEB'].map((n) => Number(env['MCP_REAPER_STACK_' + n + '_PID'])),
  };
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync('out/${record}.json', JSON.stringify(seen));
  return seen;
};
`;

describe('a stack, as the README declares it, under the CLI and each runner', () => {
  let ports: { rest: number; web: number };
  const socket = () => path.join(project.dir, 'uc003.sock');

  beforeAll(async () => {
    ports = { rest: await freePort(), web: await freePort() };
    const fake = (script: string, as: string) => {
      project.write({ [`bin/${as}`]: `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(path.join(REPO, 'test/fixtures', script)).href)});\n` });
      fs.chmodSync(path.join(project.dir, 'bin', as), 0o755);
    };
    fake('fake-seed.mjs', `${name}-seed`);
    fake('fake-rest-server-pm.mjs', `${name}-rest`);
    fake('fake-rest-server-pm.mjs', `${name}-web`);
    const config = readmeBlock('README.md', /### A whole stack, declared once/, 'json')
      .replaceAll('"mcp-server-pm"', `"${name}"`)
      .replaceAll('"sqlite3"', `"${name}-seed"`)
      .replaceAll('"rest-server-pm"', `"${name}-rest"`)
      .replaceAll('"python3", "runner/coordinator.py"', `"node", ${JSON.stringify(path.join(REPO, 'test/fixtures/fake-coordinator.mjs'))}`)
      .replaceAll('"npx", "vite"', `"${name}-web"`)
      .replaceAll('8087', String(ports.rest))
      .replaceAll('5173', String(ports.web))
      .replaceAll('/tmp/uc003', path.join(project.dir, 'uc003'));
    expect(config).not.toMatch(/mcp-server-pm|rest-server-pm|sqlite3|python3|npx|8087|5173|\/tmp\/uc003/);
    project.write({
      'mcp-reaper.config.json': config,
      'stack-check.cjs': STACK_TEST('stack'),
      'jest-stack/stack.test.js': "const check = require('../stack-check.cjs');\ntest('the stack is up', async () => { expect((await check()).rest).toBe(200); }, 30000);\n",
      'vitest-stack/stack.test.ts': "import { expect, test } from 'vitest';\nimport check from '../stack-check.cjs';\ntest('the stack is up', async () => { expect((await check()).rest).toBe(200); });\n",
      'pw-stack/stack.spec.ts': "import { expect, test } from '@mcp-reaper/playwright-fixture';\nimport check from '../stack-check.cjs';\ntest('the stack is up', async () => { expect((await check()).rest).toBe(200); });\n",
    });
  });

  /** After any of them: no service, no socket, no listener on a declared port, nothing of the project. */
  const expectNothingLeft = async (pids: number[]) => {
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeoutMs: 2_000, message: `the services ${pids.join(', ')} to be gone` });
    expect(fs.existsSync(socket())).toBe(false);
    expect(await listening(ports.rest)).toBe(false);
    expect(await listening(ports.web)).toBe(false);
    expect(processesWith(project.dir).map((p) => p.cmd)).toEqual([]);
  };
  const seen = () => JSON.parse(fs.readFileSync(path.join(project.dir, 'out', 'stack.json'), 'utf8')) as { rest: number; web: number; socket: boolean; pids: number[] };

  const cases: Array<{ runner: Runner; config: Record<string, string>; command: string[] }> = [
    { runner: 'jest', config: { 'jest.config.js': jestConfig({}) }, command: ['jest', 'jest-stack/'] },
    { runner: 'vitest', config: { 'vitest.config.mts': vitestConfig({}).replace("include: ['vitest/**/*.test.ts']", "include: ['vitest-stack/**/*.test.ts']") }, command: ['vitest', 'run'] },
    { runner: 'playwright', config: { 'playwright.config.ts': playwrightConfig({}).replace("testDir: './pw'", "testDir: './pw-stack'") }, command: ['playwright', 'test'] },
  ];
  for (const { runner, config, command } of cases) {
    it(`${runner}'s global setup starts it after the sweep, the tests reach every service, the teardown stops it all`, async () => {
      project.write(config);
      fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      const result = await project.run('npx', command, { env: envOf({}), timeoutMs: 120_000 });
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(0);
      expect(output).toMatch(/mcp-reaper: stack up: daemon \(pid \d+, .*uc003\.sock\), seed \(pid \d+\), rest \(pid \d+, http:\/\/localhost:\d+\/health\), /);
      const s = seen();
      expect(s).toMatchObject({ rest: 200, web: 200, socket: true });
      await expectNothingLeft(s.pids);
    }, 120_000);
  }

  it('mcp-reaper run -- <test command>: up around the command, down after it, with its exit status', async () => {
    fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
    const result = await project.run(path.join(project.dir, 'node_modules', '.bin', 'mcp-reaper'), ['run', '--', 'node', '-e', "require('./stack-check.cjs')().then((s) => process.exit(s.rest === 200 && s.web === 200 ? 5 : 1))"], {
      env: envOf({}),
      timeoutMs: 120_000,
    });
    expect(result.code, result.stdout + result.stderr).toBe(5);
    await expectNothingLeft(seen().pids);
  }, 120_000);

  it('mcp-reaper up, then Ctrl-C: up until the signal, then down, verified', async () => {
    // The installed bin itself, as a shell runs it: the terminal's Ctrl-C reaches its group.
    const up = project.start(path.join(project.dir, 'node_modules', '.bin', 'mcp-reaper'), ['up'], { env: envOf({}) });
    const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
    try {
      await waitFor(() => up.output().includes('Ctrl-C to stop'), { timeoutMs: 60_000, message: () => `the stack to be up:\n${up.output()}` });
      const pids = [...up.output().matchAll(/MCP_REAPER_STACK_\w+_PID=(\d+)/g)].map((m) => Number(m[1]));
      expect(pids).toHaveLength(5);
      expect(await listening(ports.rest)).toBe(true);
      process.kill(-up.pid!, 'SIGINT'); // Ctrl-C reaches the terminal's foreground group
      expect(await exited, up.output()).toBe(0);
      expect(up.output()).toContain('stack down: 5 services stopped');
      await expectNothingLeft(pids);
    } finally {
      if (up.exitCode === null && up.signalCode === null) process.kill(-up.pid!, 'SIGKILL');
    }
  }, 120_000);
});
