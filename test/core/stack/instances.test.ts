// Stack instances: ports chosen for an instance (`"auto"`, leased) or by the service itself (`0`,
// discovered), a private dir per instance (`${dir}`), a stranger that takes an auto port first, and
// worker slots that outlive the process that started their instance. Real processes, real ports.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTO_PORT_RANGE, leasePort } from '../../../packages/core/src/registry/port-leases.js';
import { readInstance, readInstances } from '../../../packages/core/src/registry/instances.js';
import { defaultProcessSource } from '../../../packages/core/src/processes/process-source.js';
import { StackStartError, startStack, type StartStackOptions } from '../../../packages/core/src/stack/start-stack.js';
import type { StackConfig } from '../../../packages/core/src/config/stack-options.js';
import { createSandbox, FAKE_REST, FAKE_SEED, type Sandbox } from '../../helpers/fake-daemon.js';
import { listening } from '../../helpers/net.js';
import { describeNeeds, needs } from '../../helpers/needs.js';
import { isAlive, waitFor } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

const base = (services: StackConfig): StartStackOptions => ({ services, names: [sb.name], owner: `instances-test/${path.basename(sb.root)}` });
const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** The REST fake on an auto port, its database in the instance's dir. */
const restOn = (rest: string, port: 'auto' | 0, extra: object = {}) => ({
  command: [rest],
  env: { AIAGENTPM_WEBSERVER_PORT: port === 'auto' ? '${port}' : '0', AIAGENTPM_DB_PATH: '${dir}/pm.db' },
  port,
  ready: { url: 'http://localhost:${port}/health' },
  ...extra,
});

