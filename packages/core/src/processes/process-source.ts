import { ReaperError } from '../errors.js';
import { createDarwinSource } from './darwin-ps.js';
import { createLinuxSource } from './linux-proc.js';
import type { ProcessInfo } from './process-info.js';

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

/** The process source for this platform: /proc on Linux, `ps` on macOS. */
export function defaultProcessSource(platform: NodeJS.Platform = process.platform): ProcessSource {
  if (platform === 'linux') return createLinuxSource();
  if (platform === 'darwin') return createDarwinSource();
  throw new ReaperError(
    'EUNSUPPORTED',
    `mcp-reaper supports Linux and macOS; this is ${platform}. Stop the daemon with your platform's tools.`,
  );
}
