// Every name the stand-in and its users share across a process boundary, in one place.
import { fileURLToPath } from 'node:url';

/** Where `ps` and `lsof` stand-ins live: first on PATH for a process that runs as darwin. */
export const STANDIN_BIN_DIR = fileURLToPath(new URL('../bin', import.meta.url));

/** The preload that makes a Node process take the macOS path (see as-darwin.mjs). */
export const AS_DARWIN_PRELOAD = fileURLToPath(new URL('../as-darwin.mjs', import.meta.url));

/**
 * When set, each stand-in appends one line per invocation to this file (`ps -axww -o …`): proof that
 * the core really ran the stand-in, and how often.
 */
export const STANDIN_LOG_ENV = 'MCP_REAPER_DARWIN_STANDIN_LOG';

/**
 * `PORT:TOKEN` of the emulation server (server.mjs) on 127.0.0.1, when one runs: the stand-ins ask it
 * instead of starting a Node process each. The token keeps other local users from making it write.
 */
export const STANDIN_SERVER_ENV = 'MCP_REAPER_DARWIN_STANDIN_SERVER';

/** LC_ALL as the caller set it ('' when unset), carried past bash by bin/ps and bin/lsof. */
export const STANDIN_LC_ALL_ENV = 'MCP_REAPER_DARWIN_STANDIN_LC_ALL';
