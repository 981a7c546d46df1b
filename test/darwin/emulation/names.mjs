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
