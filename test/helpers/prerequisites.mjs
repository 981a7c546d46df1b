// What the test suite needs beyond Node and pnpm, in one table: the preflight of `pnpm test`
// (scripts/test.mjs) prints what is missing before any test runs, and the tests that need a tool ask
// for it here (test/helpers/needs.ts), so a missing tool skips them with the same words.
import { spawnSync } from 'node:child_process';

/**
 * @typedef {object} Prerequisite
 * @property {string} id            what tests ask for (needs.ts)
 * @property {string} what          the tool, in words
 * @property {string} neededBy      which tests need it
 * @property {string} debian        the command that installs it on Debian or Ubuntu
 * @property {string} [brew]        the command that installs it on macOS (absent: the tests are Linux-only)
 * @property {string} [debianPackage] the Debian package `.ci/run` installs
 * @property {() => string | undefined} problem  why it cannot be used here, or undefined when it can
 */

/** Runs a command quietly; the problem in words, or undefined when it exited 0. */
function fails(file, args) {
  const result = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 10_000 });
  if (result.error) return result.error.code === 'ENOENT' ? `\`${file}\` is not installed` : `\`${file}\` could not run: ${result.error.message}`;
  if (result.status !== 0) return `\`${[file, ...args].join(' ')}\` failed: ${(result.stderr.trim().split('\n')[0] ?? '').slice(0, 160) || `exit ${result.status}`}`;
  return undefined;
}

/** Linux only, with a reason elsewhere. */
function linux(problem) {
  return () => (process.platform !== 'linux' ? `Linux only (this is ${process.platform})` : problem());
}

/**
 * The arguments of `unshare` that give a command a pid namespace of its own, with /proc mounted for
 * it: as root, directly; otherwise inside a user namespace of the user's own, where the kernel allows
 * unprivileged ones (the user is root in it, and owns nothing outside).
 */
export function pidNamespaceArgs() {
  const base = ['--pid', '--fork', '--mount-proc', '--kill-child'];
  return process.getuid?.() === 0 ? base : ['--user', '--map-root-user', ...base];
}

/** @type {Prerequisite[]} */
export const PREREQUISITES = [
  {
    id: 'pid-namespace',
    what: 'a pid namespace (`unshare` from util-linux; as an ordinary user, unprivileged user namespaces)',
    neededBy: 'the pid 1 safety case, pid reuse between survey and signal, and 200 leftovers among 1,000 processes',
    debian: 'sudo apt-get install util-linux; as an ordinary user also: sudo sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+)',
    debianPackage: 'util-linux',
    problem: linux(() => fails('unshare', [...pidNamespaceArgs(), 'true'])),
  },
  {
    id: 'gcc',
    what: 'a C compiler (`gcc`)',
    neededBy: 'the zombie leader whose threads live on (pthread_exit), in the reliability faults',
    debian: 'sudo apt-get install gcc libc6-dev',
    debianPackage: 'gcc',
    problem: linux(() => fails('gcc', ['--version'])),
  },
  {
    id: 'tmux',
    what: '`tmux`',
    neededBy: 'the CLI report in a real terminal (progress line, columns, colours)',
    debian: 'sudo apt-get install tmux',
    brew: 'brew install tmux',
    debianPackage: 'tmux',
    problem: () => fails('tmux', ['-V']),
  },
  {
    id: 'script',
    what: '`script` from util-linux (a pseudo-terminal for a command)',
    neededBy: 'the watch modes of Jest and Vitest typed at on a terminal (q, Ctrl-C, Enter)',
    debian: 'sudo apt-get install bsdutils',
    debianPackage: 'bsdutils',
    problem: linux(() => fails('script', ['--version'])),
  },
  {
    id: 'ps',
    what: '`ps` (procps)',
    neededBy: "the macOS process source against a real ps, and the benchmarks' alternatives",
    debian: 'sudo apt-get install procps',
    debianPackage: 'procps',
    problem: () => fails('ps', ['-p', String(process.pid), '-o', 'pid=']),
  },
  {
    id: 'lsof',
    what: '`lsof`',
    neededBy: 'the macOS process source reading a working directory with a real lsof',
    debian: 'sudo apt-get install lsof',
    debianPackage: 'lsof',
    problem: () => fails('lsof', ['-v']),
  },
];

const memo = new Map();

/** Why prerequisite `id` cannot be used here, or undefined when it can (checked once per process). */
export function problemOf(id) {
  if (!memo.has(id)) {
    const prerequisite = PREREQUISITES.find((p) => p.id === id);
    if (!prerequisite) throw new Error(`no prerequisite "${id}" in test/helpers/prerequisites.mjs`);
    memo.set(id, prerequisite.problem());
  }
  return memo.get(id);
}

/** The lines the preflight prints for what is missing: the tool, what needs it, how to install it. */
export function missingLines() {
  const lines = [];
  for (const p of PREREQUISITES) {
    const problem = problemOf(p.id);
    if (problem === undefined || problem.startsWith('Linux only')) continue;
    lines.push(`- ${p.what}: ${problem}.`, `    needed by: ${p.neededBy}`, `    Debian/Ubuntu: ${p.debian}`);
    if (p.brew) lines.push(`    macOS: ${p.brew}`);
  }
  return lines;
}
