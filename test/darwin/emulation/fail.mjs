import fs from 'node:fs';
import { STANDIN_LOG_ENV } from './names.mjs';

/** Exit status 2 with a message: what the stand-in does not emulate must never pass silently. */
export class NotEmulated extends Error {}

/** Records one invocation in the log named by STANDIN_LOG_ENV, if any. */
export function logInvocation(tool, args) {
  const log = process.env[STANDIN_LOG_ENV];
  if (log) fs.appendFileSync(log, `${[tool, ...args].join(' ')}\n`);
}

/**
 * Runs a stand-in's main: writes its output as bytes (latin1 strings hold raw bytes, so what /proc
 * held is what is printed) and exits with its status. NotEmulated exits 2 with the reason on stderr.
 */
export function runTool(tool, main) {
  const args = process.argv.slice(2);
  logInvocation(tool, args);
  let result;
  try {
    result = main(args);
  } catch (error) {
    if (!(error instanceof NotEmulated)) throw error;
    process.stderr.write(`${tool} (mcp-reaper's macOS stand-in): ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  fs.writeSync(1, Buffer.from(result.stdout, 'latin1'));
  process.exitCode = result.status;
}
