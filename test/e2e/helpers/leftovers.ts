// The leftovers of an "earlier run", planted the same way for every e2e suite: a forked daemon (its
// own session, like the real one) on a socket of its own, a stale daemon.pid naming a dead pid, and
// a stale mcp.sock nobody listens on.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../../helpers/wait.js';

export interface Planted {
  /** The forked daemon. */
  pid: number;
  /** Its --socket-path. */
  socket: string;
  /** `<stateDir>/daemon.pid`, naming a dead pid. */
  pidFile: string;
  /** `<stateDir>/mcp.sock`, a socket whose listener was SIGKILLed. */
  staleSocket: string;
}

/**
 * Plants them for `bin` (a project's fake daemon): the daemon keeps its own state in
 * `<root>/planted-state`, so the stale files in `stateDir` are the only ones there.
 */
export async function plantLeftovers(options: { bin: string; root: string; stateDir: string }): Promise<Planted> {
  const { bin, root, stateDir } = options;
  const ready = path.join(root, 'planted.json');
  const socket = path.join(root, 'planted.sock');
  fs.rmSync(ready, { force: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const launcher = spawn(bin, ['daemon', '--socket-path', socket], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    // As a user's shell would start it: none of this repository's test settings.
    env: { ...process.env, NODE_OPTIONS: undefined, MCP_REAPER_OWNER: undefined, MCP_REAPER_RUN: undefined, XDG_DATA_HOME: path.join(root, 'planted-state'), FAKE_MCP_READY_FILE: ready },
  });
  let stderr = '';
  launcher.stderr?.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => launcher.once('close', resolve));
  if (code !== 0) throw new Error(`the planted daemon's launcher exited with ${String(code)}: ${stderr}`);
  const { pid } = await waitFor(() => fs.existsSync(ready) && (JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number }), {
    timeoutMs: 10_000,
    message: `the planted daemon (launcher said: ${stderr})`,
  });
  // A dead pid: a process that has exited (and been reaped) by the time spawnSync returns.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  const pidFile = path.join(stateDir, 'daemon.pid');
  fs.writeFileSync(pidFile, String(dead));
  // A socket whose listener was SIGKILLed: the file stays, nobody answers.
  const staleSocket = path.join(stateDir, 'mcp.sock');
  fs.rmSync(staleSocket, { force: true });
  spawnSync(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(staleSocket)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  if (!fs.lstatSync(staleSocket).isSocket()) throw new Error('the stale socket was not made');
  return { pid, socket, pidFile, staleSocket };
}
