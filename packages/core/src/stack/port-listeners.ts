// Who listens on a TCP port: the listener itself, never the clients connected to it (the scripts'
// `lsof -ti:$PORT | xargs kill -9` took both, and killed every browser tab and test talking to it).
import fs from 'node:fs';
import { holdsSocket, socketInodes } from '../files/socket-listener.js';
import type { ProcessSource } from '../processes/process-source.js';
import { runCommand, type RunCommand } from '../processes/darwin-ps.js';

// TCP_LISTEN in /proc/net/tcp's `st` column.
const LISTEN = '0A';

/** Linux: the port of every listening TCP socket by its inode, IPv4 and IPv6, from /proc/net/tcp{,6}. */
function listeningSockets(): Map<number, number> {
  const ports = new Map<number, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 here
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      ports.set(Number(fields[9]), parseInt(fields[1]!.split(':').pop()!, 16));
    }
  }
  return ports;
}

/** Linux: the inodes of the listening sockets on `port`, IPv4 and IPv6. */
function listeningInodes(port: number): Set<number> {
  return new Set([...listeningSockets()].filter(([, p]) => p === port).map(([inode]) => inode));
}

async function lsof(port: number, run: RunCommand): Promise<number[]> {
  // -t: pids only; -sTCP:LISTEN: listeners, not connections; lsof exits 1 when there is none.
  let output: string;
  try {
    output = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-t'], { LC_ALL: 'C' });
  } catch {
    return [];
  }
  return [...new Set(output.split('\n').map((line) => Number(line.trim())).filter((pid) => Number.isInteger(pid) && pid > 0))];
}

/** Whether anything listens on TCP `port` (cheap on Linux: no process is looked at). */
export async function isListening(port: number, platform: NodeJS.Platform = process.platform, run: RunCommand = runCommand): Promise<boolean> {
  if (platform === 'linux') return listeningInodes(port).size > 0;
  return (await lsof(port, run)).length > 0;
}

/** The pids of the processes that listen on TCP `port`. */
export async function portListeners(port: number, platform: NodeJS.Platform = process.platform, run: RunCommand = runCommand): Promise<number[]> {
  if (platform !== 'linux') return lsof(port, run);
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  // Which process holds the socket: every process's fds, read only because the port is taken.
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && holdsSocket(Number(entry), inodes)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * The TCP ports that the processes of process group `pgid` listen on (a service binding port 0, and
 * whatever it spawned: `npx vite` listens from a grandchild). Linux: the listening sockets of
 * /proc/net/tcp{,6}, then the group's members' fds, read only when some socket is listening at all.
 * macOS: `lsof -a -g PGID -iTCP -sTCP:LISTEN`.
 */
export async function groupListeningPorts(pgid: number, source: ProcessSource, run: RunCommand = runCommand): Promise<number[]> {
  if (source.platform === 'linux') {
    const sockets = listeningSockets();
    if (sockets.size === 0) return [];
    const inodes = new Set(sockets.keys());
    const members = (await source.list(() => false)).filter((info) => info.pgid === pgid).map((info) => info.pid);
    const ports = new Set<number>();
    for (const pid of members) for (const inode of socketInodes(pid)) if (inodes.has(inode)) ports.add(sockets.get(inode)!);
    return [...ports].sort((a, b) => a - b);
  }
  let output: string;
  try {
    output = await run('lsof', ['-nP', '-a', '-g', String(pgid), '-iTCP', '-sTCP:LISTEN', '-Fn'], { LC_ALL: 'C' });
  } catch {
    return []; // lsof exits 1 when nothing matches
  }
  // `n*:5173`, `n127.0.0.1:5173`, `n[::1]:5173`: the port follows the last colon.
  const ports = output.split('\n').filter((line) => line.startsWith('n')).map((line) => Number(line.slice(line.lastIndexOf(':') + 1)));
  return [...new Set(ports.filter((port) => Number.isInteger(port) && port > 0))].sort((a, b) => a - b);
}
