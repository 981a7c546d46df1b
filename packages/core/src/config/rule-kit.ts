// The pieces option rules are made of, shared by the rules of every entry point (rules.ts) and of a
// stack's services (stack-rules.ts): each returns the problems with one value, naming the key as the
// user wrote it.

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
export type Rule = (value: unknown, key: string) => string | readonly string[] | undefined;

export const isPath = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && !value.includes('\0');

/** A name of a file inside `dir`, or an executable name: one path segment. */
export function segmentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'expected a non-empty string';
  if (value.includes('/') || value.includes('\0')) return 'expected a plain name without "/"';
  if (value === '.' || value === '..') return 'expected a file name, not "." or ".."';
  return undefined;
}

export const path: Rule = (value, key) => (isPath(value) ? undefined : `"${key}" must be a non-empty path, got ${describe(value)}`);

export const segment: Rule = (value, key) => {
  const bad = segmentProblem(value);
  return bad && `"${key}" ${describe(value)}: ${bad}`;
};

export const names: Rule = (value, key) => {
  if (!Array.isArray(value) || value.length === 0) return `"${key}" must be a non-empty array of names, got ${describe(value)}`;
  return value.flatMap((item) => {
    const bad = segmentProblem(item);
    return bad ? [`"${key}" entry ${describe(item)}: ${bad}`] : [];
  });
};

export const wait =
  (min: number): Rule =>
  (value, key) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_WAIT_MS
      ? undefined
      : `"${key}" must be a whole number of milliseconds from ${min} to ${MAX_WAIT_MS}, got ${describe(value)}`;

export const boolean: Rule = (value, key) => (typeof value === 'boolean' ? undefined : `"${key}" must be true or false, got ${describe(value)}`);

export const pid: Rule = (value, key) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? undefined : `"${key}" must be a pid (a whole number above 0), got ${describe(value)}`;

/**
 * An owner tag or run id. No white space: macOS shows a process's environment space separated, so a
 * tag ends at the first space. No "=": it would read as another variable.
 */
export const tag: Rule = (value, key) =>
  typeof value === 'string' && /^[^\s=\0]+$/.test(value) ? undefined : `"${key}" must be a tag without spaces or "=" (e.g. "run-1/worker-2"), got ${describe(value)}`;

export const strings: Rule = (value, key) =>
  Array.isArray(value) && value.every((arg) => typeof arg === 'string' && !arg.includes('\0')) ? undefined : `"${key}" must be an array of strings, got ${describe(value)}`;

export const environment: Rule = (value, key) => {
  if (!isRecord(value)) return `"${key}" must be an object of strings, got ${describe(value)}`;
  return Object.entries(value).flatMap(([name, v]) => (v === undefined || typeof v === 'string' ? [] : [`"${key}.${name}" must be a string or undefined, got ${describe(v)}`]));
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problem with an option nobody knows, with a guess at the one that was meant. */
export function unknownOption(key: string, known: readonly string[]): string {
  const hint = known.find((k) => k.toLowerCase() === key.toLowerCase() || k.startsWith(key) || key.startsWith(k));
  return `unknown option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; known options: ${known.join(', ')}`;
}


/**
 * Every problem with `record` under `rules`: values that break their rule and keys it does not take.
 * `prefix` names a nested object (`daemon.`, `stack.rest.`). Undefined values are unset.
 */
export function problemsUnder(record: Record<string, unknown>, rules: Readonly<Record<string, Rule>>, keys: readonly string[], prefix = ''): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (!keys.includes(key)) {
      problems.push(prefix === '' ? unknownOption(key, keys) : unknownOption(`${prefix}${key}`, keys.map((k) => `${prefix}${k}`)));
      continue;
    }
    const found = rules[key]!(value, `${prefix}${key}`);
    if (typeof found === 'string') problems.push(found);
    else if (found) problems.push(...found);
  }
  return problems;
}
