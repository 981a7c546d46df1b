// The live process table as macOS's kernel would describe it, read from Linux's /proc. Strings are
// latin1 (one char per byte), so names and arguments reach the output byte for byte.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** macOS MAXCOMLEN: p_comm holds 16 bytes of the executable's name (Linux comm holds 15). */
export const MAXCOMLEN = 16;

// PF_EXITING and PF_KTHREAD in /proc/PID/stat's flags.
const PF_EXITING = 0x4;
const PF_KTHREAD = 0x200000;
// USER_HZ: /proc start times are in these ticks on every architecture Node runs on.
const TICKS_PER_SECOND = 100;
// BSD ps shows a sleeping process as idle (`I`) once it has slept longer than this (MAXSLP).
const IDLE_AFTER_MS = 20_000;

function read(file, encoding = 'latin1') {
  try {
    return fs.readFileSync(file, encoding);
  } catch {
    return undefined; // gone, or not ours to read
  }
}

let bootSeconds;
function bootTime() {
  bootSeconds ??= Number(/^btime (\d+)$/m.exec(read('/proc/stat') ?? '')?.[1]);
  return bootSeconds;
}

/** When the scheduler last ran the thread, in ms on its clock; undefined when the kernel does not say. */
function execStartMs(pid) {
  const ms = /^se\.exec_start\s+:\s+([\d.]+)/m.exec(read(`/proc/${pid}/sched`) ?? '')?.[1];
  return ms === undefined ? undefined : Number(ms);
}

/**
 * Now, on the clock of `cpu`'s run queue, which is the clock of a thread's `se.exec_start` there.
 * /proc/uptime is not that clock: it also counts time the machine was suspended (a VM restored from a
 * snapshot had it 100 s ahead). Nor do two CPUs' clocks agree: on this machine CPU 0's and CPU 1's are
 * 20 s apart, as long as MAXSLP, so a process that last ran on the other CPU looked idle at once. Each
 * CPU's clock is read once (every 10 s, for drift) by a `cat` pinned there, against performance.now().
 */
const cpuClocks = new Map();
function schedulerNowMs(cpu) {
  const known = cpuClocks.get(cpu);
  if (known && performance.now() - known.at < 10_000) return performance.now() + known.offsetMs;
  const pinned = spawnSync('taskset', ['-c', String(cpu), 'cat', '/proc/thread-self/sched'], { encoding: 'latin1' });
  const at = performance.now();
  const ms = /^se\.exec_start\s+:\s+([\d.]+)/m.exec(pinned.stdout ?? '')?.[1];
  // No taskset, or a CPU this process may not use: this thread's own clock, right when on the same CPU.
  if (pinned.status !== 0 || ms === undefined) return execStartMs('thread-self');
  cpuClocks.set(cpu, { offsetMs: Number(ms) - at, at });
  return Number(ms);
}

/** Every pid in /proc, ascending. */
export function allPids() {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * One process, or undefined when it is gone or is a kernel thread (macOS has none in its process
 * table: kernel_task, pid 0, is never listed by ps).
 */
export function readProcess(pid) {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(open + 1, close);
  const f = stat.slice(close + 2).split(' ');
  const flags = Number(f[6]);
  if (flags & PF_KTHREAD) return undefined;
  const status = read(`/proc/${pid}/status`) ?? '';
  const field = (name) => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1];
  return {
    pid,
    linuxState: f[0],
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    ttyNr: Number(f[4]),
    tpgid: Number(f[5]),
    flags,
    nice: Number(f[16]),
    threads: Number(f[17]),
    startSeconds: Math.floor(bootTime() + Number(f[19]) / TICKS_PER_SECOND),
    ruid: Number(field('Uid') ?? -1),
    traced: Number(field('TracerPid') ?? 0) !== 0,
    comm,
    /** The CPU it last ran on (field 39): whose clock its `se.exec_start` is on. */
    cpu: Number(f[36]),
  };
}

/**
 * p_comm: macOS takes the name of the file the kernel executed, cut at 16 bytes. For a script that
 * is its interpreter (`#!/usr/bin/node` runs as `node`), unlike Linux, whose comm is the script's
 * name: so the executable's name is taken from /proc/PID/exe, and comm only when that is unreadable
 * (a zombie, another user's process without privileges).
 */
export function ucomm(proc) {
  let exe;
  try {
    exe = fs.readlinkSync(`/proc/${proc.pid}/exe`, 'latin1');
  } catch {
    return proc.comm.slice(0, MAXCOMLEN);
  }
  return path.posix.basename(exe.replace(/ \(deleted\)$/, '')).slice(0, MAXCOMLEN);
}

/** The arguments, raw (NUL separated), or undefined when they cannot be read. */
export function readArgv(pid) {
  const raw = read(`/proc/${pid}/cmdline`);
  if (!raw) return undefined;
  return raw.replace(/\0$/, '').split('\0');
}

/** The environment it was started with (as macOS keeps it, at the top of its stack), or undefined. */
export function readEnviron(pid) {
  const raw = read(`/proc/${pid}/environ`);
  if (raw === undefined) return undefined;
  return raw === '' ? [] : raw.replace(/\0$/, '').split('\0');
}

/**
 * BSD `stat` (print.c state()): the state letter, then `<`/`N` (nice), `X` (traced), `E` (exiting),
 * `s` (session leader), `+` (in its terminal's foreground group). Linux states map as R→R, S→S
 * (I once asleep more than 20 s, as BSD's MAXSLP), D→U, T/t→T, Z/X→Z, I→I. A zombie shows `Z` alone.
 * A multi-threaded leader that has exited while its threads still run shows Z on Linux but is not a
 * zombie yet on macOS (the proc becomes one only once every thread is gone): it shows `RE` there.
 */
export function bsdStat(proc) {
  const zombie = (proc.linuxState === 'Z' || proc.linuxState === 'X') && proc.threads <= 1;
  if (zombie) return 'Z';
  let letter;
  switch (proc.linuxState) {
    case 'R':
      letter = 'R';
      break;
    case 'S':
      letter = sleptMs(proc) > IDLE_AFTER_MS ? 'I' : 'S';
      break;
    case 'D':
      letter = 'U';
      break;
    case 'T':
    case 't':
      letter = 'T';
      break;
    case 'I':
      letter = 'I';
      break;
    default:
      letter = 'R'; // Z with threads left: exiting
  }
  let flags = '';
  if (proc.nice < 0) flags += '<';
  else if (proc.nice > 0) flags += 'N';
  if (proc.traced) flags += 'X';
  if (proc.flags & PF_EXITING || proc.linuxState === 'Z') flags += 'E';
  if (proc.pid === proc.sid) flags += 's';
  if (proc.ttyNr !== 0 && proc.pgid === proc.tpgid) flags += '+';
  return letter + flags;
}

/** How long the main thread has not run (the scheduler's last run of it), or 0 if unknown. */
function sleptMs(proc) {
  const lastRan = execStartMs(proc.pid);
  const now = lastRan === undefined ? undefined : schedulerNowMs(proc.cpu);
  return now === undefined ? 0 : now - lastRan;
}

/** macOS sorts ps output by terminal device, then pid; no terminal (NODEV, -1) comes first. */
export function byTerminalThenPid(a, b) {
  const tdev = (p) => (p.ttyNr === 0 ? -1 : p.ttyNr);
  return tdev(a) - tdev(b) || a.pid - b.pid;
}
