// Crash safety: when the runner dies without teardown, its watchdog sweeps the run's daemons.
// The runner here runs the built library (`pnpm test` builds first).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { OWNER_ENV, startWatchdog } from '../../../packages/core/src/index.js';
import { createSandbox, uniqueFakeName, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, waitFor } from '../../helpers/wait.js';
import { describeNeeds, needs } from '../../helpers/needs.js';

const DIST = new URL('../../../packages/core/dist/index.js', import.meta.url).href;

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

describeNeeds([needs.proc], 'the watchdog', () => {
  it("sweeps the run's daemons, and only those, after the runner's process group is SIGKILLed", async () => {
    const run = `run-${uniqueFakeName()}`;
    const marker = path.join(sb.root, 'marker.json');
    const ready = path.join(sb.root, 'ready.json');
    // A stand-in for a test runner: starts the watchdog, then a daemon of its run in its own session
    // (as a leaked daemon would be, so the group kill below does not reach it), and waits.
    const runner = path.join(sb.binDir, 'fake-runner.mjs');
    fs.writeFileSync(
      runner,
      `import { spawn } from 'node:child_process';
import fs from 'node:fs';
const { startWatchdog } = await import(${JSON.stringify(DIST)});
const watchdog = await startWatchdog({ owner: ${JSON.stringify(run)}, names: [${JSON.stringify(sb.name)}], dir: ${JSON.stringify(sb.stateDir)}, intervalMs: 100 });
spawn(${JSON.stringify(sb.bin)}, ['daemon', '--foreground', '--socket-path', ${JSON.stringify(path.join(sb.root, 'run.sock'))}], {
  detached: true, stdio: 'ignore',
  env: { ...process.env, XDG_DATA_HOME: ${JSON.stringify(sb.dataHome)}, ${OWNER_ENV}: ${JSON.stringify(`${run}/w1/t1`)}, FAKE_MCP_READY_FILE: ${JSON.stringify(ready)} },
}).unref();
while (!fs.existsSync(${JSON.stringify(ready)})) await new Promise((resolve) => setTimeout(resolve, 5));
const daemon = JSON.parse(fs.readFileSync(${JSON.stringify(ready)}, 'utf8')).pid;
fs.writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ watchdog: watchdog.pid, daemon }));
setInterval(() => {}, 1e6);
`,
    );
    const neighbour = await sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, 'other.sock')], env: { [OWNER_ENV]: 'another-run/w1' } });
    const child = spawn(process.execPath, [runner], { detached: true, stdio: 'ignore' });
    sb.track(child.pid!);
    await waitFor(() => fs.existsSync(marker), { timeoutMs: 15_000, message: 'the fake runner to start its daemon' });
    const { watchdog, daemon } = JSON.parse(fs.readFileSync(marker, 'utf8')) as { watchdog: number; daemon: number };
    sb.track(watchdog);

    const killedAt = performance.now();
    process.kill(-child.pid!, 'SIGKILL'); // the whole group, as an OOM killer or `kill -9 -PGID` would
    await waitFor(() => !isAlive(daemon), { timeoutMs: 10_000, message: "the watchdog to stop the run's daemon" });
    const sweptAfterMs = performance.now() - killedAt;
    await waitFor(() => !isAlive(watchdog), { message: 'the watchdog to exit after its sweep' });

    expect(isAlive(neighbour.pid)).toBe(true);
    expect(fs.existsSync(path.join(sb.root, 'run.sock'))).toBe(false);
    // Reported, not asserted: timings belong to bench/, and this machine is shared.
    console.info(`watchdog swept ${sweptAfterMs.toFixed(0)} ms after the runner was killed`);
  });

  it('leaves without sweeping when stopped, and refuses to start without an owner', async () => {
    const daemon = await sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, 'kept.sock')], env: { [OWNER_ENV]: 'run-stop/w1' } });
    const watchdog = await startWatchdog({ owner: 'run-stop', names: [sb.name], dir: sb.stateDir });
    sb.track(watchdog.pid);
    expect(isAlive(watchdog.pid)).toBe(true);
    await watchdog.stop();
    await watchdog.stop();
    expect(isAlive(watchdog.pid)).toBe(false);
    expect(isAlive(daemon.pid)).toBe(true);
    await expect(startWatchdog({ names: [sb.name] } as never)).rejects.toThrow(/needs "owner"/);
  });
});
