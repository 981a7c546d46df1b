// The stack in the developer's loop, with the real runners from the packed tarballs:
// - `mcp-reaper up` in the background, then a Vitest, a Jest and a Playwright run of the same project:
//   each uses the up's very services and leaves them up; with CI set the run starts its own;
// - an up of another copy of the project (another worktree) is not used, and the run says why;
// - a test that kills the REST service: the run fails naming `rest`, its signal and a line of its log;
// - a failing Playwright test carries `rest.log` (what the server wrote during it), a passing one none;
//   a failing Vitest or Jest file ends with the services' lines of its time span;
// - Vitest's watch mode keeps the stack up across reruns, and leaves nothing after q or Ctrl-C.
//
// Safety: the daemon and the REST server are fakes under a unique name (`mcpl-` + 6 hex).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itNeeds, needs } from '../helpers/needs.js';
import { isAlive, processesWith, waitFor } from '../helpers/wait.js';
import { createProject, type SampleProject } from './helpers/sample-project.js';
import { fakeStackBins, makeBinsExecutable, registryLeft, removeProjects } from './helpers/stack-project.js';


let name: string;
const projects: SampleProject[] = [];

/** The stack of the loop: a daemon on ${dir}/mcp.sock, a REST server on an auto port with its database in ${dir}. */
const config = () => ({
  names: [name],
  dir: './.test-state/AIAgentPM',
  stack: {
    daemon: {
      command: [name, 'daemon', '--socket-path', '${dir}/mcp.sock', '--foreground'],
      env: { XDG_DATA_HOME: '${dir}' },
      ready: { socket: '${dir}/mcp.sock' },
    },
    rest: {
      command: [`${name}-rest`],
      env: { AIAGENTPM_WEBSERVER_PORT: '${port}', AIAGENTPM_DB_PATH: '${dir}/pm.db' },
      port: 'auto',
      dependsOn: ['daemon'],
      ready: { url: 'http://localhost:${port}/health' },
    },
  },
});

// Each test records the stack it saw. KILL_REST: the first test kills the REST server; FAIL: the test
// fails after the server logged its item.
const SEEN = `const fs = require('node:fs');
const path = require('node:path');
module.exports = async (runner, test) => {
  const e = process.env;
  const seen = { rest: Number(e.MCP_REAPER_STACK_REST_PID), daemon: Number(e.MCP_REAPER_STACK_DAEMON_PID), url: e.MCP_REAPER_STACK_REST_URL };
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync(path.join('out', runner + '-' + test + '.json'), JSON.stringify(seen));
  if (e.KILL_REST === test) { process.kill(seen.rest, 'SIGKILL'); return seen; }
  const posted = await fetch(new URL('/items', seen.url), { method: 'POST', body: runner + '-' + test });
  if (posted.status !== 201) throw new Error('POST /items: ' + posted.status);
  if (e.FAIL === test) throw new Error('failing on purpose after the server logged ' + runner + '-' + test);
  return seen;
};
`;
const TESTS = ['one', 'two'];
const files = (): Record<string, string> => ({
  'mcp-reaper.config.json': `${JSON.stringify(config(), null, 2)}\n`,
  'seen.cjs': SEEN,
  'jest.config.js': "module.exports = { testEnvironment: '@mcp-reaper/jest-env', globalSetup: '@mcp-reaper/jest-env/global-setup', globalTeardown: '@mcp-reaper/jest-env/global-teardown', testMatch: ['**/jest/**/*.test.js'] };\n",
  'vitest.config.mts':
    "import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { include: ['vitest/**/*.test.ts'], globalSetup: ['@mcp-reaper/vitest-setup/global-setup'], setupFiles: ['@mcp-reaper/vitest-setup'] } });\n",
  'playwright.config.ts':
    "import { defineConfig } from '@playwright/test';\nexport default defineConfig({ testDir: './pw', workers: 1, globalSetup: '@mcp-reaper/playwright-fixture/global-setup', globalTeardown: '@mcp-reaper/playwright-fixture/global-teardown' });\n",
  ...Object.fromEntries(
    TESTS.flatMap((t) => [
      [`jest/${t}.test.js`, `const seen = require('../seen.cjs');\ntest('${t}', async () => { await seen('jest', '${t}'); }, 30000);\n`],
      [`vitest/${t}.test.ts`, `import { test } from 'vitest';\nimport seen from '../seen.cjs';\ntest('${t}', async () => { await seen('vitest', '${t}'); });\n`],
      [`pw/${t}.spec.ts`, `import { test } from '@mcp-reaper/playwright-fixture';\nimport seen from '../seen.cjs';\ntest('${t}', async () => { await seen('playwright', '${t}'); });\n`],
    ]),
  ),
});

