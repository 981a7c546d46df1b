// What a valid value of each option is, written once: every entry point checks its options against
// these rules and gets back a list of problems, never a thrown error, so that it can report every
// problem of every source at once.
import { ReaperError } from '../errors.js';
import { ON_LEAK_MODES } from './defaults.js';

/** The longest wait any option may ask for. */
export const MAX_WAIT_MS = 10 * 60 * 1000;

/** A value as messages show it: the value and its type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (Array.isArray(value)) return `${JSON.stringify(value)} (array)`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return `${JSON.stringify(value)} (object)`;
  return `${String(value)} (${typeof value})`;
}

/** The problems with one value, each naming the key as the user wrote it (`"graceMs"`, `"daemon.env.X"`). */
type Rule = (value: unknown, key: string) => string | readonly string[] | undefined;

const isPath = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && !value.includes('\0');

/** A name of a file inside `dir`, or an executable name: one path segment. */
function segmentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'expected a non-empty string';
  if (value.includes('/') || value.includes('\0')) return 'expected a plain name without "/"';
  if (value === '.' || value === '..') return 'expected a file name, not "." or ".."';
  return undefined;
}

const path: Rule = (value, key) => (isPath(value) ? undefined : `"${key}" must be a non-empty path, got ${describe(value)}`);

const segment: Rule = (value, key) => {
  const bad = segmentProblem(value);
  return bad && `"${key}" ${describe(value)}: ${bad}`;
};

const names: Rule = (value, key) => {
  if (!Array.isArray(value) || value.length === 0) return `"${key}" must be a non-empty array of names, got ${describe(value)}`;
  return value.flatMap((item) => {
    const bad = segmentProblem(item);
    return bad ? [`"${key}" entry ${describe(item)}: ${bad}`] : [];
  });
};

const wait =
  (min: number): Rule =>
  (value, key) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_WAIT_MS
      ? undefined
      : `"${key}" must be a whole number of milliseconds from ${min} to ${MAX_WAIT_MS}, got ${describe(value)}`;

const boolean: Rule = (value, key) => (typeof value === 'boolean' ? undefined : `"${key}" must be true or false, got ${describe(value)}`);

const pid: Rule = (value, key) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? undefined : `"${key}" must be a pid (a whole number above 0), got ${describe(value)}`;

/**
 * An owner tag or run id. No white space: macOS shows a process's environment space separated, so a
 * tag ends at the first space. No "=": it would read as another variable.
 */
const tag: Rule = (value, key) =>
  typeof value === 'string' && /^[^\s=\0]+$/.test(value) ? undefined : `"${key}" must be a tag without spaces or "=" (e.g. "run-1/worker-2"), got ${describe(value)}`;

const object: Rule = (value, key) => (typeof value === 'object' && value !== null ? undefined : `"${key}" must be a ProcessSource object, got ${describe(value)}`);

const strings: Rule = (value, key) =>
  Array.isArray(value) && value.every((arg) => typeof arg === 'string' && !arg.includes('\0')) ? undefined : `"${key}" must be an array of strings, got ${describe(value)}`;

const environment: Rule = (value, key) => {
  if (!isRecord(value)) return `"${key}" must be an object of strings, got ${describe(value)}`;
  return Object.entries(value).flatMap(([name, v]) => (v === undefined || typeof v === 'string' ? [] : [`"${key}.${name}" must be a string or undefined, got ${describe(v)}`]));
};

const onLeak: Rule = (value, key) =>
  ON_LEAK_MODES.includes(value as never) ? undefined : `"${key}" must be one of ${ON_LEAK_MODES.map((m) => `"${m}"`).join(', ')}, got ${describe(value)}`;

/** `startDaemon()` options as a config file gives them to every daemon fixture (the fixture sets `owner`). */
export const DAEMON_CONFIG_KEYS = [
  'command', 'args', 'env', 'cwd', 'dir', 'socketPath', 'pidFile', 'graceMs', 'killWaitMs', 'readyTimeoutMs', 'logFile',
] as const;

