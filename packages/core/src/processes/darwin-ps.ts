import { ReaperError } from '../errors.js';
import { findEnvInCommand } from './owner-tag.js';
import type { ProcessInfo } from './process-info.js';
import type { ProcessSource } from './process-source.js';

/**
 * Runs a command and resolves with its stdout. It resolves even when the command exits non-zero
 * (BSD `ps -p` exits 1 when none of the pids exist, with nothing printed) and rejects only when
 * the command could not run at all (missing, killed, timed out). `env` is merged over
 * `process.env`.
 */
export type RunCommand = (file: string, args: readonly string[], env: Record<string, string>) => Promise<string>;

export interface DarwinSourceOptions {
  /** Replaces the real `ps`/`lsof` runner (tests feed recorded output through it). */
  run?: RunCommand;
}

/**
 * `lstart` follows the locale and the time zone: C locale and UTC make it the fixed English
 * `Wed Nov 25 11:42:04 2026` that `parseStatusLine` reads, on every machine.
 */
const PS_ENV: Readonly<Record<string, string>> = Object.freeze({ LC_ALL: 'C', TZ: 'UTC0' });

const STATUS_COLUMNS = '-o pid=,ppid=,pgid=,ruid=,stat=,lstart=,ucomm=';
const ARGS_COLUMNS = '-o pid=,args=';

// ps answers in well under a second; the limit guards against lsof hanging on a dead network mount.
const COMMAND_TIMEOUT_MS = 15_000;

/** Runs `ps` or `lsof` (macOS has no /proc); what every macOS path of the core runs commands with. */
export const runCommand: RunCommand = async (file, args, env) => {
  // Loaded lazily: only the macOS source needs a subprocess, Linux reads /proc.
  const { execa } = await import('execa');
  const result = await execa(file, args, { env, reject: false, timeout: COMMAND_TIMEOUT_MS });
  // No exit code: it never started (ENOENT), was killed or timed out. A non-zero exit is an answer.
  if (result.exitCode === undefined) throw new Error(result.shortMessage ?? `${file} failed`);
  return result.stdout;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// `ruid`, the real uid: the owner whose processes a user may sweep (`uid` is the effective one on BSD).
// pid ppid pgid ruid stat, then lstart's 5 tokens (`Mon Nov  2 09:05:01 2026`: the day is space
// padded), then ucomm: the rest of the line, since it may hold spaces (`Google Chrome He`).
const STATUS_LINE =
  /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+([A-Z][a-z]{2})\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})(?:\s+(.*))?$/;
const ARGS_LINE = /^\s*(\d+)(?:\s+(.*))?$/;

type StatusRow = Omit<ProcessInfo, 'argv'>;

function parseStatusLine(line: string): StatusRow | undefined {
  const m = STATUS_LINE.exec(line);
  if (!m) return undefined;
  const [, pid, ppid, pgid, uid, stat, weekday, month, day, hh, mm, ss, year, ucomm] = m;
  const monthIndex = MONTHS.indexOf(month!);
  if (monthIndex < 0) return undefined;
  return {
    pid: Number(pid),
    ppid: Number(ppid),
    pgid: Number(pgid),
    // macOS ps has no usable session-id column (its `sess` keyword is not the session leader's
    // pid), so none is asked for: 0 means unknown.
    sid: 0,
    uid: Number(uid),
    name: (ucomm ?? '').trim(),
    // BSD stat is the state letter followed by flags (`Ss`, `R+`, `U<`): the letter is the state.
    state: stat!.charAt(0),
    startKey: `${weekday} ${month} ${Number(day)} ${hh}:${mm}:${ss} ${year}`,
    startedAt: Date.UTC(Number(year), monthIndex, Number(day), Number(hh), Number(mm), Number(ss)),
  };
}

function parseArgsLine(line: string): [pid: number, args: string] | undefined {
  const m = ARGS_LINE.exec(line);
  return m ? [Number(m[1]), (m[2] ?? '').trim()] : undefined;
}

/**
 * The argument vector from a `ps -o args` column. When ps cannot read a process's arguments (a
 * zombie's are gone; another user's are refused to anyone but root) it prints `(ucomm)` instead
 * (adv_cmds print.c, getproclline): that is no argument vector, so it is empty, as Linux's empty
 * /proc/PID/cmdline is for a zombie. `<defunct>` is what other BSDs and Linux print there.
 */
function argvOf(args: string, name: string): string[] {
  if (args === '' || args === '<defunct>' || args === `(${name})`) return [];
  // `ps` joins argv with single spaces, so splitting on white space is lossy: an argument that
  // contains spaces (`/Users/dev/Library/Application Support/...`) comes back in pieces.
  return args.split(/\s+/);
}

function contentLines(output: string): string[] {
  return output.split(/\r?\n/).filter((line) => line.trim() !== '');
}