async function makeProject(label: string): Promise<SampleProject> {
  const project = await createProject({
    name: `loop-${label}`,
    dependencies: { jest: '^30', 'jest-environment-node': '^30', vitest: '^4', '@playwright/test': '^1.65' },
    packages: ['@mcp-reaper/jest-env', '@mcp-reaper/vitest-setup', '@mcp-reaper/playwright-fixture'],
    files: {
      ...fakeStackBins(name),
      ...files(),
    },
  });
  makeBinsExecutable(project, name);
  projects.push(project);
  return project;
}

const envOf = (project: SampleProject, extra: Record<string, string | undefined> = {}) => ({
  PATH: `${path.join(project.dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  // A developer's terminal: reuse is "local", so CI must be unset unless a test sets it.
  CI: undefined,
  ...extra,
});

const COMMANDS: Record<string, string[]> = { vitest: ['vitest', 'run'], jest: ['jest'], playwright: ['playwright', 'test'] };
const seenBy = (project: SampleProject, runner: string, test: string) =>
  JSON.parse(fs.readFileSync(path.join(project.dir, 'out', `${runner}-${test}.json`), 'utf8')) as { rest: number; daemon: number; url: string };
const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

/** `mcp-reaper up` in the background, once its stack is up: its run id and its services' pids. */
async function up(project: SampleProject) {
  const child = project.start(path.join(project.dir, 'node_modules', '.bin', 'mcp-reaper'), ['up'], { env: envOf(project) });
  await waitFor(() => child.output().includes('Ctrl-C to stop'), { timeoutMs: 60_000, message: () => `the stack to be up:\n${child.output()}` });
  const pid = (service: string) => Number(new RegExp(`MCP_REAPER_STACK_${service}_PID=(\\d+)`).exec(child.output())![1]);
  const runId = /run (run-[0-9a-f]+); Ctrl-C to stop/.exec(child.output())![1]!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    runId,
    rest: pid('REST'),
    daemon: pid('DAEMON'),
    url: /MCP_REAPER_STACK_REST_URL=(\S+)/.exec(child.output())![1]!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
      return exited;
    },
    output: () => child.output(),
  };
}

/**
 * Nothing of the project runs, and its registry holds no instance, lease or run. A run whose test
 * failed keeps its stack's dir and names it (`output`): read, then removed, as a user would.
 */
async function expectNothingLeft(project: SampleProject, output = ''): Promise<void> {
  for (const [, dir] of output.matchAll(/kept the stack's dir (\S+) \(/g)) {
    expect(fs.existsSync(path.join(dir!, 'logs')), `${dir} was named as kept`).toBe(true);
    fs.rmSync(dir!, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.dirname(dir!)); // the run's directory of instances, once empty
    } catch {
      // another kept dir of the same run
    }
  }
  await waitFor(() => processesWith(project.dir).length === 0, { timeoutMs: 3_000, message: () => `nothing of the project running; still: ${processesWith(project.dir).map((p) => p.cmd).join(', ')}` });
  expect(registryLeft(project, ['stacks', 'ports', 'runs'])).toEqual([]);
}

beforeAll(() => {
  name = `mcpl-${randomBytes(3).toString('hex')}`;
});

afterAll(() => removeProjects(projects));

describe('the inner loop: a test run reuses `mcp-reaper up`', () => {
  let project: SampleProject;
  beforeAll(async () => {
    project = await makeProject('reuse');
  }, 300_000);

  it('Vitest, Jest and Playwright each pass against the up\'s very pids and leave it healthy; with CI=true a run starts its own', async () => {
    const held = await up(project);
    try {
      for (const runner of ['vitest', 'jest', 'playwright']) {
        fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
        const result = await project.run('npx', COMMANDS[runner]!, { env: envOf(project) });
        expect(result.code, output(result)).toBe(0);
        expect(output(result)).toContain(`mcp-reaper: reusing the stack of \`mcp-reaper up\` (run ${held.runId}, pid `);
        for (const test of TESTS) expect(seenBy(project, runner, test)).toMatchObject({ rest: held.rest, daemon: held.daemon, url: held.url });
        expect(isAlive(held.rest) && isAlive(held.daemon), `${runner} stopped the up's stack`).toBe(true);
        expect((await fetch(held.url)).status).toBe(200);
      }
      // CI: a run of its own, beside the up (auto ports), which stays up.
      fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      const ci = await project.run('npx', COMMANDS.vitest!, { env: envOf(project, { CI: 'true' }) });
      expect(ci.code, output(ci)).toBe(0);
      expect(output(ci)).toContain(`not reusing the stack of \`mcp-reaper up\` (run ${held.runId}, pid `);
      expect(output(ci)).toContain('CI is set, and stackReuse is "local"');
      expect(seenBy(project, 'vitest', 'one').rest).not.toBe(held.rest);
      expect(isAlive(held.rest)).toBe(true);
    } finally {
      expect(await held.stop(), held.output()).toBe(0);
    }
    await expectNothingLeft(project);
  }, 240_000);

  it("an up of another copy of the project (another worktree) is not reused, and the run says why", async () => {
    const other = await makeProject('worktree');
    const held = await up(other);
    try {
      fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      // The same user's temp dir, as two worktrees on one machine share it (runs see each other there).
      const result = await project.run('npx', COMMANDS.vitest!, { env: envOf(project, { TMPDIR: other.tmp }) });
      expect(result.code, output(result)).toBe(0);
      expect(output(result)).toContain(
        `mcp-reaper: not reusing the stack of \`mcp-reaper up\` (run ${held.runId}, pid `,
      );
      expect(output(result)).toContain(`it is another stack (its config file is ${path.join(other.dir, 'mcp-reaper.config.json')}, this run's ${path.join(project.dir, 'mcp-reaper.config.json')})`);
      expect(seenBy(project, 'vitest', 'one').rest).not.toBe(held.rest);
    } finally {
      expect(await held.stop(), held.output()).toBe(0);
    }
    await expectNothingLeft(other);
    await expectNothingLeft(project);
  }, 240_000);
});

