import path from 'node:path';
import type { ProcessInfo } from './process-info.js';

/**
 * Interpreters whose argv[1] is the program they run (`node /opt/bin/mcp-server-pm daemon`, or a
 * shebang script, which the kernel runs as `interpreter script args…`).
 */
export const INTERPRETER = /^(node|nodejs|bun|deno|python[0-9.]*|pypy[0-9.]*|ruby|perl|php|sh|bash|dash|zsh|ksh|mksh|fish)$/;

/**
 * Linux keeps at most 15 characters of a process name (TASK_COMM_LEN - 1). A name of that length may
 * be cut from a longer one (`mcp-server-pm-helper` shows as `mcp-server-pm-h`), so it proves nothing
 * on its own: then the command line has to match too.
 */
const MAX_UNTRUNCATED_NAME = 14;

/**
 * Whether a process with this kernel name can be one of the daemons at all, before its command line
 * is read. The kernel name is always the basename of the file that was executed (for a script, the
 * script), cut to 15 characters: so a daemon's kernel name is its name, a prefix of a long name, or
 * an interpreter's. Reading /proc/PID/cmdline only for these halves the cost of a scan (see
 * docs/decisions.md); what it gives up is `exec -a mcp-server-pm other-binary`, which is not the
 * daemon's executable.
 */
export function mayMatch(kernelName: string, names: ReadonlySet<string>): boolean {
  if (names.has(kernelName) || INTERPRETER.test(kernelName)) return true;
  if (kernelName.length <= MAX_UNTRUNCATED_NAME) return false;
  for (const name of names) if (name.startsWith(kernelName)) return true;
  return false;
}

export interface DaemonMatch {
  /** The configured name that matched. */
  name: string;
  /** What matched: the kernel's name, argv[0] or, behind an interpreter, argv[1]. */
  via: 'kernel name' | 'argv[0]' | 'argv[1]';
  /** The first argument after the executable (`daemon`, `serve`, …), if any. */
  subcommand: string | undefined;
  /** The value of `--socket-path` as given (possibly relative to the process's cwd). */
  socketPath: string | undefined;
}

function basename(arg: string | undefined): string | undefined {
  return arg === undefined || arg === '' ? undefined : path.posix.basename(arg);
}

/** Finds `--socket-path PATH` or `--socket-path=PATH` among the program's own arguments. */
function findSocketPath(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--socket-path') return args[i + 1] || undefined;
    if (arg.startsWith('--socket-path=')) return arg.slice('--socket-path='.length) || undefined;
  }
  return undefined;
}

/**
 * Decides whether a process IS one of the daemons named in `names`: its executable, not merely a
 * process whose arguments mention the name (`tail -f mcp-server-pm.log`, `grep mcp-server-pm`,
 * `bash -c "… mcp-server-pm …"`), nor one with a longer name (`mcp-server-pm-helper`).
 */
export function matchDaemon(info: Pick<ProcessInfo, 'name' | 'argv'>, names: ReadonlySet<string>): DaemonMatch | undefined {
  if (!mayMatch(info.name, names)) return undefined;
  const { argv } = info;
  const argv0 = basename(argv[0]);
  const argv1 = basename(argv[1]);

  let name: string | undefined;
  let via: DaemonMatch['via'];
  // Where the program's own arguments start.
  let argsFrom: number;
  if (argv0 !== undefined && names.has(argv0)) {
    [name, via, argsFrom] = [argv0, 'argv[0]', 1];
  } else if (argv0 !== undefined && INTERPRETER.test(argv0) && argv1 !== undefined && names.has(argv1)) {
    [name, via, argsFrom] = [argv1, 'argv[1]', 2];
  } else if (names.has(info.name) && info.name.length <= MAX_UNTRUNCATED_NAME) {
    // The kernel name alone: argv[0] was rewritten (a process title) or is unreadable.
    [name, via, argsFrom] = [info.name, 'kernel name', 1];
  } else {
    return undefined;
  }

  const args = argv.slice(argsFrom);
  return { name, via, subcommand: args[0], socketPath: findSocketPath(args) };
}
