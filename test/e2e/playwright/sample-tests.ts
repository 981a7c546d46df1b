// The spec files the sample projects run. They import the package as a user would, and write what
// they saw to results/<name>.json so the e2e tests can check it from outside the runner.
const COMMON = `
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { test, expect } from '@mcp-reaper/playwright-fixture';
import { bin, daemon, results } from './daemon-options';

function alive(pid: number): boolean {
  try {
    return !/\\) Z/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8'));
  } catch {
    return false;
  }
}

function ping(socketPath: string): Promise<{ id: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }) + '\\n'));
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\\n')) {
        socket.end();
        resolve(JSON.parse(text.slice(0, text.indexOf('\\n'))));
      }
    });
  });
}

function record(name: string, value: unknown): void {
  const file = path.join(results, name + '.json');
  fs.writeFileSync(file + '.tmp', JSON.stringify(value));
  fs.renameSync(file + '.tmp', file);
}

/** Starts a daemon that nothing stops (a leak) on state/<socket>, and waits until it is ready (results/<ready>). */
async function leakDaemon(ready: string, socket: string): Promise<{ pid: number; socketPath: string }> {
  const readyFile = path.join(results, ready);
  const socketPath = path.join(path.dirname(results), 'state', socket);
  const child = spawn(bin, ['daemon', '--foreground', '--socket-path', socketPath], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...daemon.env, FAKE_MCP_READY_FILE: readyFile },
  });
  child.unref();
  await expect.poll(() => fs.existsSync(readyFile), { timeout: 10_000 }).toBe(true);
  return { pid: child.pid!, socketPath };
}
`;

export const lifecycleSpec = `${COMMON}
test.use({ mcpReaper: { daemon } });

test('first: the leftovers of earlier runs are gone', async () => {
  const planted = JSON.parse(process.env.PLANTED ?? 'null');
  const seen = planted && {
    plantedAlive: alive(planted.pid),
    socket: fs.existsSync(planted.socket),
    pidFile: fs.existsSync(planted.pidFile),
    staleSocket: fs.existsSync(planted.staleSocket),
  };
  record('first', { seen, owner: process.env.MCP_REAPER_OWNER });
  expect(seen).toEqual({ plantedAlive: false, socket: false, pidFile: false, staleSocket: false });
});

test('mcpDaemon is ready and tagged', async ({ mcpDaemon }) => {
  const reply = await ping(mcpDaemon.socketPath);
  const environ = fs.readFileSync('/proc/' + mcpDaemon.pid + '/environ', 'utf8').split('\\0');
  record('ready', { pid: mcpDaemon.pid, socketPath: mcpDaemon.socketPath, reply, alive: alive(mcpDaemon.pid), environ: environ.filter((e) => e.startsWith('MCP_REAPER_')), owner: process.env.MCP_REAPER_OWNER });
  expect(reply.id).toBe(7);
});

for (const n of [1, 2]) {
  test('mcpWorkerDaemon is shared by the tests of a worker ' + n, async ({ mcpWorkerDaemon }) => {
    const reply = await ping(mcpWorkerDaemon.socketPath);
    record('worker-' + n, { pid: mcpWorkerDaemon.pid, socketPath: mcpWorkerDaemon.socketPath, reply, alive: alive(mcpWorkerDaemon.pid) });
    expect(reply.id).toBe(7);
  });
}
`;

export const leakSpec = `${COMMON}
test.use({ mcpReaper: { daemon, onLeak: process.env.LEAK_MODE as 'warn' } });

test('leaks a daemon', async () => {
  const { pid } = await leakDaemon('leak-ready-' + process.env.LEAK_MODE + '.tmp', 'leak.sock');
  record('leak-' + process.env.LEAK_MODE, { pid });
});
`;

export const invalidSpec = `${COMMON}
test.use({ mcpReaper: { onLeak: 'explode' as 'warn' } });

test('never runs', async () => {
  record('invalid', { ran: true });
});
`;

export const hangSpec = `${COMMON}
test.use({ mcpReaper: { daemon } });

test('hangs with a daemon of its own and a leaked one', async ({ mcpDaemon }) => {
  test.setTimeout(120_000);
  const leaked = await leakDaemon('hang-leak.tmp', 'hang.sock');
  record('hang', { daemon: mcpDaemon.pid, leaked: leaked.pid });
  await new Promise(() => {}); // until the runner is killed
});
`;

