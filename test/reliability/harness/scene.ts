// The one checker of the reliability suite. A case builds a scene of real processes and files, each
// with a role: a target must be gone afterwards, a bystander must be untouched (alive, the same start
// time, no SIGTERM/SIGHUP/SIGINT received), a file to keep must be there unchanged, a stale file must
// be gone. `check()` looks at all of them after the sweep, tallies the case into the ledger and fails
// the case, by itself, with a sentence per problem.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { SweepReport } from '../../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, readCmdline, readStat, waitFor } from '../../helpers/wait.js';
import { record } from './ledger.js';

export const BYSTANDER_SCRIPT = fileURLToPath(new URL('../fixtures/bystander.mjs', import.meta.url));

/** What was seen of one process after the sweep (taken here, or inside a pid namespace by a script). */
export interface SeenProcess {
  label: string;
  pid: number;
  role: 'target' | 'bystander';
  /** Alive and still the process that was registered (same start time). */
  alive: boolean;
  /** Signals a bystander recorded (empty for one that cannot record: its death shows instead). */
  signals: string[];
}

export interface SeenFile {
  label: string;
  path: string;
  role: 'keep' | 'remove';
  /** For `keep`: what changed, if anything. For `remove`: whether it is still there. */
  problem: string | undefined;
}

export interface Verdict {
  wrongKills: number;
  wrongDeletions: number;
  survivors: number;
  problems: string[];
}


/** Counts what went wrong. A bystander the report claims to have stopped is a wrong kill too. */
export function judge(processes: readonly SeenProcess[], files: readonly SeenFile[], report?: Pick<SweepReport, 'processes'>): Verdict {
  const verdict: Verdict = { wrongKills: 0, wrongDeletions: 0, survivors: 0, problems: [] };
  // What the report says it signalled (or would): an entry without a signal, such as a process that
  // "exited on its own before it was signalled", claims nothing.
  const claimed = new Map(
    (report?.processes ?? []).filter((p) => p.signal !== undefined || p.action === 'would-kill').map((p) => [p.pid, p.signal ?? p.action]),
  );
  const said = (pid: number) => {
    const entry = report?.processes.find((p) => p.pid === pid);
    return entry ? `the report says ${entry.action}: ${entry.reason}` : 'the report does not name it';
  };
  for (const p of processes) {
    const who = `${p.label} (pid ${p.pid})`;
    if (p.role === 'target') {
      if (p.alive) {
        verdict.survivors++;
        verdict.problems.push(`survivor: ${who} is still running (${said(p.pid)})`);
      }
    } else if (!p.alive) {
      verdict.wrongKills++;
      verdict.problems.push(`wrong kill: ${who} is gone (${said(p.pid)})`);
    } else if (p.signals.length > 0) {
      verdict.wrongKills++;
      verdict.problems.push(`wrong kill: ${who} received ${p.signals.join(', ')}`);
    } else if (claimed.has(p.pid)) {
      verdict.wrongKills++;
      verdict.problems.push(`wrong kill: the report says ${who} got ${claimed.get(p.pid)}`);
    }
  }
  for (const f of files) {
    if (f.problem === undefined) continue;
    if (f.role === 'keep') {
      verdict.wrongDeletions++;
      verdict.problems.push(`wrong deletion: ${f.label} ${f.path} ${f.problem}`);
    } else {
      verdict.survivors++;
      verdict.problems.push(`survivor: stale ${f.label} ${f.path} ${f.problem}`);
    }
  }
  return verdict;
}

/** Tallies a case into the ledger, then fails it if anything went wrong. */
export function settle(family: string, title: string, verdict: Verdict, extra: { generated?: number } = {}): void {
  const { wrongKills, wrongDeletions, survivors } = verdict;
  record({ family, title, wrongKills, wrongDeletions, survivors, ...extra });
  expect(verdict.problems, `${family}: ${title}`).toEqual([]);
}

/** What a file is now, to tell later whether it was removed, replaced or changed. */
function fileFacts(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  const kind = stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : stat.isSocket() ? 'socket' : stat.isFIFO() ? 'fifo' : 'other';
  let content = '';
  // A file its owner may not read (mode 000, swept as an ordinary user) is judged by its size and mtime.
  if (kind === 'file') content = (stat.mode & 0o444) === 0 && process.getuid?.() !== 0 ? `size ${stat.size} mtime ${stat.mtimeMs}` : fs.readFileSync(file).toString('base64');
  if (kind === 'symlink') content = `-> ${fs.readlinkSync(file)}`;
  if (kind === 'directory') content = fs.readdirSync(file).sort().join('/');
  return `${kind} inode ${stat.ino} uid ${stat.uid} ${content}`;
}

/** Writes an executable `dir/fileName` that runs `script` with node; its kernel name is `fileName` (cut to 15). */
export function wrapper(dir: string, fileName: string, script = BYSTANDER_SCRIPT): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, fileName);
  fs.writeFileSync(file, `#!${process.execPath}\nimport(${JSON.stringify(`file://${script}`)});\n`, { mode: 0o755 });
  return file;
}

