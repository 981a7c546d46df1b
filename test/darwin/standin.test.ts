// The `ps`/`lsof` stand-ins print what macOS prints: checked against the recorded macOS output
// (the same column shapes, read by the same parser) and against /proc for live processes. They run as
// the darwin project runs them, through an emulation server; the server's answers are checked against
// the stand-in's own, with none.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { socketHolders } from '../../packages/core/src/files/socket-listener.js';
import { portListeners } from '../../packages/core/src/stack/port-listeners.js';
import { createDarwinSource, parsePsTable, type RunCommand } from '../../packages/core/src/processes/darwin-ps.js';
import { createLinuxSource } from '../../packages/core/src/processes/linux-proc.js';
import { ownerTag } from '../../packages/core/src/processes/owner-tag.js';
import { freePort } from '../helpers/net.js';
import { itNeeds, needs } from '../helpers/needs.js';
import { isAlive, readStat, waitFor } from '../helpers/wait.js';
import { STANDIN_BIN_DIR, STANDIN_SERVER_ENV } from './emulation/names.mjs';
import { startStandinServer, type StandinServer } from './emulation/start-server.mjs';

const STATUS = ['-o', 'pid=,ppid=,pgid=,ruid=,stat=,lstart=,ucomm='];
const ARGS = ['-o', 'pid=,args='];
const C_UTC = { LC_ALL: 'C', TZ: 'UTC0' };

const fixture = (name: string): string => fs.readFileSync(new URL(`../core/fixtures/darwin/${name}`, import.meta.url), 'utf8');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  pid?: number;
}

let server: StandinServer;
beforeAll(async () => {
  server = await startStandinServer();
});
afterAll(() => server.stop());

/**
 * Runs a stand-in as the core does (C locale, UTC), through the server unless `server` is false;
 * stdout and stderr as latin1, byte for byte.
 */
function standin(
  tool: 'ps' | 'lsof',
  args: readonly string[],
  env: Record<string, string | undefined> = C_UTC,
  options: { server?: boolean; uid?: number } = {},
): Result {
  const base: NodeJS.ProcessEnv = { ...process.env, ...(options.server === false ? {} : server.env), ...env };
  if (options.server === false) delete base[STANDIN_SERVER_ENV];
  for (const [name, value] of Object.entries(base)) if (value === undefined) delete base[name];
  const r = spawnSync(path.join(STANDIN_BIN_DIR, tool), args, { env: base, encoding: 'latin1', uid: options.uid, gid: options.uid });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid };
}

/** The core's own runner, pointed at the stand-ins. */
const run: RunCommand = async (file, args, env) => standin(file as 'ps' | 'lsof', args, env).stdout;

// BSD column layout (adv_cmds keyword.c): pid, ppid, pgid, ruid right-aligned in 5, stat left in 4,
// lstart left in 28 (`%c`: `Mon Nov  2 09:05:01 2026`), ucomm left in 16; one space between.
const STATUS_SHAPE = /^[ \d]{4}\d [ \d]{4}\d [ \d]{4}\d [ \d]{4}\d [A-Z][<NXEs+]* {0,3} [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} {4} (.{16})$/;

// Detached children are killed with their process group: a shell's own child goes with it.
const children: Array<{ child: ChildProcess; group: boolean }> = [];
let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-standin-'));
});
afterEach(async () => {
  for (const { child, group } of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    if (group) process.kill(-child.pid!, 'SIGKILL');
    else child.kill('SIGKILL');
  }
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function start(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string; detached?: boolean } = {}) {
  const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, ...options.env }, cwd: options.cwd, detached: options.detached });
  children.push({ child, group: options.detached === true });
  return child;
}

