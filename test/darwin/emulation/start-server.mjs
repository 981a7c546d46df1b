// Starts the emulation server (server.mjs) that the ps/lsof stand-ins ask, so that a call costs a bash
// process rather than a Node one. Its address goes in the environment (STANDIN_SERVER_ENV), which every
// process that runs as darwin inherits from whoever started the server.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { STANDIN_SERVER_ENV } from './names.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

/** @returns {Promise<import('./start-server.d.mts').StandinServer>} */
export async function startStandinServer() {
  // No environment at all: no TZ (the emulation's "machine zone" must be the machine's), no NODE_OPTIONS
  // (no as-darwin preload), no owner tag that a sweep could take it for. Its stdin is a pipe from this
  // process: when this process dies, however it dies, the pipe closes and the server exits.
  const child = spawn(process.execPath, [SERVER], { env: {}, cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = readline.createInterface({ input: child.stdout });
  const [address] = await Promise.race([once(lines, 'line'), exited.then(() => [undefined])]);
  lines.close();
  child.stdout.destroy();
  if (address === undefined) throw new Error('the darwin emulation server exited before it listened');
  // Neither the server nor its pipe keeps this process alive: a forgotten stop() cannot hang a worker.
  child.unref();
  child.stdin.unref();
  return {
    env: { [STANDIN_SERVER_ENV]: address },
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
