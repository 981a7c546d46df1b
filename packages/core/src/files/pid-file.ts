import fs from 'node:fs';

/** A pid file holds a few digits; anything bigger is not one (and is never read whole). */
const MAX_PID_FILE_BYTES = 64;

export type PidFileState =
  | { kind: 'absent' }
  /** Exists but is not a regular file (a directory, socket, symlink…): never followed or read. */
  | { kind: 'not-a-file'; type: string; uid: number }
  /** A regular file that cannot be read (its permissions): what pid it names is unknown. */
  | { kind: 'unreadable'; uid: number }
  | { kind: 'corrupt'; content: string; uid: number; fingerprint: string }
  | { kind: 'valid'; pid: number; mtimeMs: number; uid: number; fingerprint: string };

/**
 * Parses a pid strictly: decimal digits only, surrounding white space allowed, 1 < pid <= pidMax.
 * `"12a"`, `"-5"`, `"0x10"`, `"1e3"`, `"12 13"` and `""` are all rejected.
 */
export function parsePid(text: string, pidMax: number): number | undefined {
  const match = /^\s*([0-9]+)\s*$/.exec(text);
  if (!match?.[1]) return undefined;
  const pid = Number(match[1]);
  return pid > 1 && pid <= pidMax ? pid : undefined;
}

function fileType(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isSocket()) return 'socket';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isBlockDevice() || stat.isCharacterDevice()) return 'device';
  return 'file';
}

export { fileType };

/**
 * What a file holds, to tell later whether it was rewritten: its content when it is pid-sized, else
 * its size and modification time. Undefined when it is gone or not a regular file.
 */
export function fingerprint(path: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(path);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  return stat.size > MAX_PID_FILE_BYTES ? `${stat.size} bytes, modified ${stat.mtimeMs}` : readSmallFile(path);
}

/** The first bytes of a regular file, without following a link; undefined when it cannot be read. */
function readSmallFile(path: string): string | undefined {
  try {
    // O_NOFOLLOW: a file swapped for a link since it was looked at is not read through the link.
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const buffer = Buffer.alloc(MAX_PID_FILE_BYTES + 1);
      const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.toString('utf8', 0, n);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Reads a pid file without following links and without reading more than a pid's worth. */
export function readPidFile(path: string, pidMax: number): PidFileState {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(path);
  } catch {
    return { kind: 'absent' };
  }
  if (!stat.isFile()) return { kind: 'not-a-file', type: fileType(stat), uid: stat.uid };
  if (stat.size > MAX_PID_FILE_BYTES) {
    return { kind: 'corrupt', content: `<${stat.size} bytes>`, uid: stat.uid, fingerprint: `${stat.size} bytes, modified ${stat.mtimeMs}` };
  }
  const text = readSmallFile(path);
  // Gone since the lstat, or there and unreadable: only the first is absent.
  if (text === undefined) return fs.existsSync(path) ? { kind: 'unreadable', uid: stat.uid } : { kind: 'absent' };
  const pid = parsePid(text, pidMax);
  if (pid === undefined) return { kind: 'corrupt', content: text, uid: stat.uid, fingerprint: text };
  return { kind: 'valid', pid, mtimeMs: stat.mtimeMs, uid: stat.uid, fingerprint: text };
}
