// The pieces of option validation that sweep(), startDaemon(), healthCheck() and the watchdog share,
// so the same option gets the same rule and the same message everywhere.

/** The longest wait any option may ask for. */
export const MAX_WAIT_MS = 10 * 60 * 1000;

/** A value as messages show it: the value and its type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (Array.isArray(value)) return `${JSON.stringify(value)} (array)`;
  if (value === null) return 'null';
  return `${String(value)} (${typeof value})`;
}

/** The problem with an option nobody knows, with a guess at the one that was meant. */
export function unknownOption(key: string, known: readonly string[], shown: readonly string[] = known): string {
  const hint = known.find((k) => k.toLowerCase() === key.toLowerCase() || k.startsWith(key) || key.startsWith(k));
  return `unknown option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; known options: ${shown.join(', ')}`;
}

/** The problem with a wait in milliseconds, if any. */
export function waitProblem(key: string, value: unknown, min = 0): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_WAIT_MS) return undefined;
  return `"${key}" must be a whole number of milliseconds from ${min} to ${MAX_WAIT_MS}, got ${describe(value)}`;
}

/**
 * The problem with an owner tag, if any. No white space: macOS shows a process's environment space
 * separated, so a tag ends at the first space. No "=": it would read as another variable.
 */
export function ownerProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && /^[^\s=\0]+$/.test(value)) return undefined;
  return `"owner" must be a tag without spaces or "=" (e.g. "run-1/worker-2"), got ${describe(value)}`;
}
