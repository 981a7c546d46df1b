// The Jest adapter proven with the real Jest, as a user installs it: one sample project per Jest
// major, installed once (npm install is the slow part) and reused by every scenario, each of which
// writes its own test files under its own folder and runs `npx jest <folder>`: leftovers planted
// before the run, leaks in each onLeak mode, parallel workers, runs ended by a signal, --bail or a
// process.exit() in a test, the jsdom environment, useDaemon() (per file, per test, and without the
// environment), and watch mode on a terminal (q and Ctrl-C).
//
// Safety: the daemon is the project's fake under a unique name (`mcpj-` + 6 hex), and everything we
// track or kill is a process whose command line holds this project's temp directory.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlock } from '../../helpers/readme.js';
import { processesWith, waitFor } from '../../helpers/wait.js';
import { plantLeftovers } from '../helpers/leftovers.js';
import { createProject, type SampleProject } from '../helpers/sample-project.js';
import { itNeeds, needs } from '../../helpers/needs.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const FAKE = path.join(REPO, 'test/fixtures/fake-mcp-server-pm.mjs');
const README = path.join(REPO, 'packages/jest-env/README.md');

/** The README's jest.config.js, verbatim: the sample projects use what users copy. */
export const readmeConfig = (): string => readmeBlock('packages/jest-env/README.md', /`jest\.config\.js`/, 'js');

/** The environment the README gives for DOM tests (`For DOM tests use \`testEnvironment: '…'\``). */
function readmeJsdomEnvironment(): string {
  const match = /For DOM tests use `testEnvironment: '([^']+)'`/.exec(fs.readFileSync(README, 'utf8'));
  if (!match?.[1]) throw new Error(`no "For DOM tests use \`testEnvironment: '…'\`" in ${README}`);
  return match[1];
}

/** How many times `needle` occurs in `text`. */
const count = (text: string, needle: string) => text.split(needle).length - 1;

// The sample project's helper: a test's own daemon, on its own socket and with its own state dir
// (daemons that run at once in one dir overwrite each other's daemon.pid, and health() says so).
const DAEMON_JS = `const path = require('node:path');
const { startDaemon } = require('@mcp-reaper/core');
const { mcpReaper } = require('./package.json');
exports.start = (socketName) => {
  const home = path.join(__dirname, 'state', socketName.replace(/\\.sock$/, ''));
  return startDaemon({
    command: path.join(__dirname, 'bin', mcpReaper.names[0]),
    dir: path.join(home, 'AIAgentPM'),
    socketPath: path.join(__dirname, 'state', socketName),
    env: { XDG_DATA_HOME: home },
  });
};
`;