const daemon: Rule = (value, key) => {
  if (!isRecord(value)) return `"${key}" must be an object of startDaemon() options, got ${describe(value)}`;
  return optionProblems(value, DAEMON_CONFIG_KEYS, `${key}.`);
};

const RULES = {
  dir: path,
  names,
  files: names,
  pidFile: segment,
  graceMs: wait(0),
  killWaitMs: wait(0),
  respawnWindowMs: wait(0),
  dryRun: boolean,
  owner: tag,
  descendantsOf: pid,
  includeLiveRuns: boolean,
  source: object,
  command: path,
  args: strings,
  env: environment,
  cwd: path,
  socketPath: path,
  readyTimeoutMs: wait(1),
  logFile: path,
  timeoutMs: wait(1),
  pid,
  watchPid: pid,
  intervalMs: wait(10),
  runId: tag,
  onLeak,
  watchdog: boolean,
  daemon,
} satisfies Record<string, Rule>;

export type OptionKey = keyof typeof RULES;

// The keys each entry point takes.
export const SWEEP_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'dryRun', 'owner', 'descendantsOf', 'respawnWindowMs', 'includeLiveRuns', 'source',
] as const satisfies readonly OptionKey[];
export const START_KEYS = [
  'command', 'args', 'env', 'cwd', 'dir', 'socketPath', 'pidFile', 'graceMs', 'killWaitMs', 'readyTimeoutMs', 'owner', 'logFile', 'source',
] as const satisfies readonly OptionKey[];
export const HEALTH_KEYS = ['dir', 'names', 'pidFile', 'socketPath', 'timeoutMs', 'pid', 'source'] as const satisfies readonly OptionKey[];
export const WATCHDOG_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'owner', 'descendantsOf', 'respawnWindowMs', 'watchPid', 'intervalMs',
] as const satisfies readonly OptionKey[];
export const RUN_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'respawnWindowMs', 'includeLiveRuns', 'watchdog', 'runId',
] as const satisfies readonly OptionKey[];
/** What a user may write in the config file, a runner's settings, flags or the environment. */
export const CONFIG_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'respawnWindowMs', 'dryRun', 'onLeak', 'watchdog', 'daemon',
] as const satisfies readonly OptionKey[];
export type ConfigKey = (typeof CONFIG_KEYS)[number];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problem with an option nobody knows, with a guess at the one that was meant. */
export function unknownOption(key: string, known: readonly string[]): string {
  const hint = known.find((k) => k.toLowerCase() === key.toLowerCase() || k.startsWith(key) || key.startsWith(k));
  return `unknown option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; known options: ${known.join(', ')}`;
}

/**
 * Every problem with `record` as options of an entry point that takes `keys`: values that break their
 * rule and keys it does not take. `prefix` names a nested object (`daemon.`). Undefined values are unset.
 */
export function optionProblems(record: Record<string, unknown>, keys: readonly OptionKey[], prefix = ''): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (!(keys as readonly string[]).includes(key)) {
      problems.push(prefix === '' ? unknownOption(key, keys) : unknownOption(`${prefix}${key}`, keys.map((k) => `${prefix}${k}`)));
      continue;
    }
    const found = (RULES[key as OptionKey] as Rule)(value, `${prefix}${key}`);
    if (typeof found === 'string') problems.push(found);
    else if (found) problems.push(...found);
  }
  return problems;
}

/** One error for every problem, with the code of a user's mistake. `fix` says what to do, when it is not obvious. */
export function invalidOptions(where: string, problems: readonly string[], fix?: string): ReaperError {
  return new ReaperError('EINVALIDOPTION', `Invalid ${where}:\n  - ${problems.join('\n  - ')}${fix ? `\n${fix}` : ''}`);
}

/** Checks the options of an entry point and throws one error listing every problem. */
export function checkOptions(options: unknown, keys: readonly OptionKey[], where: string): void {
  if (options === undefined) return;
  if (!isRecord(options)) throw new ReaperError('EINVALIDOPTION', `${where}: expected an object of options, got ${describe(options)}.`);
  const problems = optionProblems(options, keys);
  if (problems.length > 0) throw invalidOptions(where, problems);
}
