// startStack(): the integration scripts' stack (daemon → seed → REST → coordinator and a web server)
// as one declared thing, with real processes on real sockets and ports. Every fake runs under a
// unique name from the sandbox's bin dir; the ports are free ones found at the start.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNER_ENV } from '../../../packages/core/src/config/names.js';
import { registerRun, removeRunRecord } from '../../../packages/core/src/registry/runs.js';
import { stackUpLine } from '../../../packages/core/src/run/verdict.js';
import { StackStartError, startStack, type StartStackOptions } from '../../../packages/core/src/stack/start-stack.js';
import type { StackConfig } from '../../../packages/core/src/config/stack-options.js';
import { createSandbox, FAKE_COORDINATOR, FAKE_REST, FAKE_SEED, type Sandbox } from '../../helpers/fake-daemon.js';
import { freePort, listening } from '../../helpers/net.js';
import { isAlive, readStat, waitFor } from '../../helpers/wait.js';

let sb: Sandbox;
/** The dirs failed starts kept (named in their errors, for the logs): read by the tests, then removed. */
const kept: string[] = [];
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  for (const dir of kept.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.dirname(dir));
    } catch {
      // not empty
    }
  }
  await sb.cleanup();
});

/** The error of a start expected to fail; its kept dir (which its message names) is removed after the test. */
async function failed(started: Promise<unknown>): Promise<unknown> {
  const error = await started.catch((e: unknown) => e);
  // Kept when a service wrote its log there, and then named; gone when nothing was written.
  if (error instanceof StackStartError && error.cleanup.keptDir) {
    expect(error.message).toContain(`Its logs are kept in ${error.cleanup.dir}.`);
    expect(fs.existsSync(error.cleanup.dir)).toBe(true);
    kept.push(error.cleanup.dir);
  } else if (error instanceof StackStartError) {
    expect(error.message).not.toContain('Its logs are kept');
    expect(fs.existsSync(error.cleanup.dir)).toBe(false);
  }
  return error;
}

interface Fakes {
  rest: string;
  coordinator: string;
  seed: string;
}

async function fakes(): Promise<Fakes> {
  return { rest: await sb.install(undefined, FAKE_REST), coordinator: await sb.install(undefined, FAKE_COORDINATOR), seed: await sb.install(undefined, FAKE_SEED) };
}

/** The scripts' stack, with the sandbox's fakes and free ports. */
function scriptsStack(f: Fakes, restPort: number, webPort: number, seedOut: string): StackConfig {
  const socket = path.join(sb.root, 'uc.sock');
  return {
    daemon: { command: [sb.bin, 'daemon', '--socket-path', socket, '--foreground'], env: { XDG_DATA_HOME: sb.dataHome }, ready: { socket } },
    seed: { command: [f.seed], env: { SEED_OUT: seedOut }, dependsOn: ['daemon'], ready: { exit: 0 } },
    rest: {
      command: [f.rest],
      env: { AIAGENTPM_WEBSERVER_PORT: String(restPort), MCP_SOCKET: '${stack.daemon.socket}' },
      dependsOn: ['seed'],
      ready: { url: `http://localhost:${restPort}/health` },
    },
    coordinator: { command: [f.coordinator], env: { REST_URL: '${stack.rest.url}' }, dependsOn: ['rest'], ready: { line: '^coordinator ready$' } },
    // A second REST fake stands in for the Vite dev server: ready when its port accepts.
    web: { command: [f.rest, '--port', String(webPort)], dependsOn: ['rest'], ready: { port: webPort } },
  };
}

const base = (services: StackConfig): StartStackOptions => ({ services, names: [sb.name], owner: `run-stack-test/${path.basename(sb.root)}` });

