// The human report as a person sees it: the built CLI in a real terminal (a tmux pane), read back
// with `tmux capture-pane`. ASSUMES dist IS BUILT (`pnpm --filter @mcp-reaper/core build`), as bin.test.ts.
// Each test has its own tmux server (-S, in a temp dir of its own), killed at the end, and its own sandbox of fake daemons.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/fake-daemon.js';
import { describeNeeds, needs } from '../helpers/needs.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../packages/core/bin/mcp-reaper.js', import.meta.url));
/**
 * The stubborn daemon ignores SIGTERM this long: the progress line shows from 1 s on, so it is on the
 * screen for 2.5 s, ample for a poll of the pane even on a loaded machine.
 */
const GRACE_MS = 3500;
const END = '[mcp-reaper exited';

interface Terminal {
  /** The pane as text; with `escapes`, with its colours as escape codes. */
  capture(escapes?: boolean): string;
  kill(): void;
}

/** A 120×40 terminal running `argv` under `env` only, then printing its exit code and holding the pane. */
function openTerminal(argv: readonly string[], env: Record<string, string>): Terminal {
  // A server of its own, on a socket in a temp dir of its own: nothing is left in tmux's shared dir.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-tmux-'));
  const socket = path.join(dir, 'tmux.sock');
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const vars = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  // `env -i`: nothing of the test runner's environment (MCP_REAPER_*, FORCE_COLOR, CI) reaches the CLI.
  const script = `env -i ${vars.join(' ')} ${argv.map(quote).join(' ')}; echo "${END} $?]"; exec sleep 600`;
  tmux('new-session', '-d', '-x', '120', '-y', '40', 'sh', '-c', script);
  return {
    capture: (escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-J'),
    kill: () => {
      try {
        tmux('kill-server');
      } catch {
        // Already gone: nothing to stop.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let sb: Sandbox;
let terminal: Terminal | undefined;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  terminal?.kill();
  terminal = undefined;
  await sb.cleanup();
});

/** A mess: a daemon that stops on SIGTERM, one that ignores it (with its own socket), and a `serve` whose client still runs. */
async function makeMess() {
  const polite = await sb.start();
  const stubborn = await sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, 'stubborn.sock')], env: { FAKE_MCP_IGNORE_TERM: '1' } });
  const serve = sb.spawnRaw(['serve']);
  await waitFor(() => sb.name.length > 0 && isAlive(serve.pid));
  return { polite, stubborn, serve };
}

function sweepIn(extraEnv: Record<string, string>, ...flags: string[]): Terminal {
  const env = { PATH: process.env.PATH ?? '', HOME: sb.root, TERM: 'xterm-256color', ...extraEnv };
  return openTerminal([process.execPath, BIN, '--dir', sb.stateDir, '--name', sb.name, ...flags], env);
}

const ended = (t: Terminal) => waitFor(() => t.capture().includes(END) && t.capture(), { timeoutMs: 30_000, message: () => `the sweep to end:\n${t.capture()}` });

describeNeeds([needs.proc, needs.tmux], 'the report in a terminal', () => {
  it('shows a progress line while it waits, then aligned columns in colour and a summary', async () => {
    const { polite, stubborn, serve } = await makeMess();
    terminal = sweepIn({}, '--grace', String(GRACE_MS));
    const t = terminal;

    // Mid-wait: the stubborn daemon holds the sweep for GRACE_MS; after a second the line appears.
    const during = await waitFor(
      () => {
        const screen = t.capture();
        return /^waiting for 1 process to exit \(\d+\.\d s\)…$/m.test(screen) && screen;
      },
      { timeoutMs: 20_000, message: () => `the progress line:\n${t.capture()}` },
    );
    // On its own line, before any of the report: the sweep is still waiting.
    expect(during).not.toMatch(/stopped|terminated|killed/);

    const screen = await ended(t);
    expect(screen).toContain(`${END} 0]`);
    // Gone at the end: erased in place, so nothing of it is left on the screen.
    expect(screen).not.toContain('waiting for');

    const lines = screen.split('\n');
    const row = (pid: number) => lines.find((l) => new RegExp(`^\\s+\\S+\\s+${pid}\\s`).test(l));
    const terminated = row(polite.pid)!;
    const killed = row(stubborn.pid)!;
    const kept = row(serve.pid)!;
    expect(terminated).toMatch(/^ {2}terminated +\d+ SIGTERM /);
    expect(killed).toMatch(/^ {2}killed +\d+ SIGKILL /);
    expect(kept).toMatch(/^ {2}kept +\d+ {9}/);
    // Aligned: the pids end, the commands start and the reasons start at the same column on each row.
    const rows = [terminated, killed, kept];
    const pidEnd = (l: string, pid: number) => l.indexOf(String(pid)) + String(pid).length;
    expect(new Set([pidEnd(terminated, polite.pid), pidEnd(killed, stubborn.pid), pidEnd(kept, serve.pid)]).size).toBe(1);
    const commandAt = rows.map((l) => l.indexOf(`…/${sb.name} `));
    expect(commandAt.every((at) => at > 0)).toBe(true);
    expect(new Set(commandAt).size).toBe(1);
    const reasonAt = [terminated.indexOf('leftover'), killed.indexOf('leftover'), kept.indexOf('`serve`')];
    expect(reasonAt.every((at) => at > 0)).toBe(true);
    expect(new Set(reasonAt).size).toBe(1);

    expect(lines.find((l) => /^ {2}removed +\S*stubborn\.sock/.test(l))).toBeDefined();
    expect(screen).toMatch(/^2 daemons stopped \(1 needed SIGKILL\), \d files? removed, 1 kept, in \d+ ms$/m);

    // Colour on a terminal: the action words carry escape codes (green for stopped, yellow for kept).
    const coloured = t.capture(true);
    expect(coloured).toMatch(/\u001b\[32mterminated/);
    expect(coloured).toMatch(/\u001b\[33mkept/);
    expect(isAlive(stubborn.pid)).toBe(false);
  });

  it('has no colour under NO_COLOR, and shows the evidence with --verbose', async () => {
    const { polite, stubborn } = await makeMess();
    terminal = sweepIn({ NO_COLOR: '1' }, '--verbose', '--grace', '100');
    const screen = await ended(terminal);
    expect(screen).toContain(`${END} 0]`);
    expect(terminal.capture(true)).not.toMatch(/\u001b\[(3\d|2)m/);
    const lines = screen.split('\n');
    for (const pid of [polite.pid, stubborn.pid]) {
      const at = lines.findIndex((l) => new RegExp(`^\\s+\\S+\\s+${pid}\\s`).test(l));
      expect(lines[at + 1]).toMatch(new RegExp(`^ {15}matched ${sb.name} by argv\\[1\\], behind an interpreter, subcommand daemon; orphaned: adopted by \\d+ \\(.*\\); no owner tag$`));
    }
  });
});
