// macOS `lsof`, for the three questions mcp-reaper's core asks it, from /proc:
//   lsof -a -p PID -d cwd -Fn                     a working directory
//   lsof -nP -iTCP:PORT -sTCP:LISTEN -t           who listens on a TCP port
//   lsof -a -U -p PID[,PID…] -Fn                  the Unix sockets some processes hold
//   lsof -nP -a -g PGID -iTCP -sTCP:LISTEN -Fn    the TCP ports a process group listens on
// Field output (-F) is one field per line: `p<pid>`, then per file `f<fd>` and `n<name>`. On macOS
// a Unix socket's NAME is the path it is bound to (a listener, and the server end of an accepted
// connection, which inherits its address); a connected client end shows `->0x<peer>`. lsof exits 1
// when it found nothing or when one of the pids it was asked about does not exist.
import fs from 'node:fs';
import { NotEmulated } from './fail.mjs';
import { allPids, readProcess } from './proc-table.mjs';

/**
 * lsof's safestrprt() in the C locale: a control byte prints as `^X`, DEL and bytes with the high
 * bit set as `\xNN` (a UTF-8 `é` in a path is `\xc3\xa9`).
 */
export function safeName(bytes) {
  let out = '';
  for (const ch of bytes) {
    const c = ch.charCodeAt(0);
    if (c < 0x20) out += `^${String.fromCharCode(c + 64)}`;
    else if (c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

function readlink(file) {
  try {
    return fs.readlinkSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

/** The socket inodes a process holds, fd by fd. */
function socketFds(pid) {
  let fds;
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const sockets = [];
  for (const fd of fds.map(Number).sort((a, b) => a - b)) {
    const inode = /^socket:\[(\d+)\]$/.exec(readlink(`/proc/${pid}/fd/${fd}`) ?? '')?.[1];
    if (inode !== undefined) sockets.push({ fd, inode: Number(inode) });
  }
  return sockets;
}

/** /proc/net/unix by inode: bound path ('' if none) and whether it is connected. */
function unixSockets() {
  const byInode = new Map();
  for (const line of fs.readFileSync('/proc/net/unix', 'latin1').split('\n').slice(1)) {
    // Num: RefCount Protocol Flags Type St Inode Path; the path is last and may contain spaces.
    const m = /^\s*\S+: \S+ \S+ \S+ \S+ (\S+) +(\d+)(?: (.*))?$/.exec(line);
    if (m) byInode.set(Number(m[2]), { path: m[3] ?? '', connected: m[1] === '03' });
  }
  return byInode;
}

/** Every listening TCP socket in /proc/net/tcp{,6} (st 0A is LISTEN): its inode, address (hex) and port. */
function tcpListenRows() {
  const rows = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const [address, port] = fields[1].split(':');
      rows.push({ inode: Number(fields[9]), address, port: parseInt(port, 16) });
    }
  }
  return rows;
}

/** TCP listening sockets on `port`, by inode. */
function tcpListeners(port) {
  return new Set(tcpListenRows().filter((row) => row.port === port).map((row) => row.inode));
}

/** An address of /proc/net/tcp{,6} (hex, host byte order per 32-bit word) as lsof -nP names it. */
function addressName(hex) {
  const words = hex.match(/.{8}/g).map((w) => w.match(/../g).reverse().join(''));
  if (words.length === 1) {
    const ip = words[0].match(/../g).map((b) => parseInt(b, 16)).join('.');
    return ip === '0.0.0.0' ? '*' : ip;
  }
  const groups = words.join('').match(/.{4}/g).map((g) => parseInt(g, 16).toString(16));
  const ip = groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  return ip === '::' ? '*' : `[${ip}]`;
}

/** Every listening TCP socket: inode → `ADDRESS:PORT` as lsof -nP names it. */
function tcpListenNames() {
  return new Map(tcpListenRows().map((row) => [row.inode, `${addressName(row.address)}:${row.port}`]));
}

function pidList(text) {
  const pids = text.split(',').map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (pids.some(Number.isNaN)) throw new NotEmulated(`-p ${text}: only a comma-separated list of pids is emulated`);
  return pids;
}

/** The exact option sets the core uses; every other combination is refused. */
function parse(args) {
  const line = args.join(' ');
  let m = /^-a -p (\d+) -d cwd -Fn$/.exec(line);
  if (m) return { kind: 'cwd', pids: [Number(m[1])] };
  m = /^-nP -iTCP:(\d+) -sTCP:LISTEN -t$/.exec(line);
  if (m) return { kind: 'tcp-listen', port: Number(m[1]) };
  m = /^-a -U -p (\S+) -Fn$/.exec(line);
  if (m) return { kind: 'unix', pids: pidList(m[1]) };
  m = /^-nP -a -g (\d+) -iTCP -sTCP:LISTEN -Fn$/.exec(line);
  if (m) return { kind: 'group-listen', pgid: Number(m[1]) };
  throw new NotEmulated(
    `\`lsof ${line}\` is not emulated: only \`-a -p PID -d cwd -Fn\`, \`-nP -iTCP:PORT -sTCP:LISTEN -t\`, \`-a -U -p PIDS -Fn\` and \`-nP -a -g PGID -iTCP -sTCP:LISTEN -Fn\` are`,
  );
}

export function lsof(args) {
  const request = parse(args);
  if (request.kind === 'group-listen') {
    const names = tcpListenNames();
    let out = '';
    for (const pid of allPids().filter((p) => readProcess(p)?.pgid === request.pgid)) {
      const files = socketFds(pid).filter((s) => names.has(s.inode)).map((s) => `f${s.fd}\nn${names.get(s.inode)}\n`).join('');
      if (files !== '') out += `p${pid}\n${files}`;
    }
    return { stdout: out, status: out === '' ? 1 : 0 };
  }
  if (request.kind === 'tcp-listen') {
    const inodes = tcpListeners(request.port);
    const pids = inodes.size === 0 ? [] : allPids().filter((pid) => socketFds(pid).some((s) => inodes.has(s.inode)));
    return { stdout: pids.map((pid) => `${pid}\n`).join(''), status: pids.length > 0 ? 0 : 1 };
  }
  let out = '';
  let missing = false;
  const sockets = request.kind === 'unix' ? unixSockets() : undefined;
  for (const pid of request.pids) {
    if (readProcess(pid) === undefined) {
      missing = true;
      continue;
    }
    if (request.kind === 'cwd') {
      const cwd = readlink(`/proc/${pid}/cwd`);
      if (cwd !== undefined) out += `p${pid}\nfcwd\nn${safeName(cwd)}\n`;
      continue;
    }
    let files = '';
    for (const { fd, inode } of socketFds(pid)) {
      const unix = sockets.get(inode);
      if (unix === undefined) continue; // not a Unix socket (-U)
      const name = unix.path !== '' ? unix.path : unix.connected ? `->0x${inode.toString(16).padStart(16, '0')}` : '';
      files += `f${fd}\nn${safeName(name)}\n`;
    }
    if (files !== '') out += `p${pid}\n${files}`;
  }
  return { stdout: out, status: out === '' || missing ? 1 : 0 };
}