describe('a stack service that dies mid-run is named', () => {
  let project: SampleProject;
  beforeAll(async () => {
    project = await makeProject('dies');
  }, 300_000);

  for (const runner of ['vitest', 'jest', 'playwright']) {
    it(`${runner}: a test kills rest; the run fails naming rest, its signal and a line of its log, and the stack is torn down`, async () => {
      fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      const args = runner === 'jest' ? [...COMMANDS.jest!, '--runInBand'] : COMMANDS[runner]!;
      const result = await project.run('npx', args, { env: envOf(project, { KILL_REST: 'one' }) });
      const text = output(result);
      expect(result.code, text).not.toBe(0);
      expect(text).toMatch(/stack service "rest" \(pid \d+\) was killed by SIGKILL \d+(\.\d)? m?s after it was ready/);
      expect(text).toContain('rest-server-pm listening on'); // a line of its log
      // The later test fails with that reason, not with ECONNREFUSED.
      expect(text).not.toContain('ECONNREFUSED');
      await expectNothingLeft(project, text);
    }, 150_000);
  }
});

describe('logs where the failure is', () => {
  let project: SampleProject;
  beforeAll(async () => {
    project = await makeProject('logs');
  }, 300_000);

  it('a failing Playwright test carries rest.log with what the server wrote during it; a passing test carries none', async () => {
    const report = path.join(project.dir, 'report.json');
    const result = await project.run('npx', [...COMMANDS.playwright!, '--reporter=json'], { env: envOf(project, { FAIL: 'two', PLAYWRIGHT_JSON_OUTPUT_NAME: report }) });
    expect(result.code, output(result)).toBe(1);
    interface Spec { title: string; tests: Array<{ results: Array<{ status: string; attachments: Array<{ name: string; body?: string; contentType: string }> }> }> }
    interface Suite { specs: Spec[]; suites?: Suite[] }
    const json = JSON.parse(fs.readFileSync(report, 'utf8')) as { suites: Suite[] };
    const specs = (suites: Suite[]): Spec[] => suites.flatMap((s) => [...s.specs, ...specs(s.suites ?? [])]);
    const byTitle = Object.fromEntries(specs(json.suites).map((s) => [s.title, s.tests[0]!.results[0]!]));
    expect(byTitle.one!.status).toBe('passed');
    expect(byTitle.one!.attachments).toEqual([]);
    expect(byTitle.two!.status).toBe('failed');
    const log = byTitle.two!.attachments.find((a) => a.name === 'rest.log');
    expect(log, JSON.stringify(byTitle.two!.attachments)).toBeDefined();
    const body = Buffer.from(log!.body!, 'base64').toString('utf8');
    expect(body).toContain('item added: playwright-two');
    expect(body).not.toContain('item added: playwright-one'); // written during the other test
    await expectNothingLeft(project, output(result));
  }, 150_000);

  for (const runner of ['vitest', 'jest']) {
    it(`${runner}: a failing file's output ends with the services' lines of its time span; a passing run prints none`, async () => {
      const failing = await project.run('npx', COMMANDS[runner]!, { env: envOf(project, { FAIL: 'two' }) });
      const text = output(failing);
      expect(failing.code, text).toBe(1);
      expect(text).toMatch(new RegExp(`what the stack's services wrote while ${runner}/two\\.test\\.[jt]s ran:`));
      expect(text).toContain(`item added: ${runner}-two`);
      const passing = await project.run('npx', COMMANDS[runner]!, { env: envOf(project) });
      expect(passing.code, output(passing)).toBe(0);
      expect(output(passing)).not.toContain("what the stack's services wrote");
      await expectNothingLeft(project, text);
    }, 150_000);
  }
});

