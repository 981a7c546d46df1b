import net from 'node:net';

export type PingResult =
  | {
      ok: true;
      /** Connect, request and reply, in ms. */
      latencyMs: number;
      /** The daemon's answer: a result, or an error object (the real daemon answers `ping` with -32601). */
      reply: 'result' | 'error';
    }
  | {
      ok: false;
      latencyMs: number;
      /** What went wrong, for a report. */
      reason: string;
      /** The socket error code (ENOENT, ECONNREFUSED, EACCES…), when the connect failed. */
      code?: string;
    };

export interface PingOptions {
  /** Give up after this many ms. Default: 1000. */
  timeoutMs?: number;
  /** The JSON-RPC method to call. Default: `'ping'`, which any daemon answers, if only with -32601. */
  method?: string;
}

let nextId = 0;

/**
 * Sends one newline-delimited JSON-RPC 2.0 request on a Unix socket and waits for the reply with the
 * same id. Any well-formed reply, result or error, proves the daemon is alive and serving.
 */
export function pingSocket(socketPath: string, options: PingOptions = {}): Promise<PingResult> {
  const { timeoutMs = 1000, method = 'ping' } = options;
  const id = `mcp-reaper-${process.pid}-${++nextId}`;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;

  return new Promise((resolve) => {
    const socket = net.createConnection({ path: socketPath });
    let buffered = '';
    let settled = false;
    const finish = (result: PingResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const fail = (reason: string, code?: string) =>
      finish({ ok: false, latencyMs: elapsed(), reason, ...(code !== undefined && { code }) });
    const timer = setTimeout(() => fail(`no reply to a JSON-RPC request within ${timeoutMs} ms`), timeoutMs);

    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, method })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === '') continue;
        let message: { id?: unknown; result?: unknown; error?: unknown };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          return fail(`replied with something that is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
        }
        // Notifications and replies to other requests are not ours: keep reading.
        if (message.id !== id) continue;
        if ('result' in message) return finish({ ok: true, latencyMs: elapsed(), reply: 'result' });
        if (message.error !== undefined) return finish({ ok: true, latencyMs: elapsed(), reply: 'error' });
        return fail('replied with neither a result nor an error');
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => fail(`cannot connect: ${error.code ?? error.message}`, error.code));
    socket.once('close', () => fail('closed the connection without replying'));
  });
}
