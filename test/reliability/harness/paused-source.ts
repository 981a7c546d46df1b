// A process source that pauses a sweep between its survey and its first signal, for faults that need
// that moment: the real Linux source underneath, and a hook that runs once, just before the stop's
// identity check. The survey's last read is of each leftover's log dir variable (survey.ts,
// daemonLogDirs); the first probe after it is terminate()'s re-check right before SIGTERM.
import { LOG_DIR_ENV } from '../../../packages/core/src/config/names.js';
import type { ProcessInfo } from '../../../packages/core/src/processes/process-info.js';
import { createLinuxSource } from '../../../packages/core/src/processes/linux-proc.js';
import type { ProcessSource } from '../../../packages/core/src/processes/process-source.js';

export interface PausedSource extends ProcessSource {
  /** Whether the hook ran (a case that never reached its fault proves nothing). */
  readonly paused: boolean;
}

export interface PauseOptions {
  /** Runs once between the survey and the first signal. */
  between: () => Promise<void>;
  /** Rewrites what the survey sees (every read before the pause); the real facts come after it. */
  surveyed?: (info: ProcessInfo) => ProcessInfo;
}

export function pausedSource({ between, surveyed = (info) => info }: PauseOptions): PausedSource {
  const real = createLinuxSource();
  let armed = false;
  let paused = false;
  const view = (infos: ProcessInfo[]) => (paused ? infos : infos.map(surveyed));
  return {
    platform: real.platform,
    pidMax: real.pidMax,
    get paused() {
      return paused;
    },
    // Every process, then the filter on the name as surveyed: a rewritten name must pass it too.
    find: async (filter) => view(await real.list()).filter((info) => filter(info.name)),
    list: async (wantsArgv) => view(await real.list(wantsArgv)),
    async probe(pids) {
      if (armed && !paused) {
        armed = false;
        await between();
        paused = true;
      }
      const found = await real.probe(pids);
      return paused ? found : new Map([...found].map(([pid, info]) => [pid, surveyed(info)]));
    },
    readUid: (pid) => real.readUid(pid),
    readCwd: (pid) => real.readCwd(pid),
    async readEnv(pid, name) {
      if (name === LOG_DIR_ENV && !paused) armed = true;
      return real.readEnv(pid, name);
    },
  };
}