describeNeeds([needs.proc], 'stack instances', () => {
  it('"auto": a leased port in the auto range, passed in as ${port}; ${dir} is private, holds the logs and the database, and goes with a clean stop', async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    const stack = await startStack(base({ rest: restOn(rest, 'auto') }));
    sb.track(stack.services.rest!.pid);
    const { port, url, logFile } = stack.services.rest!;
    expect(port).toBeGreaterThanOrEqual(AUTO_PORT_RANGE.min);
    expect(port).toBeLessThanOrEqual(AUTO_PORT_RANGE.max);
    expect(url).toBe(`http://localhost:${port}/health`);
    expect(await listening(port!)).toBe(true);
    expect(mode(stack.dir)).toBe(0o700);
    expect(logFile).toBe(path.join(stack.dir, 'logs', 'rest.log'));
    expect(stack.env).toMatchObject({ MCP_REAPER_STACK_DIR: stack.dir, MCP_REAPER_STACK_REST_PORT: String(port) });
    await fetch(new URL('/items', url), { method: 'POST', body: 'one' });
    expect(fs.readFileSync(path.join(stack.dir, 'pm.db'), 'utf8')).toBe('one\n');

    const report = await stack.stop();
    expect(report).toMatchObject({ ok: true, keptDir: false, dir: stack.dir });
    expect(fs.existsSync(stack.dir)).toBe(false);
    expect(await listening(port!)).toBe(false);
  });

  it('0: the service binds port 0; its port is read from its listening sockets, then its ready check uses it', async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    const stack = await startStack(base({ rest: restOn(rest, 0) }));
    sb.track(stack.services.rest!.pid);
    const { port, url } = stack.services.rest!;
    expect(fs.readFileSync(stack.services.rest!.logFile, 'utf8')).toContain(`listening on 127.0.0.1:${port} `);
    expect(url).toBe(`http://localhost:${port}/health`);
    expect((await fetch(url!)).status).toBe(200);
    expect((await stack.stop()).ok).toBe(true);
  });

  it('0: or from a (?<url>…) group of a line check, when the service prints where it listens', async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    const stack = await startStack(base({ web: { command: [rest], env: { AIAGENTPM_WEBSERVER_PORT: '0' }, port: 0, ready: { line: '\\((?<url>http://\\S+)\\)' } } }));
    sb.track(stack.services.web!.pid);
    const { port, url } = stack.services.web!;
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    expect((await fetch(url!)).status).toBe(200);
    expect((await stack.stop()).ok).toBe(true);
  });

  it('a failed start keeps ${dir} with the logs, and says where it is', async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    const error = await startStack(base({ rest: restOn(rest, 'auto', { env: { AIAGENTPM_WEBSERVER_PORT: '${port}', FAKE_REST_EXIT_EARLY: '3' } }) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackStartError);
    const dir = /Its logs are kept in (\S+)\.$/m.exec((error as Error).message)?.[1];
    expect(dir, (error as Error).message).toBeDefined();
    expect(fs.readFileSync(path.join(dir!, 'logs', 'rest.log'), 'utf8')).toContain('fatal: cannot open the database');
    expect(readInstances(path.basename(path.dirname(dir!)))).toEqual([]);
    fs.rmSync(path.dirname(dir!), { recursive: true, force: true });
  });

  it('a stranger who binds the auto port first: the service fails to bind, and is started again on another lease; the stranger is never touched', async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    // The first start puts an untagged stranger on the port it was given, then tries to listen there
    // itself and fails, as a race lost between the lease and the bind looks.
    const racer = path.join(sb.binDir, 'racer.mjs');
    const marker = path.join(sb.root, 'stranger.json');
    fs.writeFileSync(
      racer,
      `import { spawn } from 'node:child_process';
import fs from 'node:fs';
const port = process.env.AIAGENTPM_WEBSERVER_PORT;
if (!fs.existsSync(${JSON.stringify(marker)})) {
  const env = { ...process.env };
  delete env.MCP_REAPER_OWNER;
  const stranger = spawn(process.execPath, ['-e', \`require('node:net').createServer().listen(\${port}, '127.0.0.1', () => console.log('stranger up')); setInterval(() => {}, 1e6)\`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env });
  stranger.stdout.once('data', () => {
    fs.writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ pid: stranger.pid, port: Number(port) }));
    import(${JSON.stringify(FAKE_REST)});
  });
  stranger.unref();
} else {
  import(${JSON.stringify(FAKE_REST)});
}
`,
    );
    const stack = await startStack(base({ rest: { ...restOn(rest, 'auto'), command: [process.execPath, racer] } }));
    sb.track(stack.services.rest!.pid);
    const stranger = JSON.parse(fs.readFileSync(marker, 'utf8')) as { pid: number; port: number };
    sb.track(stranger.pid);
    expect(stack.services.rest!.port).not.toBe(stranger.port);
    expect(isAlive(stranger.pid)).toBe(true);
    expect(await listening(stranger.port)).toBe(true);
    expect((await stack.stop()).ok).toBe(true);
    expect(isAlive(stranger.pid)).toBe(true);
    process.kill(stranger.pid, 'SIGKILL');
  });

  it('leases: no two live claims share a port, a released one is free again, a dead holder\'s does not count', async () => {
    const source = defaultProcessSource();
    const self = (await source.probe([process.pid])).get(process.pid)!;
    const owner = (service: string) => ({ runId: 'lease-test', instance: 'run', service, holder: { pid: process.pid, startKey: self.startKey } });
    const leases = await Promise.all(Array.from({ length: 20 }, (_, i) => leasePort(owner(`s${i}`), source)));
    expect(new Set(leases.map((l) => l.port)).size).toBe(20);
    for (const lease of leases) lease.release();

    // A port "held" by a gone process: claimed all the same.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    const deadOwner = { ...owner('dead'), holder: { pid: dead.pid!, startKey: 'gone' } };
    const held = await leasePort(deadOwner, source);
    // The same port, asked for again: a live holder's claim refuses it, a dead holder's does not.
    const live = await leasePort(owner('live'), source);
    const tries: number[] = [];
    const other = await leasePort(owner('b'), source, new Set(), () => (tries.push(tries.length === 0 ? live.port : held.port), tries.at(-1)!));
    expect(tries).toEqual([live.port, held.port]);
    expect(other.port).toBe(held.port);
    other.release();
    live.release();
  });
});

