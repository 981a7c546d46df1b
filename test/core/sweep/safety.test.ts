// Behaviour 2: a sweep never touches pid 1, itself, its ancestors, its own process group or another
// user's processes. Some cases run the built library in a child process (`pnpm test` builds first).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep, type SweepReport } from '../../../packages/core/src/index.js';
import { createSandbox, uniqueFakeName, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, waitFor } from '../../helpers/wait.js';
import { itNeeds, needs, pidNamespaceArgs } from '../../helpers/needs.js';

const run = promisify(execFile);
const DIST = new URL('../../../packages/core/dist/index.js', import.meta.url).href;

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

/** Writes an executable node script (its kernel name is its file name). */
function script(file: string, body: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!${process.execPath}\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('never touches', () => {
  it('itself or its ancestors, even when they match', async () => {
    const name = uniqueFakeName();
    const options = JSON.stringify({ names: [name], dir: sb.stateDir });
    const sweepAndPrint = `const { sweep } = await import(${JSON.stringify(DIST)}); console.log(JSON.stringify(await sweep(${options})));`;
    // `<name> daemon` sweeps for its own name, then has a child (in its group) do the same.
    const bin = script(
      path.join(sb.binDir, name),
      `import { execFileSync } from 'node:child_process';
const { sweep } = await import(${JSON.stringify(DIST)});
const self = await sweep(${options});
const child = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(sweepAndPrint)}], { encoding: 'utf8' }));
console.log(JSON.stringify({ pid: process.pid, self, child }));`,
    );
    const { stdout } = await run(bin, ['daemon']);
    const { pid, self, child } = JSON.parse(stdout) as { pid: number; self: SweepReport; child: SweepReport };

    expect(self.ok).toBe(false);
    expect(self.processes).toEqual([expect.objectContaining({ pid, action: 'skipped', reason: 'it is this mcp-reaper process itself' })]);
    expect(child.processes).toEqual([expect.objectContaining({ pid, action: 'skipped', reason: expect.stringContaining('ancestor') })]);
  });

  it('a daemon in its own process group', async () => {
    // Not detached: the daemon shares this test worker's process group.
    const daemon = await sb.start({ foreground: true });
    const report = await sweep({ names: [sb.name], dir: sb.stateDir });
    expect(report.ok).toBe(false);
    expect(report.processes).toEqual([
      expect.objectContaining({ pid: daemon.pid, action: 'skipped', reason: expect.stringContaining("in mcp-reaper's own process group") }),
    ]);
    expect(isAlive(daemon.pid)).toBe(true);
  });

  itNeeds([needs.root], "another user's daemon", async () => {
    const nobody = 65534;
    // The other user needs to reach the fake and a place to write.
    fs.chmodSync(sb.root, 0o755);
    fs.chmodSync(sb.binDir, 0o755);
    const home = path.join(sb.root, 'nobody');
    fs.mkdirSync(home, { mode: 0o777 });
    fs.chmodSync(home, 0o777);
    const ready = path.join(home, 'ready.json');
    const child = spawn(sb.bin, ['daemon', '--foreground'], {
      uid: nobody,
      gid: nobody,
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, XDG_DATA_HOME: home, HOME: home, FAKE_MCP_READY_FILE: ready },
    });
    sb.track(child.pid!);
    await waitFor(() => fs.existsSync(ready), { message: "the other user's daemon to be ready" });

    const report = await sweep({ names: [sb.name], dir: sb.stateDir });
    expect(report.ok).toBe(false);
    expect(report.processes).toEqual([
      expect.objectContaining({ pid: child.pid, action: 'skipped', reason: expect.stringContaining(`belongs to uid ${nobody}`) }),
    ]);
    expect(isAlive(child.pid!)).toBe(true);
  });

  // Linux only by nature: a pid namespace, and the XDG default state dir (macOS's is ~/Library/Application Support).
  itNeeds([needs.linux, needs.pidNamespace], 'pid 1, in a private pid namespace swept with every default', async () => {
    // Inside `unshare --pid`, a matching `mcp-server-pm daemon` is pid 1 and sweeps with no options:
    // the real name, the default state dir from XDG_DATA_HOME. Only the namespace's processes exist there.
    const dataHome = path.join(sb.root, 'ns-data');
    const ready = path.join(sb.root, 'ns-ready.json');
    const fake = path.join(sb.binDir, 'ns', 'mcp-server-pm');
    fs.mkdirSync(path.dirname(fake), { recursive: true });
    fs.copyFileSync(sb.bin, fake);
    const init = script(
      path.join(sb.binDir, 'ns-init', 'mcp-server-pm'),
      `import { spawn } from 'node:child_process';
import fs from 'node:fs';
const { sweep } = await import(${JSON.stringify(DIST)});
spawn(${JSON.stringify(fake)}, ['daemon'], { stdio: 'ignore', env: { ...process.env, FAKE_MCP_READY_FILE: ${JSON.stringify(ready)}, FAKE_MCP_CHILDREN: '1' } });
while (!fs.existsSync(${JSON.stringify(ready)})) await new Promise((resolve) => setTimeout(resolve, 5));
const daemon = JSON.parse(fs.readFileSync(${JSON.stringify(ready)}, 'utf8'));
console.log(JSON.stringify({ daemon, report: await sweep() }));`,
    );
    const { stdout } = await run('unshare', [...pidNamespaceArgs(), init, 'daemon'], {
      env: { ...process.env, XDG_DATA_HOME: dataHome },
    });
    const { daemon, report } = JSON.parse(stdout) as { daemon: { pid: number; children: number[] }; report: SweepReport };

    const byPid = new Map(report.processes.map((p) => [p.pid, p]));
    expect(byPid.get(1)).toMatchObject({ action: 'skipped', reason: expect.stringContaining("pid 1 is the system's init") });
    expect(byPid.get(daemon.pid)).toMatchObject({ action: 'terminated', reason: 'leftover `mcp-server-pm daemon`: exited after SIGTERM' });
    expect(byPid.get(daemon.children[0]!)).toMatchObject({ parentDaemon: daemon.pid });
    expect(report.processes).toHaveLength(3);
    const stateDir = path.join(dataHome, 'AIAgentPM');
    expect(report.files.map((f) => f.path)).toEqual([path.join(stateDir, 'mcp.sock'), path.join(stateDir, 'daemon.pid')]);
    expect(fs.readdirSync(stateDir)).toEqual([]);
  });
});
