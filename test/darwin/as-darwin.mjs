// Makes this Node process take mcp-reaper's macOS path on Linux, with no hook in the product:
// `process.platform` (and so `os.platform()`) says darwin, and the `ps`/`lsof` stand-ins (bin/,
// emulated from /proc) come first on PATH, so the core's `ps` and `lsof` are the stand-ins'.
//   node --import ./test/darwin/as-darwin.mjs …      one process
//   NODE_OPTIONS="--import /abs/test/darwin/as-darwin.mjs"   it and every Node process it starts
// It must run before the core is imported (a module may read the platform when it loads).
import path from 'node:path';
import { STANDIN_BIN_DIR } from './emulation/names.mjs';

Object.defineProperty(process, 'platform', { value: 'darwin', enumerable: true, configurable: true });

const entries = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== STANDIN_BIN_DIR);
process.env.PATH = [STANDIN_BIN_DIR, ...entries].join(path.delimiter);
