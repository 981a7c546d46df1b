// A run with a stack: the stack starts after the run's first sweep (which stops leftovers of its
// services by name), its places reach the tests through the environment, the run's end stops it,
// and a runner killed mid-run leaves no service behind (the watchdog reads them from the run's record).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startRun } from '../../../packages/core/src/index.js';
import { readInstance } from '../../../packages/core/src/registry/instances.js';
import { readRunRecord } from '../../../packages/core/src/registry/runs.js';
import { createSandbox, FAKE_COORDINATOR, FAKE_REST, type Sandbox } from '../../helpers/fake-daemon.js';
import { freePort } from '../../helpers/net.js';
import { isAlive, processesWith, waitFor } from '../../helpers/wait.js';
import { describeNeeds, needs } from '../../helpers/needs.js';

const DIST = new URL('../../../packages/core/dist/index.js', import.meta.url).href;

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

describeNeeds([needs.proc], 'a run with a stack', () => {
  it("stops a leftover of a service by its name first, hands the tests the stack's places, and stops the stack at the end", async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    const port = await freePort();
    // An earlier run's REST server on another port, not tagged, orphaned (its runner is gone): a
    // leftover only by its name. A shell that exits at once leaves it to init.
    const otherPort = await freePort();
    sb.spawnRaw(['-c', `AIAGENTPM_WEBSERVER_PORT=${otherPort} "$0" >/dev/null 2>&1 &`, rest], {}, { command: '/bin/sh', stdio: 'ignore', detached: true });
    const leftover = await waitFor(() => processesWith(rest).find((p) => p.stat.comm === path.basename(rest)), { message: 'the orphaned REST server' });
    sb.track(leftover.pid);
    const run = await startRun({
      names: [sb.name],
      dir: sb.stateDir,
      watchdog: false,
      stack: { rest: { command: [rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port) }, ready: { url: `http://localhost:${port}/health` } } },
    });
    try {
      sb.track(run.stack!.services.rest!.pid);
      expect(run.before.processes).toEqual([expect.objectContaining({ pid: leftover.pid, action: 'terminated' })]);
      expect(process.env.MCP_REAPER_STACK_REST_URL).toBe(`http://localhost:${port}/health`);
      expect(readInstance(run.runId, 'run')?.services).toEqual([expect.objectContaining({ name: 'rest', pid: run.stack!.services.rest!.pid, ready: true })]);
    } finally {
      const end = await run.end();
      expect(end.stack?.ok).toBe(true);
    }
    expect(isAlive(run.stack!.services.rest!.pid)).toBe(false);
    expect(process.env.MCP_REAPER_STACK_REST_URL).toBeUndefined();
  });

  it('a runner SIGKILLed mid-run leaves no service, even one started through an interpreter (no name to sweep by)', async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    const port = await freePort();
    const marker = path.join(sb.root, 'marker.json');
    const runner = path.join(sb.binDir, 'fake-runner.mjs');
    const stack = {
      rest: { command: [rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port) }, ready: { port } },
      coordinator: { command: [process.execPath, FAKE_COORDINATOR], env: { REST_URL: '${stack.rest.url}' }, dependsOn: ['rest'], ready: { line: 'coordinator ready' } },
    };
    // The coordinator uses rest's url, which a port check does not declare: give it one.
    stack.rest.ready = { port } as never;
    stack.coordinator.env = { REST_URL: 'http://localhost:${stack.rest.port}/' };
    fs.writeFileSync(
      runner,
      `import fs from 'node:fs';
const { startRun } = await import(${JSON.stringify(DIST)});
const run = await startRun({ names: [${JSON.stringify(sb.name)}], dir: ${JSON.stringify(sb.stateDir)}, stack: ${JSON.stringify(stack)} });
fs.writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ runId: run.runId, watchdog: run.watchdog.pid, pids: Object.values(run.stack.services).map((s) => s.pid), logs: Object.values(run.stack.services).map((s) => s.logFile) }));
setInterval(() => {}, 1e6);
`,
    );
    const child = spawn(process.execPath, [runner], { detached: true, stdio: 'ignore', env: { ...process.env, MCP_REAPER_RUN: undefined, MCP_REAPER_OWNER: undefined } });
    sb.track(child.pid!);
    const { runId, watchdog, pids, logs } = await waitFor(() => fs.existsSync(marker) && (JSON.parse(fs.readFileSync(marker, 'utf8')) as { runId: string; watchdog: number; pids: number[]; logs: string[] }), {
      timeoutMs: 20_000,
      message: 'the runner to start its stack',
    });
    for (const pid of [watchdog, ...pids]) sb.track(pid);
    expect(pids).toHaveLength(2);
    const killedAt = Date.now();
    process.kill(-child.pid!, 'SIGKILL');
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeoutMs: 2_000, message: 'the watchdog to stop every service' });
    console.info(`runner SIGKILLed: its stack gone ${Date.now() - killedAt} ms later`);
    await waitFor(() => readRunRecord(runId) === undefined, { timeoutMs: 5_000, message: "the run's record to be removed" });
    // Their logs too: they were in the instance's dir, which the watchdog removes with it.
    expect(logs).toHaveLength(2);
    for (const log of logs) expect(fs.existsSync(path.dirname(path.dirname(log)))).toBe(false);
  });
});
