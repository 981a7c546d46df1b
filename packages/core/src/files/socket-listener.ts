import fs from 'node:fs';
import net from 'node:net';
import nodePath from 'node:path';
import { runCommand, type RunCommand } from '../processes/darwin-ps.js';

/** sun_path holds 108 bytes with its NUL (104 on macOS): a longer path is cut by connect(). */
const SUN_PATH_MAX = process.platform === 'darwin' ? 103 : 107;

/**
 * Whether a process accepts connections on a Unix socket: connect and see. ECONNREFUSED means the
 * file is stale (nobody listens); a successful connect means a live listener.
 */
export async function hasListener(path: string, timeoutMs = 1000): Promise<boolean> {
  if (Buffer.byteLength(path) <= SUN_PATH_MAX) return connects(path, timeoutMs);
  // Too long to name in connect(): Node cuts it, the cut path is not there, and a live socket would
  // pass for stale (the reliability suite's long-path case). On Linux the socket is reached through
  // an open fd of its directory; elsewhere nobody can tell, so it counts as in use and is kept.
  if (process.platform !== 'linux') return true;
  let fd: number;
  try {
    fd = fs.openSync(nodePath.dirname(path), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch {
    return true;
  }
  try {
    const short = `/proc/self/fd/${fd}/${nodePath.basename(path)}`;
    return Buffer.byteLength(short) <= SUN_PATH_MAX ? await connects(short, timeoutMs) : true;
  } finally {
    fs.closeSync(fd);
  }
}

function connects(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ path });
    const finish = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => finish(true)); // accepted into a full backlog: someone is there
    socket.once('connect', () => finish(true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // EAGAIN: the listener's backlog is full, so it is alive. Anything else: nobody answers.
      finish(error.code === 'EAGAIN');
    });
  });
}

/** Which of the asked pids hold a listening socket bound to each path (a path no one holds is absent). */
export type SocketHolders = Map<string, Set<number>>;

/**
 * Which of `pids` hold the listening Unix socket bound to each of `paths`: lets a sweep tell whether
 * a socket's listener is a daemon it stops, or one it keeps. Linux reads /proc; macOS asks lsof.
 * Undefined when the platform cannot tell.
 */
export async function socketHolders(
  paths: readonly string[],
  pids: Iterable<number>,
  platform: NodeJS.Platform = process.platform,
  run: RunCommand = runCommand,
): Promise<SocketHolders | undefined> {
  const candidates = [...new Set(pids)];
  if (platform === 'linux') return linuxHolders(paths, candidates);
  if (platform === 'darwin') return darwinHolders(paths, candidates, run);
  return undefined;
}

/** Linux: the listening sockets bound to each path from /proc/net/unix, then each pid's fds. */
function linuxHolders(paths: readonly string[], pids: readonly number[]): SocketHolders | undefined {
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  const wanted = new Set(paths);
  const pathOf = new Map<number, string>();
  for (const line of table.split('\n').slice(1)) {
    // Num: RefCount Protocol Flags Type St Inode Path; the path is last and may contain spaces.
    const m = /^\s*\S+: \S+ \S+ (\S+) \S+ \S+ +(\d+) (.+)$/.exec(line);
    const acceptingConnections = m !== null && (parseInt(m[1]!, 16) & 0x10000) !== 0; // __SO_ACCEPTCON
    if (acceptingConnections && wanted.has(m[3]!)) pathOf.set(Number(m[2]), m[3]!);
  }
  const holders: SocketHolders = new Map();
  if (pathOf.size === 0) return holders;
  for (const pid of pids) {
    for (const inode of socketInodes(pid)) {
      const path = pathOf.get(inode);
      if (path !== undefined) holders.set(path, (holders.get(path) ?? new Set()).add(pid));
    }
  }
  return holders;
}

/**
 * macOS has no /proc: `lsof -a -U -p PIDS -Fn` lists the Unix sockets those processes hold, one
 * `n` line each, after the `p` line of their process. A listening socket's name is the path it is
 * bound to (so is the server end of an accepted connection, which belongs to the same process); a
 * client end shows `->0x…`. lsof exits 1 when a pid is gone; what it printed still counts.
 */
async function darwinHolders(paths: readonly string[], pids: readonly number[], run: RunCommand): Promise<SocketHolders | undefined> {
  const holders: SocketHolders = new Map();
  if (pids.length === 0 || paths.length === 0) return holders;
  let output: string;
  try {
    output = await run('lsof', ['-a', '-U', '-p', pids.join(','), '-Fn'], { LC_ALL: 'C' });
  } catch {
    return undefined; // lsof missing or hung: cannot tell
  }
  const wanted = new Set(paths);
  let pid: number | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('n') && pid !== undefined && wanted.has(line.slice(1))) {
      holders.set(line.slice(1), (holders.get(line.slice(1)) ?? new Set()).add(pid));
    }
  }
  return holders;
}

/** Linux only: the inodes of the sockets process `pid` holds open. */
export function socketInodes(pid: number): number[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: number[] = [];
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.push(Number(match[1]));
    } catch {
      // The fd closed between readdir and readlink: not a holder.
    }
  }
  return inodes;
}

/** Linux only: whether process `pid` holds one of `inodes` open. */
export function holdsSocket(pid: number, inodes: ReadonlySet<number>): boolean {
  return socketInodes(pid).some((inode) => inodes.has(inode));
}
