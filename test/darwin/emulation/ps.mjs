// macOS (BSD) `ps`, for the option sets mcp-reaper's core runs, from /proc. Follows Apple's adv_cmds
// ps: fixed column widths (keyword.c), `%-*s` padding of every column but a last args/command
// (print.c), `(ucomm)` for arguments it cannot read (a zombie's included), strvis() of the arguments,
// pid 0 never listed, output sorted by terminal then pid, exit 1 when no process was selected.
import {
  MAXCOMLEN,
  allPids,
  bsdStat,
  byTerminalThenPid,
  readArgv,
  readEnviron,
  readProcess,
  ucomm,
} from './proc-table.mjs';
import { NotEmulated } from './fail.mjs';

const PIDLEN = 5;
const UIDLEN = 5;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const right = (width) => (value) => String(value).padStart(width);
const left = (width) => (value) => value.padEnd(width);

/** strftime("%c") in the C locale: `%a %b %e %H:%M:%S %Y`, the day padded with a space. */
function lstart(seconds, utc) {
  const d = new Date(seconds * 1000);
  const [wd, mon, day, h, m, s, y] = utc
    ? [d.getUTCDay(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCFullYear()]
    : [d.getDay(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getFullYear()];
  const two = (n) => String(n).padStart(2, '0');
  return `${DAYS[wd]} ${MONTHS[mon]} ${String(day).padStart(2)} ${two(h)}:${two(m)}:${two(s)} ${y}`;
}

/**
 * strvis(VIS_TAB | VIS_NL | VIS_NOSLASH) in the C locale, byte by byte (4.4BSD vis.c): graphic
 * ASCII and spaces stay, a control byte becomes `^X`, a byte with the high bit set `M-x` or `M^X`
 * (so UTF-8 `é` shows as `M-CM-)`), and a high-bit space `\240`.
 */
export function strvis(bytes) {
  let out = '';
  for (const ch of bytes) {
    let c = ch.charCodeAt(0);
    if ((c > 0x20 && c < 0x7f) || c === 0x20) {
      out += ch;
      continue;
    }
    if ((c & 0x7f) === 0x20) {
      out += `\\${c.toString(8).padStart(3, '0')}`;
      continue;
    }
    if (c & 0x80) {
      c &= 0x7f;
      out += 'M';
    }
    if (c < 0x20 || c === 0x7f) out += `^${c === 0x7f ? '?' : String.fromCharCode(c + 64)}`;
    else out += `-${String.fromCharCode(c)}`;
  }
  return out;
}

/**
 * The command line as getproclline() builds it from KERN_PROCARGS2: the arguments joined by spaces
 * and, with -E, the environment after them, shown only to root or the process's own user. What it
 * cannot read becomes `(ucomm)`.
 */
function commandLine(proc, withEnv, uid) {
  const argv = proc.linuxState === 'Z' && proc.threads <= 1 ? undefined : readArgv(proc.pid);
  if (argv === undefined) return strvis(`(${ucomm(proc)})`);
  // macOS refuses KERN_PROCARGS2 for another user's process to anyone but root.
  if (uid !== 0 && proc.ruid !== uid) return strvis(`(${ucomm(proc)})`);
  const env = withEnv ? (readEnviron(proc.pid) ?? []) : [];
  // getproclline() stops at the first empty environment string (two NULs in a row).
  const shownEnv = env.indexOf('') < 0 ? env : env.slice(0, env.indexOf(''));
  return strvis([...argv, ...shownEnv].join(' '));
}

/** Keywords of `-o` the core uses, with their BSD widths; anything else is not emulated. */
const KEYWORDS = {
  pid: (p) => right(PIDLEN)(p.pid),
  ppid: (p) => right(PIDLEN)(p.ppid),
  pgid: (p) => right(PIDLEN)(p.pgid),
  ruid: (p) => right(UIDLEN)(p.ruid),
  stat: (p) => left(4)(bsdStat(p)),
  lstart: (p, o) => left(28)(lstart(p.startSeconds, o.utc)),
  ucomm: (p) => left(MAXCOMLEN)(ucomm(p)),
  args: (p, o) => commandLine(p, o.env, o.uid),
  command: (p, o) => commandLine(p, o.env, o.uid),
};
KEYWORDS.state = KEYWORDS.stat;

/** getopt(3) over the options the core passes: flags a, x, w, E; o and p take a value. */
function parseOptions(args) {
  const opts = { all: false, xkeep: false, wide: 0, env: false, columns: [], pids: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-') || arg === '-') throw new NotEmulated(`operand ${JSON.stringify(arg)} is not emulated`);
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j];
      if (flag === 'a') opts.all = true;
      else if (flag === 'x') opts.xkeep = true;
      else if (flag === 'w') opts.wide++;
      else if (flag === 'E') opts.env = true;
      else if (flag === 'o' || flag === 'p') {
        const value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
        if (value === undefined) throw new NotEmulated(`option -${flag} needs a value`);
        if (flag === 'o') opts.columns.push(...value.split(','));
        else opts.pids.push(...value.split(/[\s,]+/).filter(Boolean).map(pidArg));
        break;
      } else throw new NotEmulated(`option -${flag} is not emulated (only -a -x -w -E -o -p are)`);
    }
  }
  return opts;
}