describeNeeds([needs.proc], 'a service that dies mid-run', () => {
  it('is recorded with its signal by the process that started it; a one-shot task that exited as it should is not a death', async () => {
    const { startRun } = await import('../../../packages/core/src/run/start-run.js');
    const { deadService } = await import('../../../packages/core/src/run/stack-health.js');
    const rest = await sb.install(undefined, FAKE_REST);
    const seed = await sb.install(undefined, FAKE_SEED);
    const stack: StackConfig = {
      seed: { command: [seed], env: { SEED_OUT: path.join(sb.root, 'seeded') }, ready: { exit: 0 } },
      rest: { ...restOn(rest, 'auto'), dependsOn: ['seed'] },
    };
    const run = await startRun({ names: [sb.name], dir: sb.stateDir, watchdog: false, stack }, { kind: 'api' });
    try {
      const pid = run.stack!.services.rest!.pid;
      sb.track(pid);
      expect(await run.deaths()).toEqual([]);
      expect(await deadService(run.runId)).toBeUndefined();
      process.kill(pid, 'SIGKILL');
      const dead = await waitFor(() => deadService(run.runId), { timeoutMs: 5_000, message: 'the death to be seen' });
      expect(dead.message).toMatch(/^mcp-reaper: stack service "rest" \(pid \d+\) was killed by SIGKILL \d+(\.\d)? m?s after it was ready\. Every test from here on fails with this reason\.\nIts last lines \(.*rest\.log\):\n {2}rest-server-pm starting/);
      expect(await run.deaths()).toEqual([expect.stringMatching(/^mcp-reaper: stack service "rest" \(pid \d+\) was killed by SIGKILL .* after it was ready\.\nIts last lines/)]);
    } finally {
      const end = await run.end();
      expect(end.deaths).toHaveLength(1);
    }
  });
});

describeNeeds([needs.proc], 'a worker slot', () => {
  it('outlives the process that started its instance: a later process of the slot reuses the same pids, the run stops it', async () => {
    const { startRun } = await import('../../../packages/core/src/run/start-run.js');
    const rest = await sb.install(undefined, FAKE_REST);
    const stack: StackConfig = { rest: { ...restOn(rest, 'auto'), scope: 'worker' } };
    const run = await startRun({ names: [sb.name], dir: sb.stateDir, watchdog: false, stack }, { kind: 'vitest', root: sb.root });
    try {
      expect(run.stack).toBeUndefined(); // only worker-scoped services: the run starts none
      // Two "files" of slot 1, each in a process of its own that exits, as Vitest's isolate runs them.
      const file = path.join(sb.binDir, 'file.mjs');
      fs.writeFileSync(
        file,
        `const { joinWorkerStack, joinRun } = await import(${JSON.stringify(new URL('../../../packages/core/dist/index.js', import.meta.url).href)});
const run = joinRun({ runner: 'vitest', handoff: JSON.parse(process.env.HANDOFF) });
const worker = await joinWorkerStack({ run, slot: 1 });
console.log(JSON.stringify({ startedHere: worker.startedHere, pid: worker.services.rest.pid, url: worker.services.rest.url, dir: worker.dir }));
`,
      );
      const where = { from: 'settings', where: 'the test' };
      const handoff = JSON.stringify({ runId: run.runId, runner: 'vitest', root: sb.root, base: { values: { stack, names: [sb.name] }, sources: { stack: where, names: where } } });
      const runFile = () =>
        new Promise<{ startedHere: boolean; pid: number; url: string; dir: string }>((resolve, reject) => {
          const child = spawn(process.execPath, [file], { env: { ...process.env, HANDOFF: handoff }, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (chunk) => (out += chunk));
          child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`file exited ${code}: ${out}`))));
        });
      const first = await runFile();
      sb.track(first.pid);
      const second = await runFile();
      expect(first.startedHere).toBe(true);
      expect(second).toEqual({ ...first, startedHere: false });
      expect(isAlive(first.pid)).toBe(true);
      expect(readInstance(run.runId, 'w1')?.state).toBe('up');
      const end = await run.end();
      expect(end.workerStacks).toEqual([expect.objectContaining({ ok: true, keptDir: false, dir: first.dir })]);
      await waitFor(() => !isAlive(first.pid), { timeoutMs: 3000, message: 'the worker stack stopped' });
      expect(fs.existsSync(first.dir)).toBe(false);
    } finally {
      await run.end();
    }
  });
});