export interface BystanderOptions {
  /** File name of its wrapper, and so its kernel name (default `bystander`). */
  name?: string;
  /** The wrapper's directory (default the sandbox's bin dir; give another for the daemon's own name, or it replaces the fake). */
  dir?: string;
  args?: string[];
  /** Listen on this Unix socket. */
  listen?: string;
  /** Run this instead of a wrapper (e.g. node with `-e`); it should still run the bystander script. */
  command?: string;
  /** Its working directory while it binds (for a socket path too long to name whole). */
  cwd?: string;
  /** Process title to set (rewrites argv and the kernel name). */
  title?: string;
  env?: Record<string, string | undefined>;
}

export interface Scene {
  sb: Sandbox;
  /** The daemon's name in this case (a unique stand-in for `mcp-server-pm`). */
  name: string;
  /** Starts a bystander that records signals and waits until it is ready. Resolves to its pid. */
  bystander(label: string, options?: BystanderOptions): Promise<number>;
  /**
   * Starts any command as a bystander (it cannot record signals: SIGTERM, SIGHUP and SIGINT kill it, so
   * they show as its death). Resolves once it runs `comm`, i.e. after its exec.
   */
  command(label: string, command: string, args: string[], comm: string, options?: { stdio?: 'pipe' | 'ignore'; env?: Record<string, string | undefined> }): Promise<number>;
  /** A process that exists already (this worker, its parent, pid 1) and must be untouched. */
  watch(label: string, pid: number): void;
  /** A process that must be gone after the sweep. */
  target(label: string, pid: number): void;
  /** A file (or link, directory, socket) that must be there, unchanged, after the sweep. */
  keep(label: string, file: string): void;
  /** A stale file that must be gone after the sweep. */
  remove(label: string, file: string): void;
  /** Signal log of a bystander, for a case's own assertions. */
  signalsOf(pid: number): string[];
  /** Judges the scene after the sweep, tallies it, and fails the case if anything went wrong. */
  check(title: string, report?: Pick<SweepReport, 'processes'>): void;
  cleanup(): Promise<void>;
}

export async function createScene(family: string): Promise<Scene> {
  const sb = await createSandbox();
  const processes: Array<{ label: string; pid: number; role: SeenProcess['role']; startTime: string | undefined; log?: string }> = [];
  const files: Array<{ label: string; path: string; role: SeenFile['role']; facts: string | undefined }> = [];
  let count = 0;

  const register = (label: string, pid: number, role: SeenProcess['role'], log?: string) => {
    processes.push({ label, pid, role, startTime: readStat(pid)?.startTime, ...(log && { log }) });
  };
  const readSignals = (log: string | undefined): string[] => {
    if (log === undefined || !fs.existsSync(log)) return [];
    return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  };

  return {
    sb,
    name: sb.name,
    async bystander(label, options = {}) {
      const n = ++count;
      const log = path.join(sb.root, `signals-${n}.log`);
      const ready = path.join(sb.root, `bystander-${n}.ready`);
      const bin = options.command ?? wrapper(options.dir ?? sb.binDir, options.name ?? 'bystander');
      const child = sb.spawnRaw(options.args ?? [], {
        ...options.env,
        BYSTANDER_SIGNALS: log,
        BYSTANDER_READY: ready,
        BYSTANDER_LISTEN: options.listen,
        BYSTANDER_CWD: options.cwd,
        BYSTANDER_TITLE: options.title,
      }, { command: bin, detached: true, stdio: 'ignore' });
      await waitFor(() => fs.existsSync(ready), { timeoutMs: 15_000, message: `bystander ${label} to be ready` });
      register(label, child.pid, 'bystander', log);
      return child.pid;
    },
    async command(label, command, args, comm, options = {}) {
      const child = sb.spawnRaw(args, options.env ?? {}, { command, detached: true, stdio: options.stdio ?? 'ignore' });
      await waitFor(() => readStat(child.pid)?.comm === comm && (readCmdline(child.pid)?.length ?? 0) > 0, {
        message: () => `${label} to run ${comm} (now ${readStat(child.pid)?.comm})`,
      });
      register(label, child.pid, 'bystander');
      return child.pid;
    },
    watch: (label, pid) => register(label, pid, 'bystander'),
    target: (label, pid) => register(label, pid, 'target'),
    keep: (label, file) => files.push({ label, path: file, role: 'keep', facts: fileFacts(file) }),
    remove: (label, file) => files.push({ label, path: file, role: 'remove', facts: undefined }),
    signalsOf: (pid) => readSignals(processes.find((p) => p.pid === pid)?.log),
    check(title, report) {
      const seen: SeenProcess[] = processes.map((p) => ({
        label: p.label,
        pid: p.pid,
        role: p.role,
        alive: isAlive(p.pid) && readStat(p.pid)?.startTime === p.startTime,
        signals: readSignals(p.log),
      }));
      const seenFiles: SeenFile[] = files.map((f) => {
        const now = fileFacts(f.path);
        if (f.role === 'remove') return { ...f, problem: now === undefined ? undefined : `is still there (${now.split(' ')[0]})` };
        const problem = now === undefined ? 'was removed' : now !== f.facts ? `was changed (${f.facts} became ${now})` : undefined;
        return { ...f, problem };
      });
      settle(family, title, judge(seen, seenFiles, report));
    },
    cleanup: () => sb.cleanup(),
  };
}
