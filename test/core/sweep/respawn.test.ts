// Supervised daemons: one that a supervisor starts again right after the sweep is reported, with
// how to stop the supervisor, and the sweep is not ok.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { runCli } from '../../helpers/run-cli.js';
import { waitFor } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

/** A small supervisor, like launchd's KeepAlive: starts the daemon, and again each time it exits. */
function startSupervisor(): { pid: number; firstDaemon: Promise<number> } {
  const ready = path.join(sb.root, 'first-ready.json');
  const script = path.join(sb.binDir, 'supervisor.mjs');
  fs.writeFileSync(
    script,
    `import { spawn } from 'node:child_process';
const start = (ready) => {
  const env = { ...process.env, ...(ready ? { FAKE_MCP_READY_FILE: ready } : {}) };
  spawn(${JSON.stringify(sb.bin)}, ['daemon', '--foreground', '--socket-path', ${JSON.stringify(path.join(sb.root, 'kept-alive.sock'))}], { stdio: 'ignore', env })
    .on('exit', () => start());
};
start(${JSON.stringify(ready)});
setInterval(() => {}, 1e6);
`,
  );
  const supervisor = sb.spawnRaw([script], {}, { command: process.execPath, detached: true, stdio: 'ignore' });
  const firstDaemon = waitFor(() => fs.existsSync(ready), { message: 'the supervised daemon' }).then(
    () => (JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number }).pid,
  );
  return { pid: supervisor.pid, firstDaemon };
}

describe('a supervised daemon', () => {
  it('is reported as respawned, naming its supervisor, and the sweep is not ok', async () => {
    const supervisor = startSupervisor();
    const first = await supervisor.firstDaemon;
    // A wide window: on a loaded machine the supervisor may take a while to start the daemon again.
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, respawnWindowMs: 3000 });
    expect(report.ok).toBe(false);
    expect(report.processes).toContainEqual(expect.objectContaining({ pid: first, action: 'terminated' }));
    const respawned = report.processes.filter((p) => p.action === 'respawned');
    expect(respawned).toHaveLength(1);
    expect(respawned[0]!.pid).not.toBe(first);
    expect(respawned[0]!.reason).toContain(`its parent ${supervisor.pid}`);
    expect(respawned[0]!.reason).toContain('stop that supervisor first');
  });

  it('makes the CLI exit 1 and say so', async () => {
    const supervisor = startSupervisor();
    await supervisor.firstDaemon;
    const { code, stdout, stderr } = await runCli(['--dir', sb.stateDir, '--name', sb.name, '--respawn-window', '3000'], sb.root, {
      NO_COLOR: '1',
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/respawned\s+\d+/);
    expect(stderr).toContain('1 daemon came back (a supervisor restarts it)');
  });

  it('is not looked for with respawnWindowMs 0', async () => {
    const supervisor = startSupervisor();
    const first = await supervisor.firstDaemon;
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, respawnWindowMs: 0 });
    expect(report.processes).toEqual([expect.objectContaining({ pid: first, action: 'terminated' })]);
  });
});