export function describeJest(major: 29 | 30): void {
  describe(`@mcp-reaper/jest-env with Jest ${major}`, () => {
    let project: SampleProject;
    let name: string;
    const timings: string[] = [];

    const setOnLeak = (mode: string) => {
      const config = readmeConfig();
      expect(config).toContain(`onLeak: 'warn'`);
      project.write({ 'jest.config.js': config.replace(`onLeak: 'warn'`, `onLeak: '${mode}'`) });
    };
    const jest = (args: string[]) => project.run('npx', ['jest', ...args], { timeoutMs: 120_000 });
    /** Every process whose command line holds our temp dir: Jest, its workers, daemons, the watchdog. */
    const ours = () => processesWith(project.dir);
    /** A run whose one test leaked a daemon, under warn: exit 0, the file and the pid named, nothing left. */
    const expectLeakWarned = (result: { code: number | null; stdout: string; stderr: string }, testFile: string, pidFile: string) => {
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(0);
      expect(output).toContain('Tests:       1 passed, 1 total');
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      expect(result.stderr).toContain(`${testFile} left a daemon running`);
      expect(result.stderr).toContain(`pid ${pid} terminated: `);
      expect(ours()).toEqual([]);
      expect(stateFiles()).toEqual([]);
    };
    /** Sockets and pid files anywhere under state/ (the shared dir and each daemon's own). */
    const stateFiles = (dir = path.join(project.dir, 'state')): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) return stateFiles(file);
        return entry.isSocket() || entry.name.endsWith('.pid') ? [path.relative(project.dir, file)] : [];
      });

    beforeAll(async () => {
      name = `mcpj-${randomBytes(3).toString('hex')}`;
      project = await createProject({
        name: `jest${major}`,
        dependencies: { jest: `^${major}`, 'jest-environment-node': `^${major}`, 'jest-environment-jsdom': `^${major}` },
        packages: ['@mcp-reaper/jest-env'],
        packageJson: { mcpReaper: { names: [name], dir: './state/AIAgentPM' } },
        files: {
          [`bin/${name}`]: `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(FAKE).href)});\n`,
          'daemon.js': DAEMON_JS,
          'jest.config.js': readmeConfig(),
        },
      });
      fs.chmodSync(path.join(project.dir, 'bin', name), 0o755);
      fs.mkdirSync(path.join(project.dir, 'state', 'AIAgentPM'), { recursive: true });
    }, 300_000);

    afterEach(() => {
      // Everything here is ours by construction (its command line holds our temp dir).
      for (const { pid } of ours()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });

    afterAll(() => {
      if (timings.length > 0) console.log(`Jest ${major} timings:\n  ${timings.join('\n  ')}`);
      if (!process.env.MCP_REAPER_KEEP_PROJECT) project?.remove();
    });

    it('sweeps a forked daemon, a stale pid file and a stale socket before the first test', async () => {
      const state = path.join(project.dir, 'state', 'AIAgentPM');
      // A forked daemon (the launcher exits at once) on a socket of its own, a stale pid file (a pid
      // that has exited) and a stale socket (its listener was SIGKILLed) in our state dir.
      const planted = await plantLeftovers({ bin: path.join(project.dir, 'bin', name), root: project.dir, stateDir: state });
      expect(fs.lstatSync(path.join(state, 'mcp.sock')).isSocket()).toBe(true);
      expect(ours().map((p) => p.pid)).toContain(planted.pid);

      project.write({
        'planted/first.test.js': `const fs = require('node:fs');
const path = require('node:path');
test('the slate is clean', () => {
  // A zombie (its parent, init here, has not reaped it yet) counts as gone.
  let alive = false;
  try { alive = !/^\\d+ \\(.*\\) Z/.test(fs.readFileSync('/proc/${planted.pid}/stat', 'utf8')); } catch {}
  const files = fs.readdirSync(path.join(__dirname, '..', 'state', 'AIAgentPM'));
  const socket = fs.existsSync(${JSON.stringify(planted.socket)});
  fs.writeFileSync(path.join(__dirname, '..', 'seen.json'), JSON.stringify({ alive, files, socket }));
});
`,
      });
      setOnLeak('warn');
      const result = await jest(['planted/']);
      expect(result.code, result.stderr).toBe(0);
      const seen = JSON.parse(fs.readFileSync(path.join(project.dir, 'seen.json'), 'utf8')) as { alive: boolean; files: string[]; socket: boolean };
      // The planted daemon's socket is no longer in the state dir: seen apart, gone all the same.
      expect(seen).toEqual({ alive: false, files: [], socket: false });
      expect(ours()).toEqual([]);
    });

    describe('a test file that leaks a daemon', () => {
      const files = {
        'leak/leaks.test.js': `const fs = require('node:fs');
const path = require('node:path');
const { start } = require('../daemon.js');
test('starts a daemon and forgets it', async () => {
  const daemon = await start('leaked.sock');
  fs.writeFileSync(path.join(__dirname, '..', 'leaked.pid'), String(daemon.pid));
});
`,
        'leak/clean.test.js': `const { start } = require('../daemon.js');
test('starts a daemon and stops it', async () => {
  const daemon = await start('clean.sock');
  await daemon.stop();
});
`,
      };
      const leakedPid = () => Number(fs.readFileSync(path.join(project.dir, 'leaked.pid'), 'utf8'));

      it('warn: names it on stderr, exit 0, nothing left', async () => {
        project.write(files);
        setOnLeak('warn');
        const result = await jest(['leak/']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toContain('leak/leaks.test.js left a daemon running');
        expect(result.stderr).toContain(`pid ${leakedPid()} terminated: `);
        expect(result.stderr).not.toContain('clean.test.js left');
        expect(ours()).toEqual([]);
        expect(stateFiles()).toEqual([]);
      });

      it('fail: fails that file with the pid, exit 1, nothing left', async () => {
        setOnLeak('fail');
        const result = await jest(['leak/']);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(1);
        expect(output).toMatch(/FAIL leak\/leaks\.test\.js\s+● Test suite failed to run/);
        expect(output).toContain(`pid ${leakedPid()} terminated: `);
        expect(output).toContain('PASS leak/clean.test.js');
        expect(output).toContain('1 failed, 1 passed');
        expect(ours()).toEqual([]);
        expect(stateFiles()).toEqual([]);
      });

      it('fail, when a test of the file failed too: its error is kept, the leak is named, exit 1', async () => {
        setOnLeak('fail');
        project.write({ 'leak/leaks.test.js': files['leak/leaks.test.js'].replace('});\n', "  expect('the test').toBe('its own error');\n});\n") });
        const result = await jest(['leak/']);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(1);
        expect(output).toContain('Expected: "its own error"');
        expect(output).toContain('leak/leaks.test.js left a daemon running');
        expect(output).toContain(`pid ${leakedPid()} terminated: `);
        expect(output).toContain('Tests:       1 failed, 1 passed, 2 total');
        expect(ours()).toEqual([]);
        project.write(files);
      });

      it('kill: silent, exit 0, nothing left', async () => {
        setOnLeak('kill');
        const result = await jest(['leak/']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).not.toContain('mcp-reaper');
        expect(leakedPid()).toBeGreaterThan(0);
        expect(ours()).toEqual([]);
        expect(stateFiles()).toEqual([]);
      });
    });

    it('4 workers, 8 files each with its own daemon: no failures and no cross-worker kills, run after run', async () => {
      const files: Record<string, string> = {};
      for (let i = 1; i <= 8; i++) {
        files[`parallel/p${i}.test.js`] = `const { start } = require('../daemon.js');
test('own daemon ${i}', async () => {
  const daemon = await start('p${i}.sock');
  require('node:fs').writeFileSync(require('node:path').join(__dirname, '..', 'workers', '${i}'), String(process.env.JEST_WORKER_ID));
  // Long enough for other workers' files to end and run their leak checks meanwhile, and over Jest's
  // 1 s "fast test" mark, so later runs do not switch to running in band.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const health = await daemon.health();
  expect(health.healthy).toBe(true);
  const report = await daemon.stop();
  expect(report.processes.find((p) => p.pid === daemon.pid)?.action).toBe('terminated');
}, 30_000); // Jest's 5 s default is short on a loaded machine
`;
      }
      project.write(files);
      setOnLeak('fail');
      const runs = Number(process.env.MCP_REAPER_JEST_RUNS ?? 5);
      const workersDir = path.join(project.dir, 'workers');
      for (let run = 1; run <= runs; run++) {
        fs.rmSync(workersDir, { recursive: true, force: true });
        fs.mkdirSync(workersDir);
        const started = Date.now();
        const result = await jest(['--maxWorkers=4', 'parallel/']);
        timings.push(`parallel run ${run}/${runs}: ${Date.now() - started} ms`);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(0);
        expect(output).toContain('Tests:       8 passed, 8 total');
        expect(output).not.toContain('mcp-reaper');
        expect(ours()).toEqual([]);
        expect(stateFiles()).toEqual([]);
        const workers = new Set(fs.readdirSync(workersDir).map((f) => fs.readFileSync(path.join(workersDir, f), 'utf8')));
        expect(workers.size, `worker ids ${[...workers].join(', ')}`).toBe(4);
      }
    }, 600_000);

    // SIGINT to the whole group is what a terminal sends on Ctrl-C; Jest has no handler for either.
    for (const signal of ['SIGKILL', 'SIGINT'] as const) {
      it(`a run ended by ${signal} to its process group leaves nothing behind within 2 s (the watchdog)`, async () => {
        const marker = path.join(project.dir, 'killed-marker');
        fs.rmSync(marker, { force: true });
        project.write({
          'killed/sleeps.test.js': `const fs = require('node:fs');
const { start } = require('../daemon.js');
test('starts a daemon, then hangs', async () => {
  const daemon = await start('killed.sock');
  fs.writeFileSync(${JSON.stringify(marker)}, String(daemon.pid));
  await new Promise((resolve) => setTimeout(resolve, 120_000));
}, 180_000);
`,
          'killed/other.test.js': `test('keeps a second worker busy', async () => {
  await new Promise((resolve) => setTimeout(resolve, 120_000));
}, 180_000);
`,
        });
        setOnLeak('warn');
        const child = project.start('npx', ['jest', 'killed/']);
        const daemonPid = await waitFor(() => fs.existsSync(marker) && Number(fs.readFileSync(marker, 'utf8')), { timeoutMs: 60_000, message: 'the marker' });
        expect(ours().map((p) => p.pid)).toContain(daemonPid);
        const killedAt = Date.now();
        process.kill(-child.pid!, signal);
        // The daemon has its own process group and the watchdog its own session: only the watchdog can end it.
        await waitFor(() => ours().length === 0, {
          timeoutMs: 2_000,
          message: () => `nothing left; still running:\n${ours().map((p) => `${p.pid} ${p.cmd}`).join('\n')}\n${child.output()}`,
        });
        timings.push(`${signal} to nothing left: ${Date.now() - killedAt} ms`);
        expect(fs.existsSync(path.join(project.dir, 'state', 'killed.sock'))).toBe(false);
      }, 120_000);
    }

    it('a --bail run (no global teardown) leaves nothing behind within 2 s of its exit', async () => {
      const marker = path.join(project.dir, 'bail-marker');
      fs.rmSync(marker, { force: true });
      project.write({
        'bail/a-running.test.js': `const fs = require('node:fs');
const { start } = require('../daemon.js');
test('starts a daemon and is still running when the run bails', async () => {
  const daemon = await start('bail.sock');
  fs.writeFileSync(${JSON.stringify(marker)}, String(daemon.pid));
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  await daemon.stop();
}, 120_000);
`,
        'bail/b-fails.test.js': `const fs = require('node:fs');
test('fails once the other file has its daemon', async () => {
  while (!fs.existsSync(${JSON.stringify(marker)})) await new Promise((resolve) => setTimeout(resolve, 20));
  expect('bailed').toBe('passed');
}, 60_000);
`,
      });
      setOnLeak('warn');
      const result = await jest(['--bail', '--maxWorkers=2', 'bail/']);
      const exitedAt = Date.now();
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(fs.existsSync(marker)).toBe(true);
      // Jest's main process exits at once; a worker busy in a test can outlive it for a while, and it is
      // Jest's (killed in afterEach). Daemons and the watchdog must be gone within 2 s.
      const notJest = () => ours().filter((p) => !p.cmd.includes('jest-worker'));
      await waitFor(() => notJest().length === 0, {
        timeoutMs: 2_000,
        message: () => `nothing left; still running:\n${notJest().map((p) => `${p.pid} ${p.cmd}`).join('\n')}`,
      });
      timings.push(`--bail exit to nothing left: ${Date.now() - exitedAt} ms`);
    }, 120_000);

    // process.exit() in a test: Jest wraps it (it prints `process.exit called with "1"`) and then
    // exits the process the file runs in. Run in band, that is Jest's main process: no environment
    // teardown, no global teardown, and the watchdog sweeps. In a worker, only the worker dies:
    // jest-worker starts a new one and runs the file again (4 times in all, then "exceeding retry
    // limit"), each attempt leaking a daemon without its environment teardown; the main process
    // lives on and its global teardown stops and names every one of them.
    for (const mode of ['--runInBand', '--maxWorkers=2'] as const) {
      it(`process.exit(1) in a test (${mode}): exit 1, and nothing left within 2 s of the exit`, async () => {
        const pidsFile = path.join(project.dir, 'exit', 'pids.txt');
        project.write({
          'exit/a-exits.test.js': `const fs = require('node:fs');
const { start } = require('../daemon.js');
test('starts a daemon, then calls process.exit(1)', async () => {
  // A socket per attempt: a worker that died is replaced and runs this file again.
  const daemon = await start(\`exit-\${process.pid}.sock\`);
  fs.appendFileSync(${JSON.stringify(pidsFile)}, \`\${daemon.pid}\\n\`);
  process.exit(1);
}, 30_000);
`,
          'exit/b-other.test.js': `test('another file, for a second worker', async () => {
  await new Promise((resolve) => setTimeout(resolve, 200));
});
`,
        });
        fs.rmSync(pidsFile, { force: true });
        // Sockets and state dirs an earlier, failed attempt left: the sweeps remove only those of daemons they stop.
        for (const file of fs.readdirSync(path.join(project.dir, 'state'))) {
          if (file.startsWith('exit-')) fs.rmSync(path.join(project.dir, 'state', file), { recursive: true, force: true });
        }
        setOnLeak('warn');
        const result = await jest([mode, 'exit/']);
        const exitedAt = Date.now();
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(1);
        expect(output).toContain('process.exit called with "1"');
        const pids = fs.readFileSync(pidsFile, 'utf8').trim().split('\n').map(Number);
        expect(pids.length).toBeGreaterThan(0);
        // With workers the global teardown ran: it names each daemon. In band, the watchdog is silent.
        if (mode === '--maxWorkers=2') for (const pid of pids) expect(output).toContain(`pid ${pid} terminated: `);
        const left = () => [
          ...ours()
            .filter((p) => !p.cmd.includes('jest-worker')) // Jest's own (see the --bail scenario)
            .map((p) => `${p.pid} ${p.cmd}`),
          ...stateFiles(),
        ];
        await waitFor(() => left().length === 0, { timeoutMs: 2_000, message: () => `nothing left; still there:\n${left().join('\n')}\n${output}` });
        timings.push(`process.exit(1) ${mode}: exit to nothing left ${Date.now() - exitedAt} ms (${pids.length} daemons)`);
        expect(pids.every((pid) => !ours().some((p) => p.pid === pid))).toBe(true);
      }, 120_000);
    }

    // The README: in a project with "type": "module", `export default config` instead of module.exports.
    // Jest then loads the config as ESM; the environment and the global hooks (CJS) through its loader.
    // The test file is native ESM, as such projects run it (node --experimental-vm-modules).
    it('an ESM project ("type": "module", export default config, ESM tests): a leak is named, exit 0, nothing left', async () => {
      const config = readmeConfig();
      expect(config).toContain('module.exports = config;');
      project.write({
        'esm/package.json': `${JSON.stringify({ type: 'module', mcpReaper: { names: [name], dir: '../state/AIAgentPM' } }, null, 2)}\n`,
        'esm/jest.config.js': config.replace('module.exports = config;', 'export default config;'),
        'esm/leaks.test.js': `import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from '../daemon.js';

test('an ESM test that starts a daemon and forgets it', async () => {
  const daemon = await start('esm.sock');
  fs.writeFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'leaked.pid'), String(daemon.pid));
}, 30_000);
`,
      });
      fs.rmSync(path.join(project.dir, 'esm', 'leaked.pid'), { force: true });
      const result = await project.run('npx', ['jest', '--config', 'esm/jest.config.js'], {
        env: { NODE_OPTIONS: '--experimental-vm-modules --no-warnings' },
        timeoutMs: 120_000,
      });
      expectLeakWarned(result, 'leaks.test.js', path.join(project.dir, 'esm', 'leaked.pid'));
    }, 120_000);

    it('jsdom (the README\'s testEnvironment for DOM tests): a DOM test\'s leak is named, exit 0, nothing left', async () => {
      const environment = readmeJsdomEnvironment();
      expect(environment).toBe('@mcp-reaper/jest-env/jsdom');
      const config = readmeConfig();
      expect(config).toContain(`testEnvironment: '@mcp-reaper/jest-env',`);
      project.write({
        'jest.config.js': config.replace(`testEnvironment: '@mcp-reaper/jest-env',`, `testEnvironment: '${environment}',`),
        'jsdom/window.test.js': `const fs = require('node:fs');
const path = require('node:path');
const { start } = require('../daemon.js');
test('a DOM test that starts a daemon and forgets it', async () => {
  expect(typeof window).toBe('object');
  expect(typeof document.createElement).toBe('function');
  // The core loads under jsdom too (its CJS build finds its files from __filename, not \`document\`).
  const daemon = await start('jsdom.sock');
  fs.writeFileSync(path.join(__dirname, 'leaked.pid'), String(daemon.pid));
}, 30_000);
`,
      });
      fs.rmSync(path.join(project.dir, 'jsdom', 'leaked.pid'), { force: true });
      fs.rmSync(path.join(project.dir, 'state', 'jsdom.sock'), { force: true }); // an earlier, failed attempt's
      const result = await jest(['jsdom/']);
      expectLeakWarned(result, 'jsdom/window.test.js', path.join(project.dir, 'jsdom', 'leaked.pid'));
    }, 120_000);

    // useDaemon(), with the config's `daemon` defaults set in testEnvironmentOptions.mcpReaper: the
    // run's record in the registry does not hold them, only the environment's handoff brings them to
    // the test file. The defaults name the daemon (the test files name no option) and give it a state
    // dir, a grace other than the core's 500 ms, and FAKE_MCP_IGNORE_TERM, so a stop shows its grace.
    // onLeak 'fail': a useDaemon() daemon that the file's leak check counted would fail the run.
    describe('useDaemon()', () => {
      const GRACE_MS = 250;
      const SUPPORT = `const fs = require('node:fs');
const path = require('node:path');
exports.alive = (pid) => {
  try {
    return !/^\\d+ \\(.*\\) [ZX] /.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8'));
  } catch {
    return false;
  }
};
exports.environ = (pid) =>
  Object.fromEntries(fs.readFileSync('/proc/' + pid + '/environ', 'utf8').split('\\0').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
exports.record = (file, data) => {
  fs.mkdirSync(path.join(__dirname, 'out'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'out', file), JSON.stringify(data));
};
`;
      const daemonState = () => path.join(project.dir, 'state', 'use-daemon');
      /** The README's config, with the case's settings in place of its `{ onLeak: 'warn' }`. */
      const configWith = (settings: Record<string, unknown>, config = readmeConfig()) => {
        expect(config).toContain(`{ mcpReaper: { onLeak: 'warn' } }`);
        return config.replace(`{ mcpReaper: { onLeak: 'warn' } }`, `{ mcpReaper: ${JSON.stringify(settings)} }`);
      };
      const settings = () => ({
        onLeak: 'fail',
        daemon: { command: path.join(project.dir, 'bin', name), graceMs: GRACE_MS, env: { XDG_DATA_HOME: daemonState(), FAKE_MCP_IGNORE_TERM: '1' } },
      });
      const seen = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(project.dir, 'out', file), 'utf8')) as T;

      beforeAll(() => {
        project.write({ 'use-daemon-support.js': SUPPORT });
        fs.rmSync(path.join(project.dir, 'out'), { recursive: true, force: true });
      });

      it("per file (the README's snippet): ready in the tests, the config's defaults, the file's tag, stopped before the file's leak check", async () => {
        const snippet = readmeBlock('packages/jest-env/README.md', /## `useDaemon\(\)`/, 'js');
        expect(snippet).toContain('const daemon = useDaemon();');
        project.write({
          'jest.config.js': configWith(settings()),
          // The README's snippet verbatim, then what this case records.
          'use-daemon/file.test.js': `${snippet}
const { afterAll } = require('@jest/globals');
const path = require('node:path');
const { findLeaks } = require('@mcp-reaper/core');
const { alive, environ, record } = require('../use-daemon-support.js');
const { mcpReaper } = require('../package.json');
const seen = {};
test('its tag is the file\\'s: the leak check would count it while it runs', async () => {
  seen.pids = [daemon.pid];
  seen.tag = environ(daemon.pid).MCP_REAPER_OWNER;
  seen.owner = process.env.MCP_REAPER_OWNER;
  seen.dir = daemon.dir;
  const leaks = await findLeaks({ owner: process.env.MCP_REAPER_OWNER, names: mcpReaper.names, dir: path.join(__dirname, '..', mcpReaper.dir) });
  seen.leaks = leaks.map((p) => p.pid);
});
test('the same daemon in the next test', () => {
  seen.pids.push(daemon.pid);
});
// Declared after useDaemon()'s: runs once its afterAll stopped the daemon.
afterAll(() => record('file.json', { ...seen, aliveAfter: alive(seen.pids[0]) }));
`,
          'use-daemon/grace.test.js': `const { useDaemon } = require('@mcp-reaper/jest-env');
const { record } = require('../use-daemon-support.js');
const daemon = useDaemon();
test('stopped with the config\\'s grace', async () => {
  const report = await daemon.handle.stop();
  record('grace.json', { reason: report.processes.find((p) => p.pid === daemon.pid)?.reason });
});
`,
        });
        // In band: the two files' daemons share the config's state dir, one at a time.
        const result = await jest(['--runInBand', 'use-daemon/']);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(0);
        expect(output).toContain('Tests:       4 passed, 4 total');
        expect(output).not.toContain('left a daemon running');
        const file = seen<{ pids: number[]; tag: string; owner: string; dir: string; leaks: number[]; aliveAfter: boolean }>('file.json');
        const [pid] = file.pids;
        expect(file.pids).toEqual([pid, pid]);
        // The config's env (its XDG_DATA_HOME) and command: the daemon is the fake, in the case's state dir.
        expect(file.dir).toBe(path.join(daemonState(), 'AIAgentPM'));
        expect(file.owner).toMatch(/^run-\w+\/w\d+\/use-daemon:file\.test\.js$/); // the file's own tag (its path's / as :)
        expect(file.tag).toBe(file.owner);
        expect(file.leaks).toEqual([pid]);
        expect(file.aliveAfter).toBe(false);
        expect(seen<{ reason: string }>('grace.json').reason).toContain(`ignored SIGTERM for ${GRACE_MS} ms; killed with SIGKILL`);
        expect(ours()).toEqual([]);
        expect(stateFiles()).toEqual([]);
      }, 60_000);

      // A DOM test (jsdom, where jest-environment-node cannot even load: the main entry must not load
      // it in a test file), and --injectGlobals=false: the hooks come from @jest/globals, which Jest
      // answers in the sandbox.
      it("per: 'test', in a DOM test: a fresh daemon for each test, stopped after it; a field read outside a test throws", async () => {
        const config = configWith(settings());
        expect(config).toContain(`testEnvironment: '@mcp-reaper/jest-env',`);
        project.write({
          'jest.config.js': config.replace(`testEnvironment: '@mcp-reaper/jest-env',`, `testEnvironment: '${readmeJsdomEnvironment()}',`),
          'use-daemon-per-test/per-test.test.js': `const { afterAll, expect, test } = require('@jest/globals');
const { useDaemon } = require('@mcp-reaper/jest-env');
const { alive, record } = require('../use-daemon-support.js');
const daemon = useDaemon({}, { per: 'test' });
const pids = [];
test('a daemon of its own (1)', async () => {
  pids.push(daemon.pid);
  expect((await daemon.health()).healthy).toBe(true);
});
test('a daemon of its own (2)', async () => {
  pids.push(daemon.pid);
  expect(alive(pids[0])).toBe(false);
  expect((await daemon.health()).healthy).toBe(true);
});
afterAll(() => {
  let outside;
  try {
    outside = daemon.pid;
  } catch (error) {
    outside = error.message;
  }
  record('per-test.json', { pids, alive: pids.map(alive), outside, globals: typeof beforeAll, document: typeof document });
});
`,
        });
        const result = await jest(['--injectGlobals=false', 'use-daemon-per-test/']);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(0);
        expect(output).toContain('Tests:       2 passed, 2 total');
        expect(output).not.toContain('left a daemon running');
        const perTest = seen<{ pids: number[]; alive: boolean[]; outside: unknown; globals: string; document: string }>('per-test.json');
        expect(new Set(perTest.pids).size, `pids ${perTest.pids.join(', ')}`).toBe(2);
        expect(perTest.alive).toEqual([false, false]);
        expect(perTest.outside).toContain("useDaemon(): no daemon is running here. Read it inside a test (or a hook) that the useDaemon() call covers (per: 'test')");
        expect(perTest.globals).toBe('undefined');
        expect(perTest.document).toBe('object');
        expect(ours()).toEqual([]);
        expect(stateFiles()).toEqual([]);
      }, 60_000);

      it('without the test environment: the file fails with one message naming the line to add, nothing started', async () => {
        const line = `testEnvironment: '@mcp-reaper/jest-env'`;
        const config = configWith(settings());
        expect(config).toContain(`  ${line},\n`);
        project.write({
          'jest.config.js': config.replace(`  ${line},\n`, ''),
          'use-daemon-no-env/no-env.test.js': `const { useDaemon } = require('@mcp-reaper/jest-env');
const daemon = useDaemon();
test('never runs', () => {
  require('node:fs').writeFileSync(require('node:path').join(__dirname, 'ran'), String(daemon.pid));
});
`,
        });
        const result = await jest(['use-daemon-no-env/']);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(1);
        expect(output).toMatch(/FAIL use-daemon-no-env\/no-env\.test\.js\s+● Test suite failed to run\s+mcp-reaper: useDaemon\(\) needs the mcp-reaper test environment/);
        expect(output).toContain(`add ${line} in jest.config (or '@mcp-reaper/jest-env/jsdom' for DOM tests)`);
        expect(output).not.toContain('/dist/'); // no trace into our code
        expect(fs.existsSync(path.join(project.dir, 'use-daemon-no-env', 'ran'))).toBe(false);
        expect(ours()).toEqual([]);
        expect(stateFiles()).toEqual([]);
      }, 60_000);
    });

    // Watch mode on a terminal (--watchAll: there is no git here for --watch). What Jest 29 and 30 do:
    // - runJest() runs globalSetup before and globalTeardown after each run, and watch mode calls it
    //   once per run: every run has its own run id and its own watchdog, and while Jest waits for
    //   changes only Jest itself is running (no watchdog).
    // - Watch mode never runs tests in band: each run has its own workers, ended after the run.
    // - Keys come in raw mode, so Ctrl-C is a key, not SIGINT. q (or Enter, a…) typed during a run
    //   only interrupts the run: its workers are ended at once, without the file's environment
    //   teardown, and the global teardown, which still runs, stops and names what the file left.
    //   q while idle, and Ctrl-C at any time, exit(0) at once: during a run that skips the global
    //   teardown, and the watchdog sweeps.
    // - Jest prints its key help ("Watch Usage") when a run is over, after the global teardown; a
    //   key typed before that would interrupt instead of quitting. Under CI Jest is not
    //   "interactive" and prints no key help; project.terminal() is a developer's, without CI set.
    describe('watch mode on a terminal', () => {
      const watchFile = (folder: string, run: number) => `// run ${run}
const fs = require('node:fs');
const path = require('node:path');
const { start } = require('../daemon.js');
test('starts a daemon and forgets it', async () => {
  const daemon = await start('${folder}.sock');
  fs.appendFileSync(path.join(__dirname, 'pids.txt'), \`\${daemon.pid}\\n\`);
  // Untracked extensions (.txt, .flag): writing them does not trigger a rerun.
  if (fs.existsSync(path.join(__dirname, 'hold.flag'))) await new Promise((resolve) => setTimeout(resolve, 60_000));
}, 120_000);
`;

      /** Starts `jest --watchAll <folder>/` on a terminal, with helpers that wait on what it prints and writes. */
      function startWatch(folder: string) {
        fs.rmSync(path.join(project.dir, folder), { recursive: true, force: true });
        fs.rmSync(path.join(project.dir, 'state', `${folder}.sock`), { force: true }); // an earlier, failed attempt's
        project.write({ [`${folder}/leaks.test.js`]: watchFile(folder, 1) });
        setOnLeak('warn');
        const child = project.terminal('npx', ['jest', '--watchAll', `${folder}/`]);
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        /** For a wait's timeout: what is running, and what Jest printed. */
        const seen = () => `running:\n${ours().map((p) => `${p.pid} ${p.cmd}`).join('\n')}\noutput:\n${child.output()}`;
        const pidsFile = path.join(project.dir, folder, 'pids.txt');
        /** The pid of the daemon that the `run`th run (from 1) started, once it is written. */
        const daemonOf = (run: number) =>
          waitFor(() => fs.existsSync(pidsFile) && fs.readFileSync(pidsFile, 'utf8').trim().split('\n').map(Number)[run - 1], {
            timeoutMs: 60_000,
            message: () => `run ${run}'s daemon; ${seen()}`,
          });
        const daemons = () => ours().filter((p) => p.cmd.includes(`/bin/${name} `));
        const watchdogs = () => ours().filter((p) => p.cmd.includes('/@mcp-reaper/core/bin/watchdog.js'));
        /** Waits until run `run` is over (its key help printed) and its daemon named; checks that only Jest is left. */
        const idleAfter = async (run: number, pid: number, named: RegExp) => {
          await waitFor(() => named.test(child.output()) && count(child.output(), 'Watch Usage') >= run, {
            timeoutMs: 30_000,
            message: () => `run ${run} over, naming pid ${pid}; ${seen()}`,
          });
          expect(ours().map((p) => p.pid)).not.toContain(pid);
          expect(daemons()).toEqual([]);
          // One run, one watchdog, none piling up (Jest 29 and 30 end each run's: there is none).
          expect(watchdogs().length).toBeLessThanOrEqual(1);
        };
        /** After the quit: within 2 s no process of the project (daemon, watchdog, Jest), no socket or pid file. */
        const nothingLeft = async (key: string, typedAt: number) => {
          const code = await exited;
          const left = () => [
            ...ours().map((p) => `${p.pid} ${p.cmd}`),
            ...fs.readdirSync(path.join(project.dir, 'state', 'AIAgentPM')),
            ...[`${folder}.sock`].filter((f) => fs.existsSync(path.join(project.dir, 'state', f))),
          ];
          await waitFor(() => left().length === 0, { timeoutMs: 2_000, message: () => `nothing left; ${seen()}` });
          timings.push(`watch mode, ${key} typed to nothing left: ${Date.now() - typedAt} ms`);
          expect(code, child.output()).toBe(0); // Jest's exit code for both q and Ctrl-C
        };
        const stop = () => {
          if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
        };
        return { child, daemonOf, idleAfter, nothingLeft, stop };
      }
      const warned = (pid: number) => new RegExp(`left a daemon running[^]*pid ${pid} terminated: `);

      itNeeds([needs.script], 'each run (first, on a change, and one interrupted by Enter) has its leak named and stopped; q quits, nothing left within 2 s', async () => {
        const folder = 'watch-q';
        const watch = startWatch(folder);
        try {
          const first = await watch.daemonOf(1);
          await watch.idleAfter(1, first, warned(first));

          project.write({ [`${folder}/leaks.test.js`]: watchFile(folder, 2) });
          const second = await watch.daemonOf(2);
          expect(second).not.toBe(first);
          await watch.idleAfter(2, second, warned(second));

          // Enter reruns; Enter again while the test holds its daemon interrupts the run.
          fs.writeFileSync(path.join(project.dir, folder, 'hold.flag'), '');
          watch.child.type('\r');
          const third = await watch.daemonOf(3);
          expect(ours().map((p) => p.pid)).toContain(third);
          watch.child.type('\r');
          // Named by the file's leak check or, as Jest 29 and 30 do it, by the global teardown.
          await watch.idleAfter(3, third, new RegExp(`pid ${third}( terminated)?: `));
          expect(watch.child.output()).toContain('Test run was interrupted');

          const typedAt = Date.now();
          watch.child.type('q');
          await watch.nothingLeft('q', typedAt);
        } finally {
          watch.stop();
        }
      }, 180_000);

      itNeeds([needs.script], 'Ctrl-C typed while a rerun holds its daemon (no global teardown): nothing left within 2 s', async () => {
        const folder = 'watch-ctrl-c';
        const watch = startWatch(folder);
        try {
          const first = await watch.daemonOf(1);
          await watch.idleAfter(1, first, warned(first));

          fs.writeFileSync(path.join(project.dir, folder, 'hold.flag'), '');
          watch.child.type('\r');
          const second = await watch.daemonOf(2);
          expect(ours().map((p) => p.pid)).toContain(second);

          const typedAt = Date.now();
          watch.child.type('\x03');
          await watch.nothingLeft('Ctrl-C (mid-run)', typedAt);
          expect(watch.child.output()).not.toMatch(new RegExp(`pid ${second}( terminated)?: `)); // the watchdog's work: silent
        } finally {
          watch.stop();
        }
      }, 180_000);
    });
  });
}
