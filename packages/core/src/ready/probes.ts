// What "ready" means, one probe per kind: a Unix socket that answers JSON-RPC, an HTTP URL that
// answers with an accepted status, a TCP port that accepts a connection, a line in the output.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { pingSocket } from '../health/rpc-ping.js';
import type { OutputLog } from '../files/output-log.js';
import type { Probe } from './wait-ready.js';

/** One request or connect may take this long before it is tried again (a server still starting up). */
const ATTEMPT_TIMEOUT_MS = 1000;

/** Identity of whatever is at `socketPath` (inode and change time), or undefined when nothing is. */
export function socketIdentity(socketPath: string): string | undefined {
  try {
    const stat = fs.lstatSync(socketPath, { bigint: true });
    return stat.isSocket() ? `${stat.ino}:${stat.ctimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ready when a socket created since the start answers one JSON-RPC request. A socket that was there
 * before (`before`, a leftover or another daemon's) is not ours: a stranger cannot make us "ready".
 */
export function socketProbe(socketPath: string, before: string | undefined): Probe {
  return async (left) => {
    const identity = socketIdentity(socketPath);
    if (identity === undefined) return { ok: false, problem: `no socket appeared at ${socketPath}` };
    if (identity === before) return { ok: false, problem: `only a socket from before the start is at ${socketPath}; the service never replaced it` };
    const ping = await pingSocket(socketPath, { timeoutMs: Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, left)) });
    return ping.ok ? { ok: true } : { ok: false, problem: `the socket ${socketPath} exists but did not answer: ${ping.reason}` };
  };
}

/** `localhost` may be either address family: a server listening on one only must still count. */
export function hostsOf(hostname: string): string[] {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return bare === 'localhost' ? ['127.0.0.1', '::1'] : [bare];
}

function connectOnce(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${host}:${port}: ${error.code ?? error.message}`));
  });
}

/** Ready when a TCP connect to the port succeeds on one of the hosts. */
export function portProbe(port: number, hosts: readonly string[]): Probe {
  return async (left) => {
    const problems: string[] = [];
    for (const host of hosts) {
      const problem = await connectOnce(host, port, Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, left)));
      if (problem === undefined) return { ok: true };
      problems.push(problem);
    }
    return { ok: false, problem: `nothing accepts connections on port ${port} (${problems.join('; ')})` };
  };
}

/** Whether an HTTP status counts as ready: one of `accepted`, or any 2xx when none are given. */
function statusAccepted(status: number, accepted: readonly number[] | undefined): boolean {
  return accepted === undefined ? status >= 200 && status < 300 : accepted.includes(status);
}

function getOnce(url: URL, host: string, timeoutMs: number): Promise<{ status: number } | { problem: string }> {
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    // The address is given apart from the URL so that `localhost` can be tried on each family, with
    // the Host header the server expects; as `hostname`, which wins over the URL's (`host` would not).
    const request = client.get(url, { hostname: host, headers: { host: url.host }, timeout: timeoutMs, agent: false }, (response) => {
      response.resume(); // the body is not needed; reading it lets the socket close
      resolve({ status: response.statusCode ?? 0 });
    });
    request.once('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.once('error', (error: NodeJS.ErrnoException) => resolve({ problem: `${host}: ${error.code ?? error.message}` }));
  });
}

/** Ready when a GET of the URL is answered with an accepted status (default: any 2xx). */
export function urlProbe(url: URL, accepted: readonly number[] | undefined): Probe {
  return async (left) => {
    const problems: string[] = [];
    for (const host of hostsOf(url.hostname)) {
      const result = await getOnce(url, host, Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, left)));
      if ('status' in result) {
        if (statusAccepted(result.status, accepted)) return { ok: true };
        problems.push(`${host} answered ${result.status}`);
      } else {
        problems.push(result.problem);
      }
    }
    const wanted = accepted === undefined ? 'a 2xx status' : `status ${accepted.join(' or ')}`;
    return { ok: false, problem: `GET ${url.href} was not answered with ${wanted} (${problems.join('; ')})` };
  };
}

/**
 * Ready when a line of the service's output (since `log.start`) matches. Reads only what was added
 * since the last look. `onMatch` is given the match's named groups (a `(?<port>…)`, a `(?<url>…)`).
 */
export function lineProbe(log: Pick<OutputLog, 'start' | 'readFrom'>, pattern: RegExp, onMatch?: (groups: Record<string, string>) => void): Probe {
  let offset = log.start;
  let partial = '';
  return async () => {
    const { text, end } = log.readFrom(offset);
    offset = end;
    const lines = (partial + text).split(/\r?\n/);
    partial = lines.pop() ?? '';
    // A line still being written counts too: a server may print its banner without a newline.
    // A named group is read from whole lines only: half a line may hold half a port number.
    for (const line of onMatch ? lines : [...lines, partial]) {
      const match = pattern.exec(line);
      if (match) {
        onMatch?.({ ...match.groups });
        return { ok: true };
      }
    }
    return { ok: false, problem: `no line of its output matched /${pattern.source}/` };
  };
}
