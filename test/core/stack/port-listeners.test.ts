// Who listens on a TCP port: the listener, never a client connected to it. Linux reads /proc; the
// macOS path runs lsof, fed here with recorded output.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isListening, portListeners } from '../../../packages/core/src/stack/port-listeners.js';
import { freePort, listening } from '../../helpers/net.js';
import { waitFor } from '../../helpers/wait.js';
import { describeNeeds, needs } from '../../helpers/needs.js';

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describeNeeds([needs.linux], 'portListeners on Linux', () => {
  it('finds the listener and not the clients connected to it', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, ['-e', `require('node:net').createServer(() => {}).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1e6);`], { stdio: 'ignore' });
    children.push(server);
    await waitFor(() => listening(port), { message: 'the listener' });
    const client = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => client.once('connect', resolve));
    try {
      expect(await portListeners(port)).toEqual([server.pid]);
      expect(await isListening(port)).toBe(true);
    } finally {
      client.destroy();
    }
    expect(await portListeners(await freePort())).toEqual([]);
  });
});

describe('portListeners on macOS (recorded lsof output)', () => {
  it('runs lsof for listeners only and reads its pids', async () => {
    const calls: string[][] = [];
    const run = async (file: string, args: readonly string[]) => {
      calls.push([file, ...args]);
      return '4242\n4243\n4242\n';
    };
    expect(await portListeners(8087, 'darwin', run)).toEqual([4242, 4243]);
    expect(calls).toEqual([['lsof', '-nP', '-iTCP:8087', '-sTCP:LISTEN', '-t']]);
    expect(await isListening(8087, 'darwin', run)).toBe(true);
  });

  it('takes lsof exiting 1 with no output, or failing, as nobody listening', async () => {
    expect(await portListeners(8087, 'darwin', async () => '')).toEqual([]);
    expect(await isListening(8087, 'darwin', async () => Promise.reject(new Error('lsof: not found')))).toBe(false);
  });
});
