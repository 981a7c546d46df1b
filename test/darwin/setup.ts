// Setup file of the "darwin" Vitest project: every test file in it runs mcp-reaper's macOS path on
// this Linux machine, against the live process table, through the `ps`/`lsof` stand-ins, which ask an
// emulation server of this file's own (emulation/start-server.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
// First: the core must see darwin from its first import on.
import '../darwin/as-darwin.mjs';
import { AS_DARWIN_PRELOAD, STANDIN_LOG_ENV } from './emulation/names.mjs';
import { startStandinServer } from './emulation/start-server.mjs';

// What the tests start (the CLI, runners, watchdogs) takes the macOS path too.
const preload = `--import ${AS_DARWIN_PRELOAD}`;
if (!(process.env.NODE_OPTIONS ?? '').includes(preload)) {
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' ');
}

// A temp dir of the file's own, and so a registry of live runs of its own (`$TMPDIR/mcp-reaper-<uid>`),
// as a Mac's would be. Shared with the linux project's files running meanwhile, it would mix records
// the two paths cannot read alike (a start key is ticks on Linux, lstart on macOS): each would take
// the other's live runs for dead ones and sweep their daemons. Short: sockets go in it (sun_path).
const fileTmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'd-')));
// Searchable by others, as the machine's temp dir is: a test that runs a process as another user
// (root only) hands it a directory inside.
fs.chmodSync(fileTmp, 0o711);
process.env.TMPDIR = fileTmp;
// Each file logs its stand-in runs: a file that never ran `ps` did not test the macOS path at all.
const log = path.join(fileTmp, 'standin.log');
process.env[STANDIN_LOG_ENV] = log;

// In the environment of everything this file starts, as the preload is. A process that outlives the
// file (and so the server) still gets its answers: the stand-in then runs the emulation itself.
const server = await startStandinServer();
Object.assign(process.env, server.env);

afterAll(async () => {
  await server.stop();
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(fileTmp, { recursive: true, force: true });
  if (!calls.some((call) => call.startsWith('ps '))) {
    throw new Error(`darwin project: this file never ran the ps stand-in (${STANDIN_LOG_ENV}), so it did not test the macOS path`);
  }
});
