import fs from 'node:fs';
import { debuglog } from 'node:util';
import { ReaperError } from '../errors.js';
import type { ProcessInfo } from './process-info.js';
import type { ProcessSource } from './process-source.js';
import { findEnvInEnviron } from './owner-tag.js';

const debug = debuglog('mcp-reaper');

// One buffer reused for every read: a scan opens hundreds of small files, and readFileSync without an
// encoding allocates a Buffer and adds an fstat per file (1.6x slower over 500 processes here;
// bench/listing.mjs).
const buffer = Buffer.allocUnsafe(128 * 1024);

/** Reads a /proc file into the shared buffer; undefined when it is gone (the process exited). */
function readProc(path: string, options: { whole?: boolean } = {}): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    // The kernel generates these files whole on read: a read that returns less than was asked for
    // has returned everything, so no second read is spent on seeing EOF (a quarter of the syscalls).
    // A command line longer than the buffer is cut; the executable and first arguments come first.
    for (;;) {
      const wanted = buffer.length - length;
      const n = fs.readSync(fd, buffer, length, wanted, null);
      length += n;
      if (n < wanted || length === buffer.length) break;
    }
    // An environment can hold a variable anywhere: one that fills the buffer is read whole (rare).
    if (options.whole && length === buffer.length) return fs.readFileSync(path, 'utf8');
    return buffer.toString('utf8', 0, length);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

// USER_HZ is 100 on every Linux architecture Node supports; /proc reports start times in these ticks.
const TICKS_PER_SECOND = 100;

function readBootTimeMs(): number {
  const stat = readProc('/proc/stat');
  const match = stat && /^btime (\d+)$/m.exec(stat);
  if (!match?.[1]) throw new ReaperError('EPROCESSLIST', 'Cannot read the boot time from /proc/stat: is /proc mounted?');
  return Number(match[1]) * 1000;
}

function readPidMax(): number {
  const text = readProc('/proc/sys/kernel/pid_max');
  const value = text ? Number(text.trim()) : NaN;
  // 2^22 is the kernel's hard ceiling (PID_MAX_LIMIT on 64-bit).
  return Number.isInteger(value) && value > 1 ? value : 4_194_304;
}

/** Parses /proc/PID/stat. The name sits in parentheses and may itself contain spaces and ')'. */
function parseStat(pid: number, stat: string, bootMs: number): Omit<ProcessInfo, 'argv'> | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields 3 (state) to 22 (starttime) of proc(5); the ~30 after them are never needed, so the
  // line is cut there instead of split whole (a scan parses hundreds of these).
  const fields: string[] = [];
  for (let from = close + 2; fields.length < 20; ) {
    const space = stat.indexOf(' ', from);
    fields.push(stat.slice(from, space < 0 ? undefined : space));
    if (space < 0) break;
    from = space + 1;
  }
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgid = Number(fields[2]);
  const sid = Number(fields[3]);
  const threads = Number(fields[17]);
  const startTicks = fields[19];
  if (!state || !startTicks || !Number.isInteger(ppid)) return undefined;
  return {
    pid,
    ppid,
    pgid,
    sid,
    name: stat.slice(open + 1, close),
    state,
    threads,
    startKey: startTicks,
    startedAt: bootMs + (Number(startTicks) * 1000) / TICKS_PER_SECOND,
  };
}

function parseCmdline(text: string | undefined): string[] {
  if (!text) return [];
  const argv = text.split('\0');
  // The kernel ends every argument with NUL, so the split leaves one empty string at the end.
  if (argv[argv.length - 1] === '') argv.pop();
  return argv;
}

/** Reads one process (its command line only if `wantsArgv` says so); undefined when it is gone. */
function readProcess(pid: number, bootMs: number, wantsArgv?: (kernelName: string) => boolean): ProcessInfo | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  const base = stat && parseStat(pid, stat, bootMs);
  if (!base) return undefined;
  const argv = !wantsArgv || wantsArgv(base.name) ? parseCmdline(readProc(`/proc/${pid}/cmdline`)) : [];
  // A zombie leader with threads left: read whether those threads are exiting too (rare, so cheap).
  if (base.state === 'Z' && (base.threads ?? 1) > 1) return { ...base, argv, groupExiting: threadsExiting(pid) };
  return { ...base, argv };
}

