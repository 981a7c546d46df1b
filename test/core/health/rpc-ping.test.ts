import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pingSocket } from '../../../packages/core/src/health/rpc-ping.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

/** A socket server that answers each request line with `reply(request)` (or nothing). */
async function server(file: string, reply: (request: { id: unknown; method: string }) => string | undefined) {
  const srv = net.createServer((connection) => {
    connection.on('error', () => {});
    let buffered = '';
    connection.on('data', (chunk) => {
      buffered += chunk;
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        const answer = reply(JSON.parse(buffered.slice(0, i)) as { id: unknown; method: string });
        buffered = buffered.slice(i + 1);
        if (answer !== undefined) connection.write(answer);
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(file, resolve));
  return srv;
}

describe('pingSocket', () => {
  it('takes the real daemon’s -32601 for ping as alive', async () => {
    const daemon = await sb.start();
    await expect(pingSocket(daemon.socketPath)).resolves.toMatchObject({ ok: true, reply: 'error', latencyMs: expect.any(Number) });
    await expect(pingSocket(daemon.socketPath, { method: 'initialize' })).resolves.toMatchObject({ ok: true, reply: 'result' });
  });

  it('waits past notifications and other ids for its own reply', async () => {
    const file = path.join(sb.root, 'chatty.sock');
    const srv = await server(file, ({ id }) =>
      [
        JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: {} }),
        JSON.stringify({ jsonrpc: '2.0', id: 'someone-else', result: {} }),
        JSON.stringify({ jsonrpc: '2.0', id, result: { pong: true } }),
      ].join('\n') + '\n',
    );
    try {
      await expect(pingSocket(file)).resolves.toMatchObject({ ok: true, reply: 'result' });
    } finally {
      srv.close();
    }
  });

  it('fails with the reason when nothing listens, nothing answers, or the answer is not JSON-RPC', async () => {
    await expect(pingSocket(path.join(sb.root, 'missing.sock'))).resolves.toMatchObject({ ok: false, code: 'ENOENT' });
    const mute = path.join(sb.root, 'mute.sock');
    const quiet = await server(mute, () => undefined);
    const garbled = path.join(sb.root, 'garbled.sock');
    const noisy = await server(garbled, () => 'HTTP/1.1 400 Bad Request\r\n\r\n\n');
    try {
      await expect(pingSocket(mute, { timeoutMs: 100 })).resolves.toMatchObject({
        ok: false,
        reason: 'no reply to a JSON-RPC request within 100 ms',
      });
      await expect(pingSocket(garbled)).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
    } finally {
      quiet.close();
      noisy.close();
    }
  });
});
