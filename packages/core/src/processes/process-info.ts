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
  /** Opaque start-time key: the same pid with the same key is the same process (pid reuse check). */
  startKey: string;
  /** Start time in ms since the epoch (Linux: within ~1 s, boot time has 1 s resolution; macOS: 1 s). */
  startedAt: number;
}

/** Where process facts come from: /proc on Linux, `ps` on macOS. Tests inject their own. */
export interface ProcessSource {
  readonly platform: 'linux' | 'darwin';
  /** The largest pid the system hands out: a pid file naming a larger one is corrupt. */
  readonly pidMax: number;
  /**
   * The processes whose kernel name passes `filter`, command lines included: the cheap first pass of
   * a sweep (on Linux one small read per process, and stat and cmdline only for those that pass).
   */
  find(filter: (kernelName: string) => boolean): Promise<ProcessInfo[]>;
  /**
   * Every process visible to us. `wantsArgv(kernelName)` lets a source skip reading the command line
   * of processes that cannot matter (their `argv` is then empty); without it every argv is read.
   */
  list(wantsArgv?: (kernelName: string) => boolean): Promise<ProcessInfo[]>;
  /** Re-reads the given pids, command lines included; a pid that is gone is absent from the map. */
  probe(pids: readonly number[]): Promise<Map<number, ProcessInfo>>;
  /** The real uid of a process, or undefined when it is gone. */
  readUid(pid: number): Promise<number | undefined>;
  /** The working directory of a process (to resolve a relative --socket-path), or undefined if unknown. */
  readCwd(pid: number): Promise<string | undefined>;
  /** One variable of a process's environment (for the owner tag), or undefined if unset or unreadable. */
  readEnv(pid: number, name: string): Promise<string | undefined>;
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

/** The command line as one string, for reports. */
export function commandLine(info: Pick<ProcessInfo, 'argv' | 'name'>): string {
  return info.argv.length > 0 ? info.argv.join(' ') : `[${info.name}]`;
}
