// Supervised daemons: one that a supervisor starts again right after the sweep is reported, with
// how to stop the supervisor, and the sweep is not ok.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../../packages/core/src/index.js';
import { mayBeRestarted } from '../../../packages/core/src/kill/find-respawned.js';
import type { ProcessInfo } from '../../../packages/core/src/processes/process-info.js';
import { createSandbox, startSupervisor, type Sandbox } from '../../helpers/fake-daemon.js';
import { runCli } from '../../helpers/run-cli.js';
import { readStat, waitFor } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

describe('a supervised daemon', () => {
  it('is reported as respawned, naming its supervisor, and the sweep is not ok', async () => {
    const supervisor = startSupervisor(sb);
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
    const supervisor = startSupervisor(sb);
    await supervisor.firstDaemon;
    const { code, stdout, stderr } = await runCli(['--dir', sb.stateDir, '--name', sb.name, '--respawn-window', '3000'], sb.root, {
      NO_COLOR: '1',
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/respawned\s+\d+/);
    expect(stderr).toContain('1 daemon came back (a supervisor restarts it)');
  });

  it('is not looked for with respawnWindowMs 0', async () => {
    const supervisor = startSupervisor(sb);
    const first = await supervisor.firstDaemon;
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, respawnWindowMs: 0 });
    expect(report.processes).toEqual([expect.objectContaining({ pid: first, action: 'terminated' })]);
  });
});

describe('an orphaned leftover (its runner is gone, init adopted it)', () => {
  it('is not watched for a respawn: nothing could restart it, so the sweep does not wait the window', async () => {
    // Fork mode: the launcher exits at once and the daemon, in its own session, is adopted by init.
    const daemon = await sb.start();
    await waitFor(() => readStat(daemon.pid)?.ppid === 1 || undefined, { message: `daemon ${daemon.pid} to be adopted by init` });
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, respawnWindowMs: 10_000 });
    expect(report.processes).toEqual([expect.objectContaining({ pid: daemon.pid, action: 'terminated' })]);
    expect(report.ok).toBe(true);
    // Had it waited for the window, the sweep would have taken 10 s.
    expect(report.durationMs).toBeLessThan(10_000);
  });
});

describe('mayBeRestarted', () => {
  const info = (ppid: number) => ({ pid: process.pid, ppid }) as ProcessInfo;
  it('is true while the parent that started the daemon lives, on both platforms', () => {
    expect(mayBeRestarted(info(4242), false, 'linux')).toBe(true);
    expect(mayBeRestarted(info(4242), false, 'darwin')).toBe(true);
  });
  it('is true for an orphan on macOS (launchd adopts orphans and keeps LaunchAgents alive alike)', () => {
    expect(mayBeRestarted(info(1), true, 'darwin')).toBe(true);
  });
  it('is false for an orphan on Linux outside a systemd service (this test process is in none)', () => {
    expect(fs.readFileSync('/proc/self/cgroup', 'utf8')).not.toMatch(/\.service/);
    expect(mayBeRestarted(info(1), true, 'linux')).toBe(false);
  });
});