describe('ps: the recorded macOS output and the stand-in have the same shape', () => {
  it('every status line of the fixtures and of the live table has the BSD columns at the same offsets', () => {
    const live = standin('ps', ['-axww', ...STATUS]);
    expect(live.status).toBe(0);
    for (const text of [fixture('ps-status.txt'), fixture('ps-probe-status.txt'), live.stdout]) {
      const lines = text.replace(/\n$/, '').split('\n');
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) expect(line).toMatch(STATUS_SHAPE);
    }
  });

  it('the same parser reads both, and the live table agrees with /proc', async () => {
    expect(parsePsTable(fixture('ps-status.txt'), fixture('ps-args.txt')).length).toBeGreaterThan(30);
    const sleeper = start('sleep', ['600']);
    // Sleeping, not just exec'd: the table and /proc are read at two moments, and `state` must agree.
    await waitFor(() => readStat(sleeper.pid!)?.comm === 'sleep' && readStat(sleeper.pid!)?.state === 'S');
    const table = parsePsTable(standin('ps', ['-axww', ...STATUS]).stdout, standin('ps', ['-axww', ...ARGS]).stdout);
    const mine = table.find((p) => p.pid === sleeper.pid);
    const proc = (await createLinuxSource().probe([sleeper.pid!])).get(sleeper.pid!)!;
    expect(mine).toMatchObject({ pid: proc.pid, ppid: proc.ppid, pgid: proc.pgid, uid: process.getuid!(), name: 'sleep', argv: ['sleep', '600'], state: 'S' });
    // lstart has whole seconds; the Linux start time is in ticks.
    expect(Math.abs(mine!.startedAt - proc.startedAt)).toBeLessThan(1000);
    expect(table.find((p) => p.pid === process.pid)?.argv).toEqual((await createLinuxSource().probe([process.pid])).get(process.pid)!.argv);
  });

  it('never lists pid 0 or a kernel thread, and sorts by terminal, then pid', () => {
    const pids = standin('ps', ['-axww', ...ARGS]).stdout.trimEnd().split('\n').map((l) => Number(l.trim().split(' ')[0]));
    expect(pids).not.toContain(0);
    expect(pids).not.toContain(2); // kthreadd
    expect(pids).toContain(process.pid);
  });
});

