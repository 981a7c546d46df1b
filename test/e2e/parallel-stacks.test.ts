// Parallel stacks, as the users' integration suite would run them: the daemon on ${dir}/mcp.sock and
// the REST server on an auto port with its database in ${dir}, one instance per runner worker.
// Jest (2 workers), Vitest (2 workers) and Playwright (1 and 3 workers) run the same kind of test from
// the packed tarballs: each test writes to its REST server and must read back only its own worker's
// data. Files of one worker share one instance; workers never share one. Then two copies of the
// project run at once (two worktrees), and a runner is SIGKILLed mid-run.
//
// Safety: the daemon and the REST server are fakes under a unique name (`mcpp-` + 6 hex).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listening } from '../helpers/net.js';
import { readmeBlock, readmeBlocks } from '../helpers/readme.js';
import { isAlive, processesWith, waitFor } from '../helpers/wait.js';
import { createProject, type SampleProject } from './helpers/sample-project.js';
import { fakeStackBins, makeBinsExecutable, registryLeft, removeProjects } from './helpers/stack-project.js';


/** What each test saw: its file, its worker slot, its REST server and what that server holds. */
interface Seen {
  file: string;
  slot: string;
  restPid: number;
  restPort: number;
  daemonSocket: string;
  dir: string;
  items: string[];
}

let name: string;
const projects: SampleProject[] = [];

/** The users' shape, as the README's "Parallel stacks" gives it: worker-scoped daemon and REST server, their files in ${dir}. */
const config = () =>
  JSON.parse(
    readmeBlock('README.md', /Parallel, a stack per worker/, 'json')
      .replaceAll('"mcp-server-pm"', `"${name}"`)
      .replaceAll('"rest-server-pm"', `"${name}-rest"`),
  ) as Record<string, unknown>;
