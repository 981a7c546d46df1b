/** One process as a platform source sees it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Session id (macOS `ps` has no session column: 0 there). */
  sid: number;
  /** Real user id. Linux fills it only on demand (see `ProcessSource.readUid`): undefined until then. */
  uid?: number;
  /** Kernel process name: Linux `comm` (at most 15 characters), macOS `ucomm` (at most 16). */
  name: string;
  /**
   * Argument vector. Exact on Linux (/proc/PID/cmdline); on macOS split from `ps -o args` on
   * white space, so an argument that contains spaces comes back in pieces. Empty for a kernel
   * thread, a zombie, and in a `list()` for a process its `wantsArgv` filter passed over.
   */
  argv: string[];
  /** State letter (R, S, D, T, Z, X, …). Z (zombie) and X (dead) count as dead (see `isDead`). */
  state: string;
  /** Live threads (Linux only): a zombie group leader can still have threads that hold its files. */
  threads?: number;
  /**
   * Linux, a zombie leader with threads left only: whether those threads are exiting too (the whole
   * process is ending) rather than serving on after the main thread ended on purpose.
   */
  groupExiting?: boolean;
  /** Opaque start-time key: the same pid with the same key is the same process (pid reuse check). */
  startKey: string;
  /** Start time in ms since the epoch (Linux: within ~1 s, boot time has 1 s resolution; macOS: 1 s). */
  startedAt: number;
}

/**
 * Zombies and dead entries hold a pid but run nothing: for every check here they are gone. But the
 * leader of a multi-threaded process (node is one) shows Z as soon as it has exited while its other
 * threads are still exiting, and those still hold the shared fd table: its listening socket is
 * open until the last thread is gone (measured here: 36 of 40 SIGKILLed node processes were first
 * seen as Z with more than one thread). So a zombie is dead only once at most one thread is left.
 */
export function isDead(info: ProcessInfo | undefined): boolean {
  if (info === undefined) return true;
  return (info.state === 'Z' || info.state === 'X') && (info.threads ?? 1) <= 1;
}

/**
 * On Linux, a live process whose command line reads empty is in the middle of exiting: the kernel has
 * released its memory (so cmdline and environ read empty) and has not made it a zombie yet. It serves
 * nothing, is gone in a moment, and belongs to whoever is stopping it: a sweep leaves it out. (Kernel
 * threads read empty too; they are never a daemon.) macOS `ps` shows no such state.
 *
 * A zombie leader whose other threads are left reads empty too. It is exiting when those threads
 * are (`groupExiting`: a node process on its way out is one for a few milliseconds, and taking it
 * for a live match made a sweep stop, keep or skip a process that was already ending: another
 * run's daemon, or a launcher in the sweep's own process group). It is not when they run on after
 * the main thread ended on purpose (pthread_exit): that one serves for good, and left out it was
 * neither stopped nor reported by any sweep (the reliability suite's zombie-leader case). A thread
 * can be caught mid-exit without a sign of it: withoutExiting() looks at such a leader twice.
 */
export function isExiting(info: ProcessInfo, platform: 'linux' | 'darwin'): boolean {
  if (platform !== 'linux' || info.argv.length > 0) return false;
  return !(info.state === 'Z' && (info.threads ?? 1) > 1) || info.groupExiting !== false;
}

/** The command line as one string, for reports. */
export function commandLine(info: Pick<ProcessInfo, 'argv' | 'name'>): string {
  return info.argv.length > 0 ? info.argv.join(' ') : `[${info.name}]`;
}
