// The Vitest sample project shared by this folder's tests: the README's config verbatim, a fake
// daemon under a unique name (never mcp-server-pm), and test files that write what they observe to
// out/ so the assertions are made here, outside the runner.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { plantLeftovers as plant } from '../helpers/leftovers.js';
import { createProject, type SampleProject } from '../helpers/sample-project.js';
import { readmeBlock } from '../../helpers/readme.js';
import { liveProcesses, processesWith, readStat, waitFor } from '../../helpers/wait.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const FAKE = path.join(REPO, 'test/fixtures/fake-mcp-server-pm.mjs');

/** The config block under "## Config" in the package README: the sample projects use it verbatim. */
export const readmeConfig = (): string => readmeBlock('packages/vitest-setup/README.md', /## Config/, 'ts');

const SUPPORT = `import fs from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
export const NAME: string = pkg.mcpReaper.names[0];
export const command = path.resolve('bin', NAME);
export const env = { XDG_DATA_HOME: path.resolve('state') };
export const dir = path.resolve('state/AIAgentPM');
export const socket = (id: string) => path.resolve('state', id + '.sock');
/** Options for a daemon with its own state dir: daemons running at once must not share daemon.pid. */
export const own = (id: string) => ({
  command,
  env: { XDG_DATA_HOME: path.resolve('state', id) },
  dir: path.resolve('state', id, 'AIAgentPM'),
  socketPath: path.resolve('state', id + '.sock'),
});
export function record(file: string, data: unknown): void {
  const out = path.resolve('out', process.env.OUT_DIR ?? '.');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, file), JSON.stringify(data));
}
export const alive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return !/^\\S+ \\(.*\\) [ZX] /.test(stat);
  } catch {
    return false;
  }
};
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
`;

/** Eight files, each with its own daemon for the file and a fresh one per test, overlapping in time. */
function poolFile(id: string): string {
  return `import { afterAll, expect, test } from 'vitest';
import { useDaemon } from '@mcp-reaper/vitest-setup';
import { alive, own, record, sleep } from '../support';

const fileDaemon = useDaemon(own('${id}-' + process.env.OUT_DIR));
const testDaemon = useDaemon(() => own('${id}-t-' + process.env.OUT_DIR), { per: 'test' });
const seen: number[] = [];

for (const n of [1, 2]) {
  test('daemon ${id} stays up while the others come and go (' + n + ')', async () => {
    seen.push(fileDaemon.pid, testDaemon.pid);
    expect((await fileDaemon.health()).healthy).toBe(true);
    await sleep(150);
    expect((await testDaemon.health()).healthy).toBe(true);
    expect(alive(fileDaemon.pid) && alive(testDaemon.pid)).toBe(true);
  });
}

afterAll(() => record('${id}.json', { pids: [...new Set(seen)], owner: process.env.MCP_REAPER_OWNER, pool: process.env.VITEST_POOL_ID }));
`;
}

export const SAMPLE_FILES: Record<string, string> = {
  'tests/support.ts': SUPPORT,
  'tests/planted/first.test.ts': `import fs from 'node:fs';
import { test } from 'vitest';
import { alive, record } from '../support';

test('observes the planted leftovers', () => {
  const planted = JSON.parse(fs.readFileSync('out/planted.json', 'utf8'));
  record('observed.json', {
    alive: planted.pids.filter(alive),
    files: planted.files.filter((f: string) => fs.existsSync(f)),
    owner: process.env.MCP_REAPER_OWNER,
  });
});
`,
  'tests/leak/leak.test.ts': `import { startDaemon } from '@mcp-reaper/core';
import { expect, test } from 'vitest';
import { command, dir, env, record, socket } from '../support';

test('starts a daemon and forgets it', async () => {
  const daemon = await startDaemon({ command, dir, env, socketPath: socket('leak') });
  record('leak.json', { pid: daemon.pid, owner: process.env.MCP_REAPER_OWNER });
  expect(daemon.pid).toBeGreaterThan(0);
});
`,
  'tests/leak/clean.test.ts': `import { expect, test } from 'vitest';
import { useDaemon } from '@mcp-reaper/vitest-setup';
import { own, record } from '../support';

const daemon = useDaemon(own('clean'));
test('uses a daemon and stops it', async () => {
  record('clean.json', { pid: daemon.pid });
  expect((await daemon.health()).healthy).toBe(true);
});
`,
  'tests/dom/dom.test.ts': `import { startDaemon } from '@mcp-reaper/core';
import { useDaemon } from '@mcp-reaper/vitest-setup';
import { expect, test } from 'vitest';
import { command, dir, env, own, record, socket } from '../support';

const daemon = useDaemon(own('dom'));

test('runs in jsdom with a daemon', async () => {
  document.body.innerHTML = '<p id="x">hello</p>';
  expect(document.getElementById('x')?.textContent).toBe('hello');
  expect((await daemon.health()).healthy).toBe(true);
  const leaked = await startDaemon({ command, dir, env, socketPath: socket('dom-leak') });
  record('dom.json', { window: typeof window, used: daemon.pid, leaked: leaked.pid, owner: process.env.MCP_REAPER_OWNER });
});
`,
  'tests/hang/hang.test.ts': `import { startDaemon } from '@mcp-reaper/core';
import { test } from 'vitest';
import { command, dir, env, record, socket } from '../support';

test('starts a daemon and hangs until killed', async () => {
  const daemon = await startDaemon({ command, dir, env, socketPath: socket('hang') });
  record('hang.json', { pid: daemon.pid, owner: process.env.MCP_REAPER_OWNER });
  await new Promise(() => {});
}, 600_000);
`,
  ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`tests/pool/p${i + 1}.test.ts`, poolFile(`p${i + 1}`)])),
};

