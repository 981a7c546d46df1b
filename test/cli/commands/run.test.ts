// `mcp-reaper run -- <command…>`: real commands, real fake daemons, a unique fake name, a sandbox dir.
// The Ctrl-C test spawns the BUILT CLI, packages/core/bin/mcp-reaper.js, which imports dist/cli/main.js.
// ASSUMES dist IS BUILT: `pnpm test` builds before vitest; when running this file alone, run
// `pnpm --filter @mcp-reaper/core build` first.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { runCli } from '../../helpers/run-cli.js';
import { isAlive, waitFor } from '../../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../../packages/core/bin/mcp-reaper.js', import.meta.url));
const NODE = process.execPath;

/**
 * A command that starts a forking fake daemon, waits for its ready file, writes `marker` (when not
 * '-'), then either exits with `code` or, given 'sleep', runs until a signal ends it.
 * Usage: node leave-daemon.mjs <bin> <readyFile> <marker|-> <code|sleep>
 */
const LEAVE_DAEMON = `
import { spawn } from 'node:child_process';
import fs from 'node:fs';
const [bin, readyFile, marker, then] = process.argv.slice(2);
spawn(bin, ['daemon'], { stdio: 'ignore', env: { ...process.env, FAKE_MCP_READY_FILE: readyFile } });
const deadline = Date.now() + 15000;
const poll = setInterval(() => {
  if (!fs.existsSync(readyFile)) {
    if (Date.now() > deadline) { console.error('daemon not ready'); process.exit(99); }
    return;
  }
  clearInterval(poll);
  if (marker !== '-') fs.writeFileSync(marker, 'ready');
  if (then === 'sleep') setInterval(() => {}, 60000);
  else process.exit(Number(then));
}, 10);
`;

/** Prints `<pid> alive|gone` for each pid, from /proc (a zombie counts as gone), and whether files exist. */
const CHECK = `
const fs = require('node:fs');
for (const arg of process.argv.slice(1)) {
  if (/^\\d+$/.test(arg)) {
    let state = 'gone';
    try { const s = fs.readFileSync('/proc/' + arg + '/stat', 'utf8'); if (!/^[ZX]/.test(s.slice(s.lastIndexOf(')') + 2))) state = 'alive'; } catch {}
    console.log(arg + ' ' + state);
  } else console.log(arg + ' ' + (fs.existsSync(arg) ? 'exists' : 'absent'));
}
`;

let sb: Sandbox;
let leaveDaemon: string;

beforeEach(async () => {
  sb = await createSandbox();
  leaveDaemon = path.join(sb.root, 'leave-daemon.mjs');
  fs.writeFileSync(leaveDaemon, LEAVE_DAEMON);
});
afterEach(async () => {
  await sb.cleanup();
});

/** Only what the commands need: no MCP_REAPER_* from the runner, the sandbox as XDG_DATA_HOME. */
function env(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: sb.root, XDG_DATA_HOME: sb.dataHome, FAKE_MCP_LOG_FILE: sb.logFile, NO_COLOR: '1' };
}

/** `mcp-reaper run` in-process, always confined to the sandbox's dir and fake name. */
function run(args: string[], command: string[]) {
  return runCli(['run', '--dir', sb.stateDir, '--name', sb.name, ...args, '--', ...command], sb.root, env());
}

function readyPid(readyFile: string): number {
  const pid = (JSON.parse(fs.readFileSync(readyFile, 'utf8')) as { pid: number }).pid;
  sb.track(pid);
  return pid;
}

describe('mcp-reaper run: exit status', () => {
  it('passes 0 and 3 through, and the command’s stdout', async () => {
    const listeners = () => ['SIGINT', 'SIGTERM', 'SIGHUP'].map((signal) => process.listenerCount(signal));
    const before = listeners();
    const ok = await run([], [NODE, '-e', 'console.log("from the command")']);
    expect(ok).toMatchObject({ code: 0, stdout: 'from the command\n', stderr: '' });
    // The forwarding handlers live only as long as the command.
    expect(listeners()).toEqual(before);
    const three = await run([], [NODE, '-e', 'process.exit(3)']);
    expect(three.code).toBe(3);
  });

  it('maps a signal death to 128 + the signal number, as shells do', async () => {
    const result = await run([], [NODE, '-e', 'process.kill(process.pid, "SIGTERM"); setTimeout(() => {}, 10000)']);
    expect(result.code).toBe(128 + 15);
  });

  it('passes flags after the command name to the command, with or without --', async () => {
    const printArgs = path.join(sb.root, 'print-args.cjs');
    fs.writeFileSync(printArgs, 'console.log(process.argv.slice(2).join(" "));\n');
    const result = await runCli(
      ['run', '--dir', sb.stateDir, '--name', sb.name, NODE, printArgs, '--quiet', '--', '-x'],
      sb.root,
      env(),
    );
    expect(result).toMatchObject({ code: 0, stdout: '--quiet -- -x\n' });
  });
});

