import fs from 'node:fs';
import net from 'node:net';
import nodePath from 'node:path';

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

/**
 * Linux only: the inodes of the listening sockets bound to `path`, from /proc/net/unix. Lets a dry run
 * tell whether the listener is one of the daemons it would kill. Undefined where /proc has no table.
 */
export function listeningInodes(path: string): Set<number> | undefined {
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  const inodes = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path — the path is last and may contain spaces.
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const socketPath = fields.slice(7).join(' ');
    const acceptingConnections = (parseInt(fields[3]!, 16) & 0x10000) !== 0; // __SO_ACCEPTCON
    if (socketPath === path && acceptingConnections) inodes.add(Number(fields[6]));
  }
  return inodes;
}

/** Linux only: whether process `pid` holds one of `inodes` open. */
export function holdsSocket(pid: number, inodes: ReadonlySet<number>): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match && inodes.has(Number(match[1]))) return true;
    } catch {
      // The fd closed between readdir and readlink: not a holder.
    }
  }
  return false;
}