describe('ps: live processes', () => {
  it('shows arguments with spaces joined, and non-ASCII bytes as strvis() does in the C locale', async () => {
    // `sleep; :` keeps bash itself running (a last simple command would be exec'd in its place).
    const child = start('bash', ['-c', 'sleep 600; :', 'arg with spaces', 'café\ttab'], { detached: true });
    await waitFor(() => readStat(child.pid!)?.comm === 'bash');
    const r = standin('ps', ['-ww', ...ARGS, '-p', String(child.pid)]);
    expect(r).toMatchObject({ status: 0, stdout: `${String(child.pid).padStart(5)} bash -c sleep 600; : arg with spaces cafM-CM-)^Itab\n` });
  });

  it('cuts ucomm at 16 characters of the executable name, where Linux comm keeps 15', async () => {
    const dir = path.join(root, 'Library', 'Application Support', 'AIAgentPM');
    fs.mkdirSync(dir, { recursive: true });
    const bin = path.join(dir, 'mcpt-standin-long-helper');
    fs.copyFileSync('/bin/sleep', bin);
    fs.chmodSync(bin, 0o755);
    const child = start(bin, ['600'], { cwd: dir, detached: true });
    // Asleep, as the shape below says (just after its exec it may still be running, R).
    await waitFor(() => readStat(child.pid!)?.comm === 'mcpt-standin-lo' && readStat(child.pid!)?.state === 'S');
    const status = standin('ps', ['-ww', ...STATUS, '-p', String(child.pid)]).stdout;
    // Its own session (detached): `s` (after `N` when the suite itself runs under nice), and the
    // name cut to 16, padded like every other column.
    expect(status.replace(/\n$/, '')).toMatch(STATUS_SHAPE);
    expect(status).toMatch(/^ *\d+ +\d+ +\d+ +\d+ SN?s +.{24} {5}mcpt-standin-lon\n$/);
    const args = standin('ps', ['-ww', ...ARGS, '-p', String(child.pid)]).stdout;
    expect(args).toBe(`${String(child.pid).padStart(5)} ${bin} 600\n`);
    const info = parsePsTable(status, args)[0]!;
    expect(info.name).toBe('mcpt-standin-lon');
    // The working directory through lsof keeps its space, whole.
    expect(standin('lsof', ['-a', '-p', String(child.pid), '-d', 'cwd', '-Fn']).stdout).toBe(`p${child.pid}\nfcwd\nn${dir}\n`);
    expect(await createDarwinSource({ run }).readCwd(child.pid!)).toBe(dir);
  });

  it('names a script by its interpreter, as macOS does, and a nice process with N', async () => {
    const script = path.join(root, 'mcpt-script');
    fs.writeFileSync(script, `#!${process.execPath}\nsetInterval(() => {}, 1000);\n`, { mode: 0o755 });
    const child = start('nice', ['-n', '5', script]);
    await waitFor(() => readStat(child.pid!)?.comm === 'mcpt-script');
    const info = (await createDarwinSource({ run }).probe([child.pid!])).get(child.pid!);
    expect(info).toMatchObject({ name: 'node', argv: [process.execPath, script] });
    expect(standin('ps', ['-ww', ...STATUS, '-p', String(child.pid)]).stdout).toMatch(/^ *\d+ +\d+ +\d+ +\d+ [SIR]N/);
  });

  it('shows a zombie as Z with its arguments as (ucomm), which the source reads as no argv', async () => {
    // `sleep 0` exits and is never reaped: its parent exec'd a sleep that does not wait.
    const parent = start('bash', ['-c', 'sleep 0 & exec sleep 600']);
    const zombie = await waitFor(() => {
      const kids = fs.readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
      return kids.find((pid) => readStat(pid)?.state === 'Z');
    });
    expect(standin('ps', ['-ww', ...ARGS, '-p', String(zombie)]).stdout).toBe(`${String(zombie).padStart(5)} (sleep)\n`);
    expect(standin('ps', ['-ww', ...STATUS, '-p', String(zombie)]).stdout).toMatch(/^ *\d+ +\d+ +\d+ +\d+ Z    .{24} {5}sleep {11}\n$/);
    expect((await createDarwinSource({ run }).probe([zombie])).get(zombie)).toMatchObject({ state: 'Z', argv: [], name: 'sleep' });
  });

  it('appends the environment with -E, and the source reads the owner tag from it', async () => {
    const child = start('sleep', ['600'], { env: { MCP_REAPER_OWNER: 'run-standin/w1/test-1' } });
    await waitFor(() => readStat(child.pid!)?.comm === 'sleep');
    const out = standin('ps', ['-E', '-ww', '-o', 'command=', '-p', String(child.pid)]).stdout;
    expect(out.startsWith('sleep 600 ')).toBe(true);
    expect(out).toContain(' MCP_REAPER_OWNER=run-standin/w1/test-1');
    expect(await createDarwinSource({ run }).readEnv(child.pid!, 'MCP_REAPER_OWNER')).toBe('run-standin/w1/test-1');
  });

  it('a tag ownerTag() builds from a non-ASCII file name reads back the same through ps -E', async () => {
    // ps shows arguments and environment through strvis() in the C locale: `é` would come back as
    // `M-CM-)`, and a daemon tagged for `tests/café.test.ts` would not be its file's any more.
    const tag = ownerTag('run-1', 'w1', 'tests/café\u00a0ünï.test.ts');
    const child = start('sleep', ['600'], { env: { MCP_REAPER_OWNER: tag } });
    await waitFor(() => readStat(child.pid!)?.comm === 'sleep');
    expect(tag).toBe('run-1/w1/tests:caf%C3%A9_%C3%BCn%C3%AF.test.ts');
    expect(await createDarwinSource({ run }).readEnv(child.pid!, 'MCP_REAPER_OWNER')).toBe(tag);
  });

  it('exits 1 printing nothing when none of the -p pids exist, and lists the ones that do', () => {
    const gone = 2 ** 22 + 1; // above any pid_max
    expect(standin('ps', ['-ww', ...STATUS, '-p', String(gone)])).toMatchObject({ status: 1, stdout: '' });
    const some = standin('ps', ['-ww', ...ARGS, '-p', `${process.pid},${gone}`]);
    expect(some.status).toBe(0);
    expect(some.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('fails loudly (exit 2) on anything it does not emulate', () => {
    for (const [tool, args, env] of [
      ['ps', ['-ef'], C_UTC],
      ['ps', ['-axww', '-o', 'pid,args'], C_UTC],
      ['ps', ['-axww', '-o', 'pid=,rss='], C_UTC],
      ['ps', ['-axww', ...STATUS], { LC_ALL: 'de_DE.UTF-8', TZ: 'UTC0' }],
      ['ps', ['-axww', ...STATUS], { LC_ALL: 'C', TZ: 'Europe/Berlin' }],
      ['ps', ['-ax', '-ww', ...ARGS, '-p', '1'], C_UTC],
      ['lsof', ['-p', '1'], C_UTC],
      ['lsof', ['-i', ':80'], C_UTC],
    ] as const) {
      const r = standin(tool, args, env);
      expect(r.status, `${tool} ${args.join(' ')}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/not emulated/);
    }
  });
});

describe('lsof: listeners', () => {
  it('names the TCP ports a process group listens on (-g PGID), as the Linux path reads them from /proc', async () => {
    // A group of its own whose child listens on a port the kernel picked, on 127.0.0.1 and on ::1.
    const script = `const net = require('net');
const a = net.createServer().listen(0, '127.0.0.1', () => {
  const b = net.createServer().listen(0, '::1', () => console.log(JSON.stringify([a.address().port, b.address().port])));
});`;
    fs.writeFileSync(path.join(root, 'listen.cjs'), script);
    const leader = start('/bin/sh', ['-c', `"$0" "$1" > "$2"; :`, process.execPath, path.join(root, 'listen.cjs'), path.join(root, 'ports.json')], { detached: true });
    const ports = await waitFor(() => fs.existsSync(path.join(root, 'ports.json')) && (JSON.parse(fs.readFileSync(path.join(root, 'ports.json'), 'utf8') || 'null') as [number, number]));
    const out = standin('lsof', ['-nP', '-a', '-g', String(leader.pid), '-iTCP', '-sTCP:LISTEN', '-Fn']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^p\\d+\nf\\d+\nn127\\.0\\.0\\.1:${ports[0]}\nf\\d+\nn\\[::1\\]:${ports[1]}\n$`));
    const source = (await import('../../packages/core/src/processes/process-source.js')).defaultProcessSource;
    const { groupListeningPorts } = await import('../../packages/core/src/stack/port-listeners.js');
    const sorted = [...ports].sort((x, y) => x - y);
    expect(await groupListeningPorts(leader.pid!, source('darwin'), run)).toEqual(sorted);
    expect(await groupListeningPorts(leader.pid!, source('linux'))).toEqual(sorted);
    // A group that listens on nothing: exit 1, nothing printed.
    expect(standin('lsof', ['-nP', '-a', '-g', String(process.pid), '-iTCP', '-sTCP:LISTEN', '-Fn'])).toMatchObject({ status: 1, stdout: '' });
  });

  it('names a listening Unix socket by its path (spaces and all), a client end by ->0x…', async () => {
    const dir = path.join(root, 'Application Support');
    fs.mkdirSync(dir, { recursive: true });
    const socketPath = path.join(dir, 'mcp.sock');
    const server = start(process.execPath, [
      '-e',
      `const s = require('net').createServer(() => {}).listen(${JSON.stringify(socketPath)}, () => require('net').connect(${JSON.stringify(socketPath)}));`,
    ]);
    await waitFor(() => fs.existsSync(socketPath) && standin('lsof', ['-a', '-U', '-p', String(server.pid), '-Fn']).stdout.includes('->0x'));
    const out = standin('lsof', ['-a', '-U', '-p', String(server.pid), '-Fn']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^p${server.pid}\n(f\\d+\nn.*\n)+$`));
    expect(out.stdout).toContain(`\nn${socketPath}\n`);

    const holders = await socketHolders([socketPath, path.join(dir, 'other.sock')], [server.pid!, process.pid], 'darwin', run);
    expect(holders).toEqual(new Map([[socketPath, new Set([server.pid])]]));
    // A pid that is gone: lsof exits 1 but what it printed still counts.
    const gone = 2 ** 22 + 1;
    expect(standin('lsof', ['-a', '-U', '-p', `${server.pid},${gone}`, '-Fn']).status).toBe(1);
    expect(await socketHolders([socketPath], [server.pid!, gone], 'darwin', run)).toEqual(new Map([[socketPath, new Set([server.pid])]]));
    // Linux, from /proc, agrees.
    expect(await socketHolders([socketPath], [server.pid!, process.pid], 'linux')).toEqual(holders);
  });

  it('lists the pid listening on a TCP port with -t, and exits 1 when none does', async () => {
    const port = await freePort();
    const server = start(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1')`]);
    await waitFor(async () => (await portListeners(port, 'linux')).length > 0);
    expect(standin('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-t'])).toMatchObject({ status: 0, stdout: `${server.pid}\n` });
    expect(await portListeners(port, 'darwin', run)).toEqual(await portListeners(port, 'linux'));
    server.kill('SIGKILL');
    await waitFor(() => !isAlive(server.pid!));
    expect(standin('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-t'])).toMatchObject({ status: 1, stdout: '' });
  });
});