export interface VitestSample {
  project: SampleProject;
  /** The fake daemon's unique name (`mcpv-` + 6 hex digits), its kernel process name. */
  name: string;
  wrapper: string;
  stateDir: string;
  /** Every file (not directory) left under <project>/state. */
  stateFiles(): string[];
  /** Reads out/<file> (JSON) written by a sample test. */
  out<T>(file: string): T;
  /** Every live process of the fake daemon, found by its unique kernel name. */
  running(): number[];
  /** Every live process whose command line names the project dir (daemons, Vitest, the watchdog). */
  anythingRunning(): string[];
  /** Remembers a process we started (pid and start time) so cleanup can prove it is still ours. */
  track(pid: number): void;
  /** Stops only tracked processes that are still the same process under our unique name, then removes the project. */
  cleanup(): Promise<void>;
}

export async function createVitestSample(options: {
  name: string;
  dependencies?: Record<string, string>;
  /** The node Vitest runs on (Vitest 5 needs Node 22). Default: this one. */
  nodePath?: string;
}): Promise<VitestSample> {
  const name = `mcpv-${randomBytes(3).toString('hex')}`;
  const project = await createProject({
    name: options.name,
    dependencies: { vitest: '^4', ...options.dependencies },
    packages: ['@mcp-reaper/vitest-setup'],
    packageJson: { type: 'module', mcpReaper: { names: [name], dir: './state/AIAgentPM' } },
    files: { 'vitest.config.ts': readmeConfig(), ...SAMPLE_FILES },
    ...(options.nodePath === undefined ? {} : { nodePath: options.nodePath }),
  });
  const wrapper = path.join(project.dir, 'bin', name);
  fs.mkdirSync(path.dirname(wrapper), { recursive: true });
  fs.writeFileSync(wrapper, `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(FAKE).href)});\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(project.dir, 'state/AIAgentPM'), { recursive: true });

  const tracked = new Map<number, string>();
  const running = () =>
    liveProcesses()
      .filter((p) => p.stat.comm === name)
      .map((p) => p.pid);
  const track = (pid: number) => {
    const stat = readStat(pid);
    if (stat) tracked.set(pid, stat.startTime);
  };
  return {
    project,
    name,
    wrapper,
    stateDir: path.join(project.dir, 'state/AIAgentPM'),
    stateFiles: () =>
      (fs.readdirSync(path.join(project.dir, 'state'), { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((entry) => !entry.isDirectory())
        .map((entry) => path.join(entry.parentPath, entry.name)),
    out: <T>(file: string) => JSON.parse(fs.readFileSync(path.join(project.dir, 'out', file), 'utf8')) as T,
    running,
    track,
    anythingRunning: () => processesWith(project.dir).map((p) => `${p.pid} ${p.cmd}`),
    async cleanup() {
      // Only what we can prove is ours: a tracked pid, same start time, our unique name.
      for (const pid of running()) track(pid);
      for (const [pid, startTime] of tracked) {
        const stat = readStat(pid);
        if (stat && stat.startTime === startTime && stat.comm === name) process.kill(pid, 'SIGKILL');
      }
      await waitFor(() => running().length === 0, { timeoutMs: 5000, message: `no ${name} process left` }).catch(() => {});
      project.remove();
    },
  };
}

/**
 * Plants leftovers as an earlier crashed run would leave them (test/e2e/helpers/leftovers.ts: a forked
 * daemon, a stale pid file and a stale socket), tracks the daemon, and writes out/planted.json for the
 * sample test that observes them.
 */
export async function plantLeftovers(sample: VitestSample): Promise<{ pids: number[]; files: string[] }> {
  const out = path.join(sample.project.dir, 'out');
  fs.mkdirSync(out, { recursive: true });
  const { pid, socket, pidFile, staleSocket } = await plant({ bin: sample.wrapper, root: sample.project.dir, stateDir: sample.stateDir });
  sample.track(pid);
  const files = [socket, staleSocket, pidFile];
  for (const file of files) if (!fs.existsSync(file)) throw new Error(`planting failed: ${file} is missing`);
  const planted = { pids: [pid], files };
  fs.writeFileSync(path.join(out, 'planted.json'), JSON.stringify(planted));
  return planted;
}