function pidArg(text) {
  if (!/^\d+$/.test(text)) throw new NotEmulated(`pid ${JSON.stringify(text)} is not emulated (BSD ps says "Invalid process id")`);
  return Number(text);
}

function checkEnvironment(opts, env) {
  // lstart follows LC_TIME and TZ; only the C locale and UTC (or the machine's zone when TZ is unset) are emulated.
  // The machine's zone is this process's: the emulation server runs with no TZ for that reason.
  const locale = env.LC_ALL || env.LC_TIME || env.LANG || 'C';
  if (locale !== 'C' && locale !== 'POSIX') throw new NotEmulated(`locale ${locale} is not emulated: run with LC_ALL=C`);
  const tz = env.TZ;
  if (tz !== undefined && !/^:?(UTC0?|GMT0?|Etc\/UTC)$/.test(tz)) throw new NotEmulated(`TZ=${tz} is not emulated: use TZ=UTC0`);
  opts.utc = tz !== undefined;
}

/**
 * `ps args` as run by `caller`: the environment it reads (locale, TZ) and the real uid that decides
 * whose arguments -E may show are the caller's, not this process's.
 */
export function ps(args, caller) {
  const opts = parseOptions(args);
  checkEnvironment(opts, caller.env);
  opts.uid = caller.uid;
  if (opts.columns.length === 0) throw new NotEmulated('the default columns are not emulated: pass -o');
  const columns = opts.columns.map((spec) => {
    const [keyword, ...header] = spec.split('=');
    if (!(keyword in KEYWORDS)) throw new NotEmulated(`keyword ${keyword} is not emulated (only ${Object.keys(KEYWORDS).join(', ')})`);
    if (header.length === 0 || header.join('=') !== '') throw new NotEmulated(`a header line is not emulated: write ${keyword}=`);
    return keyword;
  });
  columns.slice(0, -1).forEach((keyword) => {
    if (keyword === 'args' || keyword === 'command') throw new NotEmulated(`${keyword} is emulated only as the last column`);
  });
  if (opts.env && !columns.some((k) => k === 'args' || k === 'command')) throw new NotEmulated('-E without args or command is not emulated');
  if (opts.pids.length > 0 && (opts.all || opts.xkeep)) throw new NotEmulated('-p together with -a or -x is not emulated');
  if (opts.pids.length === 0 && !(opts.all && opts.xkeep)) throw new NotEmulated('a selection other than -ax or -p is not emulated');
  if (opts.wide < 2) throw new NotEmulated('output narrower than -ww is not emulated');

  const pids = opts.pids.length > 0 ? [...new Set(opts.pids)].filter((pid) => pid !== 0) : allPids();
  const procs = pids
    .map(readProcess)
    .filter((p) => p !== undefined)
    .sort(byTerminalThenPid);
  // Nothing selected: the header (none here, every column has an empty one) and exit 1.
  if (procs.length === 0) return { stdout: '', status: 1 };
  const lines = procs.map((p) => columns.map((keyword) => KEYWORDS[keyword](p, opts)).join(' '));
  return { stdout: `${lines.join('\n')}\n`, status: 0 };
}
