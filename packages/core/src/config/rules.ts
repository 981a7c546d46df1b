// What a valid value of each option is, written once: every entry point checks its options against
// these rules and gets back a list of problems, never a thrown error, so that it can report every
// problem of every source at once.
import { ReaperError } from '../errors.js';
import { ON_LEAK_MODES, STACK_REUSE_MODES } from './defaults.js';
import { stackRule } from './stack-rules.js';
import {
  boolean,
  describe,
  environment,
  isRecord,
  names,
  path,
  pid,
  problemsUnder,
  segment,
  strings,
  tag,
  wait,
  type Rule,
} from './rule-kit.js';

export { describe, isRecord, MAX_WAIT_MS } from './rule-kit.js';

const object: Rule = (value, key) => (typeof value === 'object' && value !== null ? undefined : `"${key}" must be a ProcessSource object, got ${describe(value)}`);

const callback: Rule = (value, key) => (typeof value === 'function' ? undefined : `"${key}" must be a function, got ${describe(value)}`);

const onLeak: Rule = (value, key) =>
  ON_LEAK_MODES.includes(value as never) ? undefined : `"${key}" must be one of ${ON_LEAK_MODES.map((m) => `"${m}"`).join(', ')}, got ${describe(value)}`;

const stackReuse: Rule = (value, key) =>
  STACK_REUSE_MODES.includes(value as never)
    ? undefined
    : `"${key}" must be one of ${STACK_REUSE_MODES.map((m) => `"${m}"`).join(', ')} ("local": reuse a live \`mcp-reaper up\` of the same stack unless CI is set), got ${describe(value)}`;

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
  onWait: callback,
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
  stack: stackRule,
  stackReuse,
} satisfies Record<string, Rule>;

export type OptionKey = keyof typeof RULES;

// The keys each entry point takes.
export const SWEEP_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'dryRun', 'owner', 'descendantsOf', 'respawnWindowMs', 'includeLiveRuns', 'source', 'onWait',
] as const satisfies readonly OptionKey[];
export const START_KEYS = [
  'command', 'args', 'env', 'cwd', 'dir', 'socketPath', 'pidFile', 'graceMs', 'killWaitMs', 'readyTimeoutMs', 'owner', 'logFile', 'source',
] as const satisfies readonly OptionKey[];
export const HEALTH_KEYS = ['dir', 'names', 'pidFile', 'socketPath', 'timeoutMs', 'pid', 'source'] as const satisfies readonly OptionKey[];
export const WATCHDOG_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'owner', 'descendantsOf', 'respawnWindowMs', 'watchPid', 'intervalMs',
] as const satisfies readonly OptionKey[];
export const RUN_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'respawnWindowMs', 'includeLiveRuns', 'watchdog', 'runId', 'stack', 'stackReuse',
] as const satisfies readonly OptionKey[];
/** What a user may write in the config file, a runner's settings, flags or the environment. */
export const CONFIG_KEYS = [
  'dir', 'names', 'files', 'pidFile', 'graceMs', 'killWaitMs', 'respawnWindowMs', 'dryRun', 'onLeak', 'watchdog', 'daemon', 'stack', 'stackReuse',
] as const satisfies readonly OptionKey[];
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/**
 * Every problem with `record` as options of an entry point that takes `keys`: values that break their
 * rule and keys it does not take. `prefix` names a nested object (`daemon.`). Undefined values are unset.
 */
export function optionProblems(record: Record<string, unknown>, keys: readonly OptionKey[], prefix = ''): string[] {
  return problemsUnder(record, RULES, keys, prefix);
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