describe('watch mode keeps the stack up', () => {
  let project: SampleProject;
  beforeAll(async () => {
    project = await makeProject('watch');
  }, 300_000);

  // Vitest reads keys on a terminal, and so does Jest's --watchAll; each prints its own marker when a run is over.
  const WATCHES = [
    { runner: 'vitest', args: ['vitest', 'vitest/one.test.ts'], file: 'vitest/one.test.ts', over: /Waiting for file changes/g },
    { runner: 'jest', args: ['jest', '--watchAll', 'jest/one.test.js'], file: 'jest/one.test.js', over: /Watch Usage/g },
  ];
  for (const { runner, args, file, over } of WATCHES) {
    for (const [key, label] of [['q', 'q'], ['\x03', 'Ctrl-C']] as const) {
      itNeeds([needs.script], `${runner} watch: the same stack pids across three reruns from edits; nothing left after ${label}`, async () => {
        fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
        const child = project.terminal('npx', args, { env: envOf(project) });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const seenFile = path.join(project.dir, 'out', `${runner}-one.json`);
        const testFile = path.join(project.dir, file);
        try {
          const pids: number[] = [];
          for (let run = 1; run <= 4; run += 1) {
            const seen = await waitFor(() => fs.existsSync(seenFile) && (JSON.parse(fs.readFileSync(seenFile, 'utf8')) as { rest: number }), {
              timeoutMs: 60_000,
              message: () => `run ${run}; output:\n${child.output()}`,
            });
            pids.push(seen.rest);
            await waitFor(() => (child.output().match(over) ?? []).length >= run, { timeoutMs: 30_000, message: () => `run ${run} over:\n${child.output()}` });
            fs.rmSync(seenFile);
            if (run < 4) fs.writeFileSync(testFile, `${fs.readFileSync(testFile, 'utf8')}\n`); // an edit: a rerun
          }
          expect(new Set(pids).size, `the stack was started again: ${pids.join(', ')}`).toBe(1);
          expect(isAlive(pids[0]!)).toBe(true);
          child.type(key);
          await exited;
          await expectNothingLeft(project);
        } finally {
          if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
        }
      }, 240_000);
    }
  }
});