/** One of the parallel files: two tests, each with its own daemon, each checking it survives its body. */
export function parallelSpec(file: number): string {
  const body = (n: number) => `
test('daemon ${file}-${n}', async ({ mcpDaemon }, testInfo) => {
  const until = Date.now() + 300;
  let pings = 0;
  // Hold the daemon while the other workers start and stop theirs: a cross-kill, or a pid file
  // another worker's daemon wrote or removed, would show here.
  while (Date.now() < until) {
    expect((await ping(mcpDaemon.socketPath)).id).toBe(7);
    expect(alive(mcpDaemon.pid)).toBe(true);
    pings++;
  }
  const health = await mcpDaemon.health();
  expect(health.healthy, JSON.stringify(health.checks)).toBe(true);
  record('parallel-${file}-${n}-' + (process.env.RUN_NUMBER ?? '0'), { pid: mcpDaemon.pid, worker: testInfo.workerIndex, parallelIndex: testInfo.parallelIndex, dir: mcpDaemon.dir, pings, owner: process.env.MCP_REAPER_OWNER });
});
`;
  let common = COMMON.replace("from './daemon-options'", "from './daemon-options.js'");
  if (file === 4) {
    // The fixtures object on a test of the user's own, as with mergeTests().
    common = common.replace(
      "import { test, expect } from '@mcp-reaper/playwright-fixture';",
      [
        "import { test as base, expect } from '@playwright/test';",
        "import { mcpReaperFixtures, type McpReaperTestFixtures, type McpReaperWorkerFixtures } from '@mcp-reaper/playwright-fixture';",
        'const test = base.extend<McpReaperTestFixtures, McpReaperWorkerFixtures>(mcpReaperFixtures);',
      ].join('\n'),
    );
  }
  // Parallel daemons each need a state dir (their daemon.pid and database): one per worker, as the
  // package README shows.
  return `${common}
test.use({
  mcpReaper: {
    daemon: ({ parallelIndex }) => ({ ...daemon, env: { XDG_DATA_HOME: path.join(daemon.env.XDG_DATA_HOME, 'w' + parallelIndex) } }),
  },
});
${body(1)}${body(2)}`;
}

/**
 * The files of an interrupted run, two of them at a time for two workers. Each test waits for the
 * signal once it has recorded its daemon (pid, socket, worker) in results/.
 * - interrupt-daemon: holds its mcpDaemon.
 * - interrupt-leak: has started a daemon of its own that it never stops (a leak in progress).
 * - interrupt-held: holds its mcpDaemon behind a fixture of the user's whose teardown takes long: it
 *   records `teardown-held` when it starts and ends only when results/release exists. Its mcpDaemon
 *   is stopped after it (fixtures are torn down in the reverse order of their setup).
 */
export const interruptSpecs = {
  'tests/interrupt-daemon.spec.ts': `${COMMON}
test.use({ mcpReaper: { daemon } });

test('holds its mcpDaemon when the run is interrupted', async ({ mcpDaemon }, testInfo) => {
  test.setTimeout(120_000);
  record('interrupt-daemon', { pid: mcpDaemon.pid, socketPath: mcpDaemon.socketPath, worker: testInfo.workerIndex });
  await new Promise(() => {}); // until the run is interrupted
});
`,
  'tests/interrupt-held.spec.ts': `${COMMON}
const held = test.extend<{ heldTeardown: void }>({
  heldTeardown: async ({}, use) => {
    await use();
    record('teardown-held', { worker: process.pid });
    while (!fs.existsSync(path.join(results, 'release'))) await new Promise((resolve) => setTimeout(resolve, 20));
  },
});
held.use({ mcpReaper: { daemon } });

held('holds its mcpDaemon behind a slow teardown when the run is interrupted', async ({ mcpDaemon, heldTeardown }, testInfo) => {
  test.setTimeout(120_000);
  record('interrupt-held', { pid: mcpDaemon.pid, socketPath: mcpDaemon.socketPath, worker: testInfo.workerIndex });
  await new Promise(() => {}); // until the run is interrupted
});
`,
  'tests/interrupt-leak.spec.ts': `${COMMON}
test.use({ mcpReaper: { daemon } });

test('is leaking a daemon when the run is interrupted', async ({}, testInfo) => {
  test.setTimeout(120_000);
  const { pid, socketPath } = await leakDaemon('interrupt-leak.tmp', 'interrupt-leak.sock');
  record('interrupt-leak', { pid, socketPath, worker: testInfo.workerIndex });
  await new Promise(() => {}); // until the run is interrupted
});
`,
};
