import os from 'node:os';
import path from 'node:path';

/** The directory the real daemon keeps `daemon.pid`, `mcp.sock` and `pm.db` in. */
export const APP_DIR_NAME = 'AIAgentPM';

export interface StateDirContext {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  homedir?: string;
}

/**
 * Where `mcp-server-pm` keeps its state: macOS `~/Library/Application Support/AIAgentPM` (note the
 * space), elsewhere `$XDG_DATA_HOME/AIAgentPM` or `~/.local/share/AIAgentPM`.
 */
export function defaultStateDir(context: StateDirContext = {}): string {
  const platform = context.platform ?? process.platform;
  const env = context.env ?? process.env;
  const home = context.homedir ?? os.homedir();
  if (platform === 'darwin') {
    return path.posix.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  }
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg && path.posix.isAbsolute(xdg)) return path.posix.join(xdg, APP_DIR_NAME);
  return path.posix.join(home, '.local', 'share', APP_DIR_NAME);
}

/**
 * The state dir of a daemon started with `env` over this process's environment: what
 * `startDaemon()` assumes when it is given no `dir` (`undefined` in `env` removes a variable).
 */
export function daemonStateDir(env: Readonly<Record<string, string | undefined>> = {}): string {
  return defaultStateDir({ env: { ...process.env, ...env } });
}
