// The Jest adapter proven with the real Jest, as a user installs it: one sample project per Jest
// major, installed once (npm install is the slow part) and reused by every scenario, each of which
// writes its own test files under its own folder and runs `npx jest <folder>`.
//
// Safety: the daemon is the project's fake under a unique name (`mcpj-` + 6 hex), and everything we
// track or kill is a process whose command line holds this project's temp directory.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type SampleProject } from '../helpers/sample-project.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const FAKE = path.join(REPO, 'test/fixtures/fake-mcp-server-pm.mjs');
const README = path.join(REPO, 'packages/jest-env/README.md');

/** The README's jest.config.js, verbatim: the sample projects use what users copy. */
export function readmeConfig(): string {
  const match = /`jest\.config\.js`[^\n]*\n(?:[^\n]*\n)*?```js\n([\s\S]*?)```/.exec(fs.readFileSync(README, 'utf8'));
  if (!match?.[1]) throw new Error(`no jest.config.js block in ${README}`);
  return match[1];
}

/** Pids of every process whose command line holds `needle` (our temp dir): Jest, its workers, daemons, the watchdog. */
function processesWith(needle: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmd.includes(needle)) found.push({ pid: Number(entry), cmd });
  }
  return found;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

// The sample project's helper: a test's own daemon, on its own socket.
const DAEMON_JS = `const path = require('node:path');
const { startDaemon } = require('@mcp-reaper/core');
const { mcpReaper } = require('./package.json');
exports.stateDir = path.join(__dirname, 'state', 'AIAgentPM');
exports.start = (socketName) =>
  startDaemon({
    command: path.join(__dirname, 'bin', mcpReaper.names[0]),
    dir: exports.stateDir,
    socketPath: path.join(__dirname, 'state', socketName),
    env: { XDG_DATA_HOME: path.join(__dirname, 'state') },
  });
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
    const ours = () => processesWith(project.dir);

    beforeAll(async () => {
      name = `mcpj-${randomBytes(3).toString('hex')}`;
      project = await createProject({
        name: `jest${major}`,
        dependencies: { jest: `^${major}`, 'jest-environment-node': `^${major}` },
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
      const readyFile = path.join(project.dir, 'planted-ready.json');
      // A forked daemon (the launcher exits at once), its own pid file elsewhere, its socket in our dir.
      const launcher = spawn(path.join(project.dir, 'bin', name), ['daemon', '--socket-path', path.join(state, 'planted.sock')], {
        env: { ...process.env, XDG_DATA_HOME: path.join(project.dir, 'state-planted'), FAKE_MCP_READY_FILE: readyFile },
        stdio: 'ignore',
        detached: true,
      });
      launcher.unref();
      const planted = await waitFor(
        'the planted daemon',
        () => (fs.existsSync(readyFile) ? (JSON.parse(fs.readFileSync(readyFile, 'utf8')) as { pid: number }) : undefined),
        10_000,
      );
      // A stale pid file (a pid that has exited) and a stale socket (its listener was SIGKILLed).
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      fs.writeFileSync(path.join(state, 'daemon.pid'), `${dead}\n`);
      spawnSync(process.execPath, [
        '-e',
        `require('node:net').createServer().listen(${JSON.stringify(path.join(state, 'mcp.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`,
      ]);
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
  fs.writeFileSync(path.join(__dirname, '..', 'seen.json'), JSON.stringify({ alive, files }));
});
`,
      });
      setOnLeak('warn');
      const result = await jest(['planted/']);
      expect(result.code, result.stderr).toBe(0);
      const seen = JSON.parse(fs.readFileSync(path.join(project.dir, 'seen.json'), 'utf8')) as { alive: boolean; files: string[] };
      expect(seen).toEqual({ alive: false, files: [] });
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
        expect(result.stderr).toContain(`pid ${leakedPid()}: `);
        expect(result.stderr).not.toContain('clean.test.js left');
        expect(ours()).toEqual([]);
      });

      it('fail: fails that file with the pid, exit 1, nothing left', async () => {
        setOnLeak('fail');
        const result = await jest(['leak/']);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(1);
        expect(output).toMatch(/FAIL leak\/leaks\.test\.js\s+● Test suite failed to run/);
        expect(output).toContain(`pid ${leakedPid()}: `);
        expect(output).toContain('PASS leak/clean.test.js');
        expect(output).toContain('1 failed, 1 passed');
        expect(ours()).toEqual([]);
      });

      it('fail, when a test of the file failed too: its error is kept, the leak is named, exit 1', async () => {
        setOnLeak('fail');
        project.write({ 'leak/leaks.test.js': files['leak/leaks.test.js'].replace('});\n', "  expect('the test').toBe('its own error');\n});\n") });
        const result = await jest(['leak/']);
        const output = result.stdout + result.stderr;
        expect(result.code, output).toBe(1);
        expect(output).toContain('Expected: "its own error"');
        expect(output).toContain('leak/leaks.test.js left a daemon running');
        expect(output).toContain(`pid ${leakedPid()}: `);
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
        const daemonPid = await waitFor('the marker', () => (fs.existsSync(marker) ? Number(fs.readFileSync(marker, 'utf8')) : undefined), 60_000);
        expect(ours().map((p) => p.pid)).toContain(daemonPid);
        const killedAt = Date.now();
        process.kill(-child.pid!, signal);
        // The daemon has its own process group and the watchdog its own session: only the watchdog can end it.
        await waitFor('nothing left', () => (ours().length === 0 ? true : undefined), 2_000).catch((error: Error) => {
          throw new Error(`${error.message}; still running:\n${ours().map((p) => `${p.pid} ${p.cmd}`).join('\n')}\n${child.output()}`);
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
      await waitFor('nothing left', () => (notJest().length === 0 ? true : undefined), 2_000).catch((error: Error) => {
        throw new Error(`${error.message}; still running:\n${notJest().map((p) => `${p.pid} ${p.cmd}`).join('\n')}`);
      });
      timings.push(`--bail exit to nothing left: ${Date.now() - exitedAt} ms`);
    }, 120_000);
  });
}