describe('the emulation server', () => {
  it('answers as the stand-in does by itself, byte for byte, for the caller: its locale, TZ, uid and log', async () => {
    const child = start('bash', ['-c', 'sleep 600; :', 'café\ttab'], { env: { MCP_REAPER_OWNER: 'run-server/w1/ünï' } });
    await waitFor(() => readStat(child.pid!)?.comm === 'bash');
    const pid = String(child.pid);
    const gone = String(2 ** 22 + 1);
    const log = path.join(root, 'server.log');
    for (const [tool, args, env] of [
      ['ps', ['-ww', ...ARGS, '-p', pid], C_UTC],
      ['ps', ['-ww', ...STATUS, '-p', pid], C_UTC],
      ['ps', ['-ww', ...STATUS, '-p', pid], { LC_ALL: 'C', TZ: undefined }],
      ['ps', ['-E', '-ww', '-o', 'command=', '-p', `${pid},${gone}`], C_UTC],
      ['ps', ['-ww', ...ARGS, '-p', gone], C_UTC],
      ['lsof', ['-a', '-p', pid, '-d', 'cwd', '-Fn'], C_UTC],
      ['lsof', ['-a', '-U', '-p', `${pid},${gone}`, '-Fn'], C_UTC],
      ['ps', ['-ww', '-o', 'pid=,café=', '-p', pid], C_UTC],
      // A locale this machine lacks: bash itself would warn about it on stderr (see bin/ps).
      ['ps', ['-ww', ...STATUS, '-p', pid], { LC_ALL: 'de_DE.UTF-8', TZ: 'UTC0' }],
      ['lsof', ['-a', '-p', pid, '-d', 'cwd', '-Fn'], { LC_ALL: 'de_DE.UTF-8' }],
      ['ps', ['-ww', ...STATUS, '-p', pid], { LC_ALL: undefined, LANG: 'de_DE.UTF-8', TZ: 'UTC0' }],
      ['ps', ['-ww', ...STATUS, '-p', pid], { LC_ALL: 'C', TZ: 'Europe/Berlin' }],
      ['lsof', ['-i', ':80'], C_UTC],
    ] as const) {
      fs.rmSync(log, { force: true });
      const call = `${tool} ${args.join(' ')} ${JSON.stringify(env)}`;
      const served = standin(tool, args, { ...env, MCP_REAPER_DARWIN_STANDIN_LOG: log });
      const alone = standin(tool, args, { ...env, MCP_REAPER_DARWIN_STANDIN_LOG: log }, { server: false });
      // The table itself may change between two calls (the sleeping bash turns idle, S to I, 20 s after
      // it last ran: a loaded machine gets there). The answer alone is taken between two served ones, so
      // it must equal one of them byte for byte.
      const servedAfter = standin(tool, args, { ...env, MCP_REAPER_DARWIN_STANDIN_LOG: log });
      expect([{ ...served, pid: 0 }, { ...servedAfter, pid: 0 }], call).toContainEqual({ ...alone, pid: 0 });
      expect(fs.readFileSync(log, 'utf8'), call).toBe(`${tool} ${args.join(' ')}\n`.repeat(3));
    }
  });

  itNeeds([needs.root], "-E by the caller's uid, not the server's: another user sees (ucomm) for root's processes", () => {
    const nobody = 65534;
    const args = ['-E', '-ww', '-o', 'command=', '-p', `${process.pid},${server.pid}`];
    const served = standin('ps', args, C_UTC, { uid: nobody });
    expect(served.stdout).toBe('(node)\n(node)\n');
    expect({ ...served, pid: 0 }).toEqual({ ...standin('ps', args, C_UTC, { uid: nobody, server: false }), pid: 0 });
    expect(standin('ps', args).stdout).toContain(' PATH=');
  });

  it('lists its caller as the bash client; with no server, or not this one, the stand-in answers by itself', () => {
    const ownLine = (r: Result) => r.stdout.split('\n').find((line) => line.trim().split(' ')[0] === String(r.pid));
    const served = standin('ps', ['-axww', ...ARGS]);
    expect(ownLine(served)).toBe(`${String(served.pid).padStart(5)} /bin/bash ${path.join(STANDIN_BIN_DIR, 'ps')} -axww -o pid=,args=`);
    const port = server.env[STANDIN_SERVER_ENV]!.split(':')[0];
    for (const alone of [standin('ps', ['-axww', ...ARGS], C_UTC, { server: false }), standin('ps', ['-axww', ...ARGS], { ...C_UTC, [STANDIN_SERVER_ENV]: `${port}:0000` })]) {
      expect(alone.status).toBe(0);
      expect(ownLine(alone)).toMatch(/ node \S+\/emulation\/standin\.mjs ps -axww -o pid=,args=$/);
    }
  });

  it('is gone after stop(), and when the process that started it dies, however it dies', async () => {
    const other = await startStandinServer();
    await other.stop();
    expect(isAlive(other.pid)).toBe(false);
    const starter = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startStandinServer } = await import(${JSON.stringify(new URL('./emulation/start-server.mjs', import.meta.url).href)});
const { pid } = await startStandinServer();
console.log(pid);
process.kill(process.pid, 'SIGKILL');`,
      ],
      { encoding: 'utf8' },
    );
    expect(starter.signal).toBe('SIGKILL');
    const orphan = Number(starter.stdout);
    expect(orphan).toBeGreaterThan(0);
    await waitFor(() => !isAlive(orphan), { timeoutMs: 5000, message: `the server ${orphan} to exit with its parent` });
  });
});
