// One stand-in call, wherever it runs: in-process (standin.mjs) or in the emulation server
// (server.mjs). `caller` is what the emulation would have read from process.* in the stand-in's own
// process: its environment and its real uid.
import fs from 'node:fs';
import { NotEmulated } from './fail.mjs';
import { lsof } from './lsof.mjs';
import { STANDIN_LC_ALL_ENV, STANDIN_LOG_ENV } from './names.mjs';
import { ps } from './ps.mjs';

const TOOLS = { ps, lsof };

/**
 * Runs `tool args` and records the call in the log named by the caller's STANDIN_LOG_ENV, if any.
 * Returns the exit status and the one stream it writes: stdout as bytes (latin1 strings hold raw
 * bytes, so what /proc held is what is printed), or the reason for a NotEmulated on stderr (status 2).
 * Any other error is thrown, and is a bug.
 * @param {'ps' | 'lsof'} tool
 * @param {string[]} args
 * @param {{ env: Record<string, string | undefined>, uid: number }} caller
 */
export function answer(tool, args, caller) {
  const env = { ...caller.env };
  if (STANDIN_LC_ALL_ENV in env) {
    // bin/ps and bin/lsof moved LC_ALL aside (see there): the emulation reads it where it was.
    if (env[STANDIN_LC_ALL_ENV]) env.LC_ALL = env[STANDIN_LC_ALL_ENV];
    delete env[STANDIN_LC_ALL_ENV];
  }
  let result;
  try {
    const { stdout, status } = TOOLS[tool](args, { env, uid: caller.uid });
    result = { status, fd: 1, body: Buffer.from(stdout, 'latin1') };
  } catch (error) {
    if (!(error instanceof NotEmulated)) throw error;
    result = { status: 2, fd: 2, body: Buffer.from(`${tool} (mcp-reaper's macOS stand-in): ${error.message}\n`) };
  }
  const log = env[STANDIN_LOG_ENV];
  if (log) fs.appendFileSync(log, `${[tool, ...args].join(' ')}\n`);
  return result;
}