/** The README's playwright.config.ts for it, its test dir ours. */
const playwrightConfig = () => {
  const text = readmeBlock('README.md', /### Parallel stacks/, 'ts');
  expect(text).toContain("testDir: './e2e/integration'");
  return text.replace("testDir: './e2e/integration'", "testDir: './pw'");
};
/** The README's Playwright test for it, as written. */
const readmeSpec = () => {
  const block = readmeBlocks('README.md', ['ts']).find((b) => b.code.includes('uc003.spec.ts'));
  if (!block) throw new Error('README.md has no uc003.spec.ts example under "Parallel stacks"');
  return block.code;
};

// One test per file: write this file's item to the worker's REST server, wait (an I/O-bound test),
// read back what the server holds, and record it all.
const RECORD = `const fs = require('node:fs');
const path = require('node:path');
module.exports = async (runner, file, slot) => {
  const url = process.env.MCP_REAPER_STACK_REST_URL;
  const where = { file, slot, restPid: Number(process.env.MCP_REAPER_STACK_REST_PID), restPort: Number(process.env.MCP_REAPER_STACK_REST_PORT), daemonSocket: process.env.MCP_REAPER_STACK_DAEMON_SOCKET, dir: process.env.MCP_REAPER_STACK_DIR };
  await fetch(new URL('/items', url), { method: 'POST', body: file });
  if (process.env.MARK_DIR) fs.writeFileSync(path.join(process.env.MARK_DIR, file), JSON.stringify(where));
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.HOLD_MS || 400)));
  const items = await (await fetch(new URL('/items', url))).json();
  const seen = { ...where, items };
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync(path.join('out', runner + '-' + file + '.json'), JSON.stringify(seen));
  if (process.env.FAIL_FILE === file) throw new Error('failing on purpose: ' + file);
  return seen;
};
`;
const FILES = ['a', 'b', 'c', 'd'];
const testFiles = (): Record<string, string> => ({
  'record.cjs': RECORD,
  ...Object.fromEntries(
    FILES.flatMap((f) => [
      [`jest/${f}.test.js`, `const record = require('../record.cjs');\ntest('${f} sees only its worker\\'s data', async () => {\n  const seen = await record('jest', '${f}', process.env.JEST_WORKER_ID);\n  expect(seen.items).toContain('${f}');\n}, 30000);\n`],
      [`vitest/${f}.test.ts`, `import { expect, test } from 'vitest';\nimport record from '../record.cjs';\ntest('${f} sees only its worker\\'s data', async () => {\n  const seen = await record('vitest', '${f}', process.env.VITEST_POOL_ID);\n  expect(seen.items).toContain('${f}');\n});\n`],
      [
        `pw/${f}.spec.ts`,
        `import { expect, test } from '@mcp-reaper/playwright-fixture';\nimport record from '../record.cjs';\ntest('${f} sees only its worker\\'s data', async ({ request, mcpStack }, testInfo) => {\n  // baseURLFrom: 'rest': the request fixture reaches this worker's own REST server.\n  expect((await request.get('/items')).ok()).toBe(true);\n  expect(mcpStack.services.rest!.port).toBe(Number(process.env.MCP_REAPER_STACK_REST_PORT));\n  const seen = await record('playwright', '${f}', String(testInfo.workerIndex));\n  expect(seen.items).toContain('${f}');\n});\n`,
      ],
    ]),
  ),
  'jest.config.js': "module.exports = { testEnvironment: '@mcp-reaper/jest-env', globalSetup: '@mcp-reaper/jest-env/global-setup', globalTeardown: '@mcp-reaper/jest-env/global-teardown', testMatch: ['**/jest/**/*.test.js'] };\n",
  'vitest.config.mts':
    "import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { include: ['vitest/**/*.test.ts'], globalSetup: ['@mcp-reaper/vitest-setup/global-setup'], setupFiles: ['@mcp-reaper/vitest-setup'] } });\n",
  'playwright.config.ts': playwrightConfig(),
  'pw-readme/uc003.spec.ts': readmeSpec(),
});

async function makeProject(label: string): Promise<SampleProject> {
  const project = await createProject({
    name: `parallel-${label}`,
    dependencies: { jest: '^30', 'jest-environment-node': '^30', vitest: '^4', '@playwright/test': '^1.65' },
    packages: ['@mcp-reaper/jest-env', '@mcp-reaper/vitest-setup', '@mcp-reaper/playwright-fixture'],
    packageJson: { mcpReaper: config() },
    files: {
      ...fakeStackBins(name),
      ...testFiles(),
    },
  });
  makeBinsExecutable(project, name);
  projects.push(project);
  return project;
}

const envOf = (project: SampleProject, extra: Record<string, string> = {}) => ({ PATH: `${path.join(project.dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`, ...extra });

function seenBy(project: SampleProject, runner: string): Seen[] {
  return FILES.map((f) => JSON.parse(fs.readFileSync(path.join(project.dir, 'out', `${runner}-${f}.json`), 'utf8')) as Seen);
}


/**
 * Each worker had one instance, shared by its files; no two workers shared one; each server held
 * exactly what its worker's files wrote. Returns the instances seen, by slot.
 */
function expectOwnInstances(seen: Seen[]): Map<string, Seen[]> {
  const bySlot = new Map<string, Seen[]>();
  for (const s of seen) bySlot.set(s.slot, [...(bySlot.get(s.slot) ?? []), s]);
  const pids = new Set<number>();
  for (const [slot, files] of bySlot) {
    const first = files[0]!;
    for (const s of files) expect({ slot, pid: s.restPid, port: s.restPort, dir: s.dir, socket: s.daemonSocket }).toEqual({ slot, pid: first.restPid, port: first.restPort, dir: first.dir, socket: first.daemonSocket });
    expect(first.daemonSocket).toBe(path.join(first.dir, 'mcp.sock'));
    expect(pids.has(first.restPid), `worker ${slot} shares a REST server with another worker`).toBe(false);
    pids.add(first.restPid);
    // Its server holds its files' items and nothing of another worker's (each test read after it wrote).
    const own = new Set(files.map((s) => s.file));
    for (const s of files) for (const item of s.items) expect(own.has(item), `worker ${slot}'s server holds "${item}", written by another worker`).toBe(true);
  }
  return bySlot;
}

async function expectNothingLeft(project: SampleProject, seen: Seen[]): Promise<void> {
  // Within 2.5 s: every service, its dir, its record and its lease.
  const left = () => [...seen.filter((s) => isAlive(s.restPid)).map((s) => `REST server ${s.restPid}`), ...seen.filter((s) => fs.existsSync(s.dir)).map((s) => s.dir), ...registryLeft(project)];
  await waitFor(() => left().length === 0, { timeoutMs: 2_500, message: () => `every instance to be gone; left: ${[...new Set(left())].join(', ')}` });
  for (const s of seen) expect(await listening(s.restPort)).toBe(false);
  // The runner's watchdog (after a SIGKILL) ends once it has swept the run: a moment more.
  await waitFor(() => processesWith(project.dir).length === 0, { timeoutMs: 5_000, message: () => `nothing of the project running; still: ${processesWith(project.dir).map((p) => p.cmd).join(', ')}` });
}

beforeAll(() => {
  name = `mcpp-${randomBytes(3).toString('hex')}`;
});

afterAll(() => removeProjects(projects));

describe('parallel stacks: a stack per worker', () => {
  let project: SampleProject;
  beforeAll(async () => {
    project = await makeProject('one');
  }, 300_000);

  const cases: Array<{ runner: string; args: string[]; workers: number }> = [
    { runner: 'jest', args: ['jest', '--maxWorkers=2'], workers: 2 },
    { runner: 'vitest', args: ['vitest', 'run', '--maxWorkers=2'], workers: 2 },
    { runner: 'playwright', args: ['playwright', 'test', '--workers=1'], workers: 1 },
    { runner: 'playwright', args: ['playwright', 'test', '--workers=3'], workers: 3 },
  ];
  for (const { runner, args, workers } of cases) {
    it(`${runner}, ${workers} worker${workers === 1 ? '' : 's'}: each worker its own daemon and REST server, shared by its files; each test sees only its worker's data`, async () => {
      fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      const result = await project.run('npx', args, { env: envOf(project), timeoutMs: 120_000 });
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(0);
      const seen = seenBy(project, runner);
      const instances = expectOwnInstances(seen);
      expect(instances.size, output).toBeLessThanOrEqual(workers);
      // Four files, each holding its worker a while: with two or more workers, more than one is used.
      if (workers > 1) expect(instances.size, output).toBeGreaterThan(1);
      await expectNothingLeft(project, seen);
    }, 150_000);
  }
});

describe("parallel stacks: the README's Playwright example", () => {
  it('passes as written: request reaches its worker\'s REST server through baseURLFrom', async () => {
    const project = projects[0] ?? (await makeProject('readme'));
    const config = fs.readFileSync(path.join(project.dir, 'playwright.config.ts'), 'utf8');
    project.write({ 'playwright.config.ts': config.replace("testDir: './pw'", "testDir: './pw-readme'") });
    try {
      const result = await project.run('npx', ['playwright', 'test', '--workers=2'], { env: envOf(project) });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('1 passed');
      expect(registryLeft(project)).toEqual([]);
    } finally {
      project.write({ 'playwright.config.ts': config });
    }
  }, 150_000);
});

describe('parallel stacks: what the user is told', () => {
  it("a failing test keeps its worker's dir, with its logs and database, and the run's end names it", async () => {
    const project = projects[0] ?? (await makeProject('told'));
    fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
    const result = await project.run('npx', ['vitest', 'run', '--maxWorkers=2'], { env: envOf(project, { FAIL_FILE: 'b' }) });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    const seen = seenBy(project, 'vitest');
    const failed = seen.find((s) => s.file === 'b')!;
    expect(output).toContain(`mcp-reaper: kept the stack's dir ${failed.dir} (a test that used it failed)`);
    expect(fs.readFileSync(path.join(failed.dir, 'logs', 'rest.log'), 'utf8')).toContain('item added: b');
    expect(fs.readFileSync(path.join(failed.dir, 'pm.db'), 'utf8')).toContain('b\n');
    // The other worker's dir goes, as after any clean run; nothing runs.
    for (const s of seen.filter((s) => s.dir !== failed.dir)) expect(fs.existsSync(s.dir)).toBe(false);
    await waitFor(() => seen.every((s) => !isAlive(s.restPid)), { timeoutMs: 2_500, message: 'every REST server to be gone' });
    // What a user does once they have read it: remove it (and the run's directory of instances, now empty).
    fs.rmSync(failed.dir, { recursive: true });
    fs.rmdirSync(path.dirname(failed.dir));
    expect(registryLeft(project)).toEqual([]);
  }, 150_000);

  for (const [from, problem] of [
    ['nope', '"baseURLFrom" must name a service of the stack (daemon, rest), got "nope"'],
    ['daemon', '"baseURLFrom" names "daemon", which has no URL: give it a "url" ready check'],
  ] as const) {
    it(`Playwright, baseURLFrom "${from}": the run fails before anything starts, naming the setting`, async () => {
      const project = projects[0] ?? (await makeProject('told'));
      fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      const original = fs.readFileSync(path.join(project.dir, 'playwright.config.ts'), 'utf8');
      project.write({ 'playwright.config.ts': original.replace("baseURLFrom: 'rest'", `baseURLFrom: '${from}'`) });
      try {
        const result = await project.run('npx', ['playwright', 'test', '--workers=2'], { env: envOf(project) });
        const output = result.stdout + result.stderr;
        expect(result.code, output).not.toBe(0);
        expect(output).toContain(`use: { mcpReaper } in ${path.join(project.dir, 'playwright.config.ts')}: ${problem}`);
        expect(fs.existsSync(path.join(project.dir, 'out')), 'a test ran').toBe(false);
        expect(registryLeft(project)).toEqual([]);
        expect(processesWith(project.dir).map((p) => p.cmd)).toEqual([]);
      } finally {
        project.write({ 'playwright.config.ts': original });
      }
    }, 150_000);
  }
});

describe('parallel stacks: two worktrees of one project at once', () => {
  it('each run passes, on ports of its own', async () => {
    const [one, two] = [await makeProject('tree1'), await makeProject('tree2')];
    const results = await Promise.all([one, two].map((p) => p.run('npx', ['vitest', 'run', '--maxWorkers=2'], { env: envOf(p), timeoutMs: 120_000 })));
    for (const result of results) expect(result.code, result.stdout + result.stderr).toBe(0);
    const [seenOne, seenTwo] = [seenBy(one!, 'vitest'), seenBy(two!, 'vitest')];
    expectOwnInstances(seenOne);
    expectOwnInstances(seenTwo);
    const portsOne = new Set(seenOne.map((s) => s.restPort));
    for (const s of seenTwo) expect(portsOne.has(s.restPort), `port ${s.restPort} served both worktrees`).toBe(false);
    await expectNothingLeft(one!, seenOne);
    await expectNothingLeft(two!, seenTwo);
  }, 300_000);
});

describe('parallel stacks: the runner SIGKILLed mid-run', () => {
  it('every instance is gone within 2.5 s, with no dir, lease or log left', async () => {
    const project = projects[0] ?? (await makeProject('killed'));
    fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
    const marks = path.join(project.dir, 'marks');
    fs.rmSync(marks, { recursive: true, force: true });
    fs.mkdirSync(marks);
    // The tests record themselves, then hold their workers for a minute: the runner is killed meanwhile.
    const runner = project.start('npx', ['vitest', 'run', '--maxWorkers=2', '--testTimeout=120000'], { env: envOf(project, { MARK_DIR: marks, HOLD_MS: '60000' }) });
    try {
      const seen = await waitFor(
        () => {
          const files = fs.readdirSync(marks);
          return files.length >= 2 && files.map((f) => JSON.parse(fs.readFileSync(path.join(marks, f), 'utf8')) as Seen);
        },
        { timeoutMs: 60_000, message: () => `two tests to be holding their workers:\n${runner.output()}` },
      );
      expect(new Set(seen.map((s) => s.restPid)).size).toBe(2);
      const killedAt = Date.now();
      process.kill(-runner.pid!, 'SIGKILL');
      await expectNothingLeft(project, seen);
      console.info(`runner SIGKILLed: its worker stacks gone ${Date.now() - killedAt} ms later`);
      // No service log anywhere in the project's temp dir: they were in the instances' dirs.
      expect(fs.readdirSync(project.tmp).filter((entry) => entry.startsWith('mcp-reaper-daemon-'))).toEqual([]);
    } finally {
      if (runner.exitCode === null && runner.signalCode === null) process.kill(-runner.pid!, 'SIGKILL');
    }
  }, 150_000);
});
