// Makes this Node process take mcp-reaper's macOS path on Linux, with no hook in the product:
// `process.platform` (and so `os.platform()`) says darwin, and the `ps`/`lsof` stand-ins (bin/,
// emulated from /proc) come first on PATH, so the core's `ps` and `lsof` are the stand-ins'.
//   node --import ./test/darwin/as-darwin.mjs …      one process
//   NODE_OPTIONS="--import /abs/test/darwin/as-darwin.mjs"   it and every Node process it starts
// It must run before the core is imported (a module may read the platform when it loads).
//
// Only this repository's code and mcp-reaper's packages are told darwin. Third-party code under
// node_modules keeps the real platform: a bundler that loads a native binding by platform (Vitest's
// rolldown, esbuild) would otherwise look for a macOS binary that is not installed here.
import path from 'node:path';
import { STANDIN_BIN_DIR } from './emulation/names.mjs';

const realPlatform = process.platform;

/** The file of the first caller outside Node's own modules. */
function callerFile(skip) {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder = {};
  try {
    Error.stackTraceLimit = 16;
    Error.prepareStackTrace = (_, sites) => sites;
    Error.captureStackTrace(holder, skip);
    for (const site of holder.stack) {
      const file = site.getFileName();
      if (file && !file.startsWith('node:')) return file;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function platform() {
  const file = callerFile(platform) ?? '';
  const thirdParty = file.includes('/node_modules/') && !file.includes('/node_modules/@mcp-reaper/');
  return thirdParty ? realPlatform : 'darwin';
}

Object.defineProperty(process, 'platform', { get: platform, enumerable: true, configurable: true });

const entries = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== STANDIN_BIN_DIR);
process.env.PATH = [STANDIN_BIN_DIR, ...entries].join(path.delimiter);
