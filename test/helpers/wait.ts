// Polling helpers for tests that drive real processes: wait for a condition instead of sleeping.
import fs from 'node:fs';

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** First pause between polls (default 5 ms: process state changes fast, polls are cheap). */
  intervalMs?: number;
  /**
   * Longest pause (default 4 × intervalMs): the pause grows by a quarter each poll, so a quick
   * condition is seen at once while dozens of slow waits do not hog a busy CPU.
   */
  maxIntervalMs?: number;
  /** What was awaited, for the timeout error; a function is called only on timeout (for diagnostics). */
  message?: string | (() => string);
}

/**
 * Polls `fn` until it returns a truthy value and resolves to that value. A throwing `fn` counts as
 * "not yet" (the last error is reported on timeout).
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let intervalMs = options.intervalMs ?? 5;
  const maxIntervalMs = options.maxIntervalMs ?? intervalMs * 4;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = typeof options.message === 'function' ? options.message() : (options.message ?? 'condition');
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    intervalMs = Math.min(maxIntervalMs, intervalMs * 1.25);
  }
}

/** The fields of /proc/PID/stat that tests care about. */
export interface ProcStat {
  /** State letter: R, S, D, T, Z (zombie), X (dead), … */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Kernel process name (at most 15 characters). */
  comm: string;
  /** Start time in clock ticks since boot: with the pid, identifies one process (pid reuse check). */
  startTime: string;
  /** Live threads: a zombie leader whose other threads still run still holds its sockets. */
  threads: number;
}

/** Reads /proc/PID/stat, or undefined when the process is gone (or this is not Linux). */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is parenthesised and may itself contain spaces or ')': split after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5); starttime is field 22.
  return {
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
    comm,
    startTime: fields[19] ?? '',
    threads: Number(fields[17]),
  };
}

/** The argument vector from /proc/PID/cmdline, or undefined when gone. Empty for zombies. */
export function readCmdline(pid: number): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (text === '') return [];
  return text.replace(/\0$/, '').split('\0');
}

/**
 * True while the process runs. Zombies (Z) and dead entries (X) count as gone: pid 1 reaps late
 * here, and kill(pid, 0) succeeds on a zombie, so it is no liveness test on its own. A zombie leader
 * whose other threads have not exited yet is still alive (it holds its socket), as the core judges it
 * (isDead in process-info.ts): a SIGKILLed node daemon is in that state for a moment.
 */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  if (stat === undefined) return false;
  return !((stat.state === 'Z' || stat.state === 'X') && stat.threads <= 1);
}

/** Waits until `pid` is gone (zombie counts as gone). */
export function waitForExit(pid: number, options: WaitOptions = {}): Promise<true> {
  return waitFor(() => !isAlive(pid), { message: `pid ${pid} to exit`, ...options });
}

/** One live process as the tests look at it. */
export interface LiveProcess {
  pid: number;
  stat: ProcStat;
  argv: string[];
  /** The command line, arguments joined with spaces. */
  cmd: string;
}

/**
 * Every live process but this one (zombies count as gone, as in isAlive): the tests' one /proc
 * scanner. Filter the result; a process that exits during the scan is left out.
 */
export function liveProcesses(): LiveProcess[] {
  const found: LiveProcess[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || !isAlive(pid)) continue;
    const stat = readStat(pid);
    const argv = readCmdline(pid);
    if (stat === undefined || argv === undefined) continue;
    found.push({ pid, stat, argv, cmd: argv.join(' ') });
  }
  return found;
}

/** Live processes whose command line holds `needle` (a project's temp dir, a daemon's wrapper path). */
export function processesWith(needle: string): LiveProcess[] {
  return liveProcesses().filter((p) => p.cmd.includes(needle));
}

/** Pids of the live members of a process group. */
export function groupMembers(pgid: number): number[] {
  return liveProcesses()
    .filter((p) => p.stat.pgid === pgid)
    .map((p) => p.pid);
}