// PF_EXITING in /proc/PID/task/TID/stat's flags (field 9); SIGKILL's bit in SigPnd.
const PF_EXITING = 0x4;
const SIGKILL_BIT = 1n << 8n;

/**
 * Whether the threads a zombie leader left are exiting too: the process is ending (exit_group, a
 * fatal signal), not serving on after its main thread ended on purpose. A group exit sends every
 * other thread SIGKILL, which it holds pending for a moment, then PF_EXITING once it acts on it
 * (measured here: 29 of 29 exiting node processes caught as a zombie leader with threads showed one
 * or the other; a thread whose status is gone has exited).
 */
function threadsExiting(pid: number): boolean {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  for (const tid of tids) {
    if (Number(tid) === pid) continue;
    const stat = readProc(`/proc/${pid}/task/${tid}/stat`);
    if (stat === undefined) return true;
    const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 7)[6]);
    if ((flags & PF_EXITING) !== 0) return true;
    const pending = /^SigPnd:\s+([0-9a-f]+)$/m.exec(readProc(`/proc/${pid}/task/${tid}/status`) ?? '')?.[1];
    if (pending !== undefined && (BigInt(`0x${pending}`) & SIGKILL_BIT) !== 0n) return true;
  }
  return false;
}

/** Process facts from /proc: no child processes, one or two small reads per process. */
export function createLinuxSource(): ProcessSource {
  if (!fs.existsSync('/proc/self/stat')) {
    throw new ReaperError('EPROCESSLIST', 'Cannot list processes: /proc is not mounted. mcp-reaper needs /proc on Linux.');
  }
  const bootMs = readBootTimeMs();
  return {
    platform: 'linux',
    pidMax: readPidMax(),

    async find(filter) {
      const found: ProcessInfo[] = [];
      for (const entry of fs.readdirSync('/proc')) {
        const pid = Number(entry);
        if (!Number.isInteger(pid)) continue;
        // /proc/PID/comm is the same name as in stat, and cheaper for the kernel to produce.
        const name = readProc(`/proc/${pid}/comm`);
        if (name === undefined || !filter(name.slice(0, -1))) continue;
        const info = readProcess(pid, bootMs);
        if (info) found.push(info);
      }
      debug('found %d candidate processes in /proc', found.length);
      return found;
    },

    async list(wantsArgv) {
      const processes: ProcessInfo[] = [];
      for (const entry of fs.readdirSync('/proc')) {
        const pid = Number(entry);
        if (!Number.isInteger(pid)) continue;
        const info = readProcess(pid, bootMs, wantsArgv);
        if (info) processes.push(info);
      }
      debug('listed %d processes from /proc', processes.length);
      return processes;
    },

    async probe(pids) {
      const found = new Map<number, ProcessInfo>();
      for (const pid of pids) {
        const info = readProcess(pid, bootMs);
        if (info) found.set(pid, info);
      }
      return found;
    },

    async readUid(pid) {
      // The real uid (first of four on the Uid: line) is the owner whose processes we may sweep.
      const status = readProc(`/proc/${pid}/status`);
      const match = status && /^Uid:\s+(\d+)/m.exec(status);
      return match?.[1] === undefined ? undefined : Number(match[1]);
    },

    async readCwd(pid) {
      try {
        return fs.readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        return undefined;
      }
    },

    async readEnv(pid, name) {
      // The environment the process was started with, NUL-separated (what it set later is not here,
      // which is right for a tag: it is given at spawn and inherited by children).
      const environ = readProc(`/proc/${pid}/environ`, { whole: true });
      return environ === undefined ? undefined : findEnvInEnviron(environ, name);
    },
  };
}
