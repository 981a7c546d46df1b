// Sample projects as users have them: a temp directory outside the workspace, the runner from the
// registry, and our packages installed with npm from the tarballs `pnpm pack` makes (not workspace
// links), so the tests prove what a user installs. `pnpm test` builds the packages first. The
// install is the run's kit for these dependencies (kits.ts), hard-linked in as the project's node_modules.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kitModules } from './kits.js';

export { packWorkspace } from './kits.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SampleProject {
  dir: string;
  /** The TMPDIR of what runs in the project (its runners, mcp-reaper's registry of their runs). */
  tmp: string;
  /** Runs a command in the project (e.g. `npx jest`), collecting its output. */
  run(command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  /** Starts a command in its own process group (detached), for tests that signal the whole group. */
  start(command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv }): ChildProcess & { output(): string };
  /**
   * Starts a command on a terminal of its own (a pty, through util-linux `script`), as a user runs a
   * watch mode: runners read keys (`q`, Ctrl-C) only from a TTY. `type()` sends keys to it; Ctrl-C
   * is `'\x03'`. `output()` is what it printed, without colours and cursor moves.
   */
  terminal(command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv }): ChildProcess & { output(): string; type(keys: string): void };
  /** Writes (or overwrites) files, relative to the project. */
  write(files: Record<string, string>): void;
  remove(): void;
}

export interface ProjectOptions {
  /** A short name for the temp directory. */
  name: string;
  /** Packages from the registry, name → version range (the runner, e.g. `{ jest: '^30' }`). */
  dependencies: Record<string, string>;
  /** Our packages to install from their tarballs, by name. `@mcp-reaper/core` always comes too. */
  packages: readonly string[];
  /** More package.json fields (`type`, `jest`, `mcpReaper`…). */
  packageJson?: Record<string, unknown>;
  files?: Record<string, string>;
  /** The node to run with (e.g. Node 22 for Vitest 5). Default: this one. */
  nodePath?: string;
}

/**
 * A terminal is a developer's, not CI's: runners that see CI (Vitest through std-env, Jest through
 * ci-info) turn watch mode and its key help off. CI=false is not enough: std-env 4 takes any value
 * of CI for CI, so the markers are removed.
 */
const NOT_CI: NodeJS.ProcessEnv = { CI: undefined, CONTINUOUS_INTEGRATION: undefined, BUILD_ID: undefined, BUILD_NUMBER: undefined, RUN_ID: undefined };

/** A word for `sh -c`, quoted unless it is plainly safe. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** Terminal output as text: no colour or cursor sequences, no carriage returns. */
function stripTerminalCodes(text: string): string {
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\r/g, '');
}

/**
 * A copy of the tree at `from` made of hard links (directories made anew, symbolic links copied as
 * links): a tenth of a second for a kit, and every file then has a path inside the project, so each
 * process a runner starts names the project in its command line, as with a project's own install.
 */
function linkTree(from: string, to: string): void {
  fs.mkdirSync(to);
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
    else fs.linkSync(source, target);
  }
}

/** Creates a project outside the workspace and installs it with npm, as a user would. */
export async function createProject(options: ProjectOptions): Promise<SampleProject> {
  // The kit first: when its install fails (no pnpm, no registry), no project dir is left behind.
  const kit = await kitModules({ dependencies: options.dependencies, packages: options.packages });
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `mcp-reaper-e2e-${options.name}-`)));
  // What the runners write to a temp dir (Jest's cache, Vite's and Playwright's, mcp-reaper's
  // registry) goes to one of the project's own, removed with it. Short, beside the project rather
  // than in it: a stack's socket in ${dir} must fit in a Unix socket address (107 bytes).
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 't-')));
  const packageJson = {
    name: `sample-${options.name}`,
    private: true,
    ...options.packageJson,
    // What the project would install; the kit holds it (and maybe more runners beside it).
    dependencies: { ...options.dependencies, ...Object.fromEntries(['@mcp-reaper/core', ...options.packages].map((name) => [name, '*'])) },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  const write = (files: Record<string, string>) => {
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
  };
  write(options.files ?? {});
  linkTree(kit, path.join(dir, 'node_modules'));

  const node = options.nodePath ?? process.execPath;
  const environment = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const merged: NodeJS.ProcessEnv = {
    ...process.env,
    // The project runs as a user's would: none of this repository's test settings leak in.
    VITEST: undefined,
    VITEST_WORKER_ID: undefined,
    VITEST_POOL_ID: undefined,
    NODE_OPTIONS: undefined,
    MCP_REAPER_OWNER: undefined,
    MCP_REAPER_RUN: undefined,
    NO_COLOR: '1',
    TMPDIR: tmp,
    TMUX_TMPDIR: tmp,
    PATH: `${path.dirname(node)}${path.delimiter}${path.join(dir, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    ...env,
    };
    for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
    return merged;
  };

  return {
    dir,
    write,
    tmp,
    remove: () => {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    },
    run(command, args, runOptions = {}) {
      return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: dir, env: environment(runOptions.env), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        const timer = setTimeout(() => child.kill('SIGKILL'), runOptions.timeoutMs ?? 120_000);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
      });
    },
    start(command, args, startOptions = {}) {
      const child = spawn(command, args, { cwd: dir, env: environment(startOptions.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let output = '';
      child.stdout?.on('data', (chunk) => (output += chunk));
      child.stderr?.on('data', (chunk) => (output += chunk));
      return Object.assign(child, { output: () => output });
    },
    terminal(command, args, terminalOptions = {}) {
      // script runs the command in a new session on the pty (the terminal's foreground group, as in a
      // shell), copies our stdin to it and its output to ours. A pty with no size would be 0 columns.
      const line = `stty cols 120 rows 40; exec ${[command, ...args].map(shellQuote).join(' ')}`;
      const child = spawn('script', ['--quiet', '--flush', '--return', '--command', line, '/dev/null'], {
        cwd: dir,
        env: environment({ NO_COLOR: undefined, TERM: 'xterm-256color', ...NOT_CI, ...terminalOptions.env }),
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let raw = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
      child.stdin?.on('error', () => {}); // the terminal may be gone when a test types its last key
      // Stripped when read: a chunk may end inside an escape sequence.
      return Object.assign(child, { output: () => stripTerminalCodes(raw), type: (keys: string) => void child.stdin?.write(keys) });
    },
  };
}