function unparseable(command: string, lines: number): ReaperError {
  return new ReaperError(
    'EPROCESSLIST',
    `\`${command}\` printed no process line that could be parsed (${lines} non-blank lines). ` +
      'Check that `ps` is the macOS (BSD) ps in /bin and that it honours LC_ALL=C and TZ=UTC0.',
  );
}

/**
 * Joins `ps -o pid=,ppid=,pgid=,ruid=,stat=,lstart=,ucomm=` and `ps -o pid=,args=` output by pid.
 * The two runs are not atomic: a pid in only one of them started or exited in between, and is
 * dropped. Malformed lines are skipped; output with no usable line at all throws EPROCESSLIST.
 */
export function parsePsTable(statusOutput: string, argsOutput: string): ProcessInfo[] {
  const statusLines = contentLines(statusOutput);
  const rows = statusLines.map(parseStatusLine).filter((row) => row !== undefined);
  if (rows.length === 0) throw unparseable(`ps ${STATUS_COLUMNS}`, statusLines.length);

  const argsLines = contentLines(argsOutput);
  const argvByPid = new Map(argsLines.map(parseArgsLine).filter((entry) => entry !== undefined));
  if (argvByPid.size === 0) throw unparseable(`ps ${ARGS_COLUMNS}`, argsLines.length);

  const processes: ProcessInfo[] = [];
  for (const row of rows) {
    const args = argvByPid.get(row.pid);
    if (args !== undefined) processes.push({ ...row, argv: argvOf(args, row.name) });
  }
  return processes;
}

/** Process facts on macOS, from BSD `ps` (there is no /proc) and `lsof` for working directories. */
export function createDarwinSource(options: DarwinSourceOptions = {}): ProcessSource {
  const run = options.run ?? runCommand;
  const env = { ...PS_ENV };

  async function runPs(args: readonly string[]): Promise<string> {
    try {
      return await run('ps', args, env);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ReaperError(
        'EPROCESSLIST',
        `Could not run \`ps ${args.join(' ')}\`: ${reason}. Check that /bin/ps exists and is on PATH.`,
        { cause: error },
      );
    }
  }

  async function probe(pids: readonly number[]): Promise<Map<number, ProcessInfo>> {
    const found = new Map<number, ProcessInfo>();
    if (pids.length === 0) return found;
    // `-p` alone selects those pids whatever their user or terminal; `-ax` is left out so the
    // selection cannot widen to every process.
    const pidList = ['-p', [...new Set(pids)].join(',')];
    const [statusOutput, argsOutput] = await Promise.all([
      runPs(['-ww', ...STATUS_COLUMNS.split(' '), ...pidList]),
      runPs(['-ww', ...ARGS_COLUMNS.split(' '), ...pidList]),
    ]);
    // ps exits 1 and prints nothing when none of the pids exist: all gone.
    if (statusOutput.trim() === '' || argsOutput.trim() === '') return found;
    const wanted = new Set(pids);
    for (const info of parsePsTable(statusOutput, argsOutput)) {
      if (wanted.has(info.pid)) found.set(info.pid, info);
    }
    return found;
  }

  const list = async (): Promise<ProcessInfo[]> => {
    const [statusOutput, argsOutput] = await Promise.all([
      runPs(['-axww', ...STATUS_COLUMNS.split(' ')]),
      runPs(['-axww', ...ARGS_COLUMNS.split(' ')]),
    ]);
    return parsePsTable(statusOutput, argsOutput);
  };

  return {
    platform: 'darwin',
    // macOS PID_MAX is 99999 and the kernel hands out pids below it.
    pidMax: 99998,

    async find(filter) {
      // ps prints every process in one go: there is nothing cheaper to do first.
      return (await list()).filter((info) => filter(info.name));
    },

    list,

    probe,

    async readUid(pid) {
      return (await probe([pid])).get(pid)?.uid;
    },

    async readCwd(pid) {
      let output: string;
      try {
        // -a: AND the -p and -d filters (lsof ORs them by default). -Fn: machine-readable, one
        // field per line, the path on the line that starts with `n` (kept whole, spaces and all).
        output = await run('lsof', ['-a', '-p', String(pid), '-d', 'cwd', '-Fn'], env);
      } catch {
        return undefined;
      }
      const line = output.split(/\r?\n/).find((l) => l.startsWith('n'));
      return line === undefined || line.length === 1 ? undefined : line.slice(1);
    },

    async readEnv(pid, name) {
      // -E appends the process's environment to its command line (only for our own processes,
      // which are the only ones a sweep may touch anyway). The command line alone, read beside it,
      // marks where the environment starts: an argument `MCP_REAPER_OWNER=…` is not a tag.
      let output: string;
      let args: string;
      try {
        [output, args] = await Promise.all([
          run('ps', ['-E', '-ww', '-o', 'command=', '-p', String(pid)], env),
          run('ps', ['-ww', '-o', 'args=', '-p', String(pid)], env),
        ]);
      } catch {
        return undefined;
      }
      return findEnvInCommand(output.trim(), name, args.trim());
    },
  };
}