describe('mcp-reaper run: sweeps', () => {
  it('stops a planted leftover before the command starts', async () => {
    const daemon = await sb.start();
    const result = await run([], [NODE, '-e', CHECK, String(daemon.pid), sb.pidFile, sb.socketPath]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${daemon.pid} gone\n${sb.pidFile} absent\n${sb.socketPath} absent\n`);
    // One concise summary line for the sweep that did something, none for the clean one.
    // (The fake removes its own files on SIGTERM, so the sweep may find none left to remove.)
    expect(result.stderr).toMatch(/^mcp-reaper: swept before `.*`: 1 daemon stopped(, \d files? removed)?, in \d+ ms\n$/);
  });

  it('prints nothing of its own with --quiet when the sweeps were ok', async () => {
    await sb.start();
    const result = await run(['--quiet'], [NODE, '-e', '']);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('stops a daemon the command leaves behind, and keeps the command’s status', async () => {
    const readyFile = path.join(sb.root, 'left.json');
    const result = await run([], [NODE, leaveDaemon, sb.bin, readyFile, '-', '4']);
    expect(result.code).toBe(4);
    const pid = readyPid(readyFile);
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(sb.pidFile)).toBe(false);
    expect(fs.existsSync(sb.socketPath)).toBe(false);
    expect(result.stderr).toMatch(/swept after `.*`: 1 daemon stopped/);
  });

  it('reports a sweep that is not ok, still runs the command, and fails a successful run', async () => {
    // A foreground fake shares this test process's group, so every sweep from here must skip it.
    const daemon = await sb.start({ foreground: true });
    const result = await run([], [NODE, '-e', 'console.log("ran")']);
    expect(result.stdout).toBe('ran\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`skipped`);
    expect(result.stderr).toContain(String(daemon.pid));
    expect(result.stderr).toContain("mcp-reaper's own process group");
    expect(result.stderr).toMatch(/^mcp-reaper: swept before `.*`: 1 process skipped for safety.*; see the reasons above$/m);
    expect(result.stderr).toMatch(/^mcp-reaper: swept after `.*`: 1 process skipped for safety.*; see the reasons above$/m);
    expect(isAlive(daemon.pid)).toBe(true);
  });
});

describe('mcp-reaper run: usage and failures to start', () => {
  it('exits 127 for a missing command, naming it, and still sweeps after', async () => {
    await sb.start();
    // --dry-run leaves the daemon in place, so both sweeps have something to report.
    const result = await run(['--dry-run'], ['mcpr-no-such-command-xyz', '--flag']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('cannot run "mcpr-no-such-command-xyz": command not found (ENOENT)');
    expect(result.stderr).toMatch(/swept before `.*`: 1 daemon would be stopped/);
    expect(result.stderr).toMatch(/swept after `.*`: 1 daemon would be stopped/);
  });

  it('exits 126 for a file that is not executable', async () => {
    const file = path.join(sb.root, 'not-executable');
    fs.writeFileSync(file, 'echo hi\n', { mode: 0o644 });
    const result = await run([], [file]);
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('EACCES');
  });

  it('exits 2 with a usage message when no command is given', async () => {
    for (const argv of [
      ['run', '--dir', sb.stateDir, '--name', sb.name, '--'],
      ['run', '--dir', sb.stateDir, '--name', sb.name],
    ]) {
      const result = await runCli(argv, sb.root, env());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("missing required argument 'command'");
    }
  });
});

describe('mcp-reaper run: signals (built CLI)', () => {
  /**
   * Starts the built CLI on a command that leaves a daemon and sleeps, detached so that the run
   * leads its own process group like a job in a terminal, and waits until the command is running.
   */
  async function startSleepingRun() {
    const readyFile = path.join(sb.root, 'ready-run.json');
    const marker = path.join(sb.root, 'command-running');
    const strip = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('MCP_REAPER_')).map((k) => [k, undefined]));
    const reaper = sb.spawnRaw(
      [BIN, 'run', '--dir', sb.stateDir, '--name', sb.name, '--', NODE, leaveDaemon, sb.bin, readyFile, marker, 'sleep'],
      { ...strip, NO_COLOR: '1' },
      { command: NODE, detached: true },
    );
    await waitFor(() => fs.existsSync(marker), {
      timeoutMs: 20_000,
      message: () => `the command's marker file\n${reaper.stderr()}`,
    });
    const daemon = readyPid(readyFile);
    expect(isAlive(daemon)).toBe(true);
    return { reaper, daemon };
  }

  it('forwards a SIGTERM sent to mcp-reaper alone, then cleans', async () => {
    const { reaper, daemon } = await startSleepingRun();
    process.kill(reaper.pid, 'SIGTERM');
    const exit = await reaper.exited;
    expect(exit, reaper.stderr()).toEqual({ code: 128 + 15, signal: null });
    expect(isAlive(daemon)).toBe(false);
    expect(reaper.stderr()).toMatch(/swept after `.*`: 1 daemon stopped/);
  });

  it('forwards Ctrl-C and still cleans', async () => {
    const { reaper, daemon } = await startSleepingRun();

    // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
    process.kill(-reaper.pid, 'SIGINT');
    const exit = await reaper.exited;
    expect(exit, reaper.stderr()).toEqual({ code: 130, signal: null });
    expect(isAlive(daemon)).toBe(false);
    expect(fs.existsSync(sb.pidFile)).toBe(false);
    expect(fs.existsSync(sb.socketPath)).toBe(false);
    expect(reaper.stderr()).toMatch(/swept after `.*`: 1 daemon stopped/);
  });
});