describe('startStack', () => {
  it('starts the scripts\' stack in dependency order, tells the tests where each service is, and tears it down in reverse', async () => {
    const f = await fakes();
    const [restPort, webPort] = [await freePort(), await freePort()];
    const seedOut = path.join(sb.root, 'seeded.txt');
    const stack = await startStack(base(scriptsStack(f, restPort, webPort, seedOut)));
    const pids = Object.values(stack.services).map((s) => s.pid);
    for (const pid of pids) sb.track(pid);

    expect(Object.keys(stack.services).sort()).toEqual(['coordinator', 'daemon', 'rest', 'seed', 'web']);
    expect(fs.readFileSync(seedOut, 'utf8')).toMatch(/^seeded by \d+/);
    expect(await listening(restPort)).toBe(true);
    expect(await listening(webPort)).toBe(true);
    // Values between services: the daemon's socket reached the REST server, its URL the coordinator.
    expect(fs.readFileSync(stack.services.rest!.logFile, 'utf8')).toContain(`daemon socket ${path.join(sb.root, 'uc.sock')}`);
    expect(fs.readFileSync(stack.services.coordinator!.logFile, 'utf8')).toContain(`REST at http://localhost:${restPort}/health`);
    expect(stack.env).toMatchObject({
      MCP_REAPER_STACK_REST_URL: `http://localhost:${restPort}/health`,
      MCP_REAPER_STACK_REST_PORT: String(restPort),
      MCP_REAPER_STACK_DAEMON_SOCKET: path.join(sb.root, 'uc.sock'),
      MCP_REAPER_STACK_WEB_PORT: String(webPort),
      MCP_REAPER_STACK_COORDINATOR_PID: String(stack.services.coordinator!.pid),
    });
    // Each service in its own process group, with the run's tag.
    for (const { pid } of Object.values(stack.services).filter((s) => s.name !== 'seed')) {
      expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(`${OWNER_ENV}=run-stack-test/${path.basename(sb.root)}`);
    }

    const report = await stack.stop();
    expect(report.ok, JSON.stringify(report, null, 2)).toBe(true);
    const order = report.services.map((s) => s.name);
    // Dependents first: the web server and the coordinator, then REST, the seed, the daemon.
    expect(order.slice(0, 2).sort()).toEqual(['coordinator', 'web']);
    expect(order.slice(2)).toEqual(['rest', 'seed', 'daemon']);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(path.join(sb.root, 'uc.sock'))).toBe(false);
    expect(await listening(restPort)).toBe(false);
    expect(await listening(webPort)).toBe(false);
    await expect(stack.stop()).resolves.toBe(report);
  });

  it('a service that exits early fails the start: the error names it and shows its output, and what was started is stopped', async () => {
    const f = await fakes();
    const [restPort, webPort] = [await freePort(), await freePort()];
    const scripts = scriptsStack(f, restPort, webPort, path.join(sb.root, 'seeded.txt'));
    const services = { ...scripts, rest: { ...scripts.rest!, env: { ...scripts.rest!.env, FAKE_REST_EXIT_EARLY: '3' } } };
    const error = (await failed(startStack(base(services)))) as StackStartError;
    expect(error).toBeInstanceOf(StackStartError);
    expect(error.code).toBe('ESERVICEEXIT');
    expect(error.service).toBe('rest');
    expect(error.message).toMatch(
      new RegExp(`^stack service "rest" \\(pid \\d+\\) did not start: it exited with code 3 after \\d+ ms, while waiting for GET http://localhost:${restPort}/health answered with a 2xx status\\.`),
    );
    expect(error.message).toContain('fatal: cannot open the database (FAKE_REST_EXIT_EARLY=3)');
    expect(error.message).toContain('The services started before it were stopped (');
    expect(error.cleanup.services.map((s) => s.name)).toEqual(['seed', 'daemon']);
    expect(error.cleanup.ok).toBe(true);
    for (const s of error.cleanup.services) for (const p of s.report.processes) expect(isAlive(p.pid)).toBe(false);
    expect(fs.existsSync(path.join(sb.root, 'uc.sock'))).toBe(false);
  });

  it('a service never ready fails the start after its readyTimeoutMs, naming what it waited for', async () => {
    const f = await fakes();
    const error = (await failed(startStack(base({ coordinator: { command: [f.coordinator], env: { FAKE_COORD_NEVER_READY: '1' }, ready: { line: 'coordinator ready' }, readyTimeoutMs: 300 } })))) as StackStartError;
    expect(error.code).toBe('ESERVICETIMEOUT');
    expect(error.message).toContain('stack service "coordinator"');
    expect(error.message).toContain('it was not ready within readyTimeoutMs (300 ms) while waiting for a line of its output matching /coordinator ready/');
    expect(error.message).toContain('coordinator starting');
  });

  it('a one-shot task that exits with another code fails the start', async () => {
    const f = await fakes();
    const error = (await failed(startStack(base({ seed: { command: [f.seed], env: { FAKE_SEED_EXIT: '3' }, ready: { exit: 0 } } })))) as StackStartError;
    expect(error.code).toBe('ESERVICEEXIT');
    expect(error.message).toContain('it exited with code 3 after');
    expect(error.message).toContain('it is ready only when it exits with code 0');
    expect(error.message).toContain('seed failed: table "tasks" already exists');
  });

  it('refuses a cycle before starting anything', async () => {
    const error = await failed(startStack(
      base({ a: { command: ['/bin/true'], ready: { exit: 0 }, dependsOn: ['b'] }, b: { command: ['/bin/true'], ready: { exit: 0 }, dependsOn: ['a'] } }),
    ));
    expect(error).toMatchObject({ code: 'EINVALIDOPTION', message: expect.stringContaining('has a dependency cycle: a → b → a') });
  });

  it('a port held by a leftover REST server of ours is freed (the leftover stopped, verified), then the stack starts', async () => {
    const f = await fakes();
    const port = await freePort();
    // An earlier run's REST server, orphaned in its own session, under a name the config sweeps.
    const leftover = sb.spawnRaw([], { AIAGENTPM_WEBSERVER_PORT: String(port) }, { command: f.rest, detached: true, stdio: 'ignore' });
    await waitFor(() => listening(port), { message: 'the leftover REST server to listen' });
    const stack = await startStack({ ...base({ rest: { command: [f.rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port) }, ready: { url: `http://localhost:${port}/health` } } }) });
    sb.track(stack.services.rest!.pid);
    expect(isAlive(leftover.pid)).toBe(false);
    expect(stack.services.rest!.pid).not.toBe(leftover.pid);
    expect(stack.freed).toEqual([
      expect.objectContaining({ pid: leftover.pid, action: 'terminated', reason: expect.stringMatching(new RegExp(`^held port ${port} of stack service "rest"; a leftover \`mcpt-`)) }),
    ]);
    expect(stackUpLine(stack)).toMatch(new RegExp(`; first stopped a leftover holding its ports \\(pid ${leftover.pid}\\)$`));
    expect((await stack.stop()).ok).toBe(true);
  });

  it('a port held by a foreign listener fails the start naming it; the listener and its clients stay alive', async () => {
    const f = await fakes();
    const port = await freePort();
    const foreign = sb.spawnRaw(['-e', `require('node:net').createServer((c) => c.on('data', () => {})).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1e6);`], {}, { command: process.execPath });
    await waitFor(() => listening(port), { message: 'the foreign listener' });
    const client = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => client.once('connect', resolve));
    const error = (await failed(startStack(base({ rest: { command: [f.rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port) }, ready: { port } } })))) as StackStartError;
    expect(error.code).toBe('EPORTHELD');
    expect(error.message).toMatch(new RegExp(`^stack service "rest" cannot start: port ${port} is held by pid ${foreign.pid} \\(.*node -e .*, started \\d{4}-\\d\\d-\\d\\d .* UTC\\): not started by mcp-reaper, nor named in the config\\.`));
    expect(error.message).toContain('stop it yourself, or give "rest" another port');
    expect(isAlive(foreign.pid)).toBe(true);
    expect(client.destroyed).toBe(false);
    client.destroy();
  });

  it('"localhost" in a url check tries ::1 too: a server on IPv6 only is ready', async () => {
    const f = await fakes();
    const port = await freePort();
    const stack = await startStack(base({ rest: { command: [f.rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port), FAKE_REST_HOST: '::1' }, ready: { url: `http://localhost:${port}/health` } } }));
    sb.track(stack.services.rest!.pid);
    expect(fs.readFileSync(stack.services.rest!.logFile, 'utf8')).toContain(`listening on ::1:${port}`);
    expect((await stack.stop()).ok).toBe(true);
  });

  it("a port held by another live run's listener is never reclaimed: the start fails naming the run", async () => {
    const f = await fakes();
    const port = await freePort();
    // Another run, live (its owner is this test process), whose REST server holds the port.
    const runId = `run-other-${path.basename(sb.root).slice(-6)}`;
    registerRun({ version: 1, runId, kind: 'api', pid: process.pid, startKey: readStat(process.pid)!.startTime, cwd: '/', startedAt: new Date().toISOString() });
    try {
      const theirs = sb.spawnRaw([], { AIAGENTPM_WEBSERVER_PORT: String(port), [OWNER_ENV]: `${runId}/w1` }, { command: f.rest, detached: true });
      await waitFor(() => listening(port), { message: "the other run's REST server" });
      const error = (await failed(startStack(base({ rest: { command: [f.rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port) }, ready: { port } } })))) as StackStartError;
      expect(error.code).toBe('EPORTHELD');
      expect(error.message).toContain(`is held by pid ${theirs.pid} (`);
      expect(error.message).toContain(`a process of live run ${runId} (owner pid ${process.pid}:`);
      expect(isAlive(theirs.pid)).toBe(true);
    } finally {
      removeRunRecord(runId);
    }
  });

  it('waits for a slow server as long as it takes (no fixed sleep), and kills one that ignores SIGTERM after its grace, verified', async () => {
    const f = await fakes();
    const port = await freePort();
    const startedAt = Date.now();
    const stack = await startStack(
      base({ rest: { command: [f.rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port), FAKE_REST_SLOW_MS: '400', FAKE_REST_IGNORE_TERM: '1' }, ready: { url: `http://localhost:${port}/health` }, graceMs: 200 } }),
    );
    sb.track(stack.services.rest!.pid);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400);
    expect(await listening(port)).toBe(true);
    const report = await stack.stop();
    expect(report.ok, JSON.stringify(report, null, 2)).toBe(true);
    expect(report.services[0]!.report.processes).toEqual([
      expect.objectContaining({ pid: stack.services.rest!.pid, action: 'killed', signal: 'SIGKILL', reason: expect.stringContaining('ignored SIGTERM for 200 ms') }),
    ]);
    expect(await listening(port)).toBe(false);
  });
});
