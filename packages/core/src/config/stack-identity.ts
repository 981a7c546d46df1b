// What makes two stacks "the same stack": the same config file and the same resolved service
// definitions. A run may use the stack a live `mcp-reaper up` holds only then; an `up` of another
// worktree's config, or of a config edited since, is another stack, and the first difference is
// what a message shows.
import { createHash } from 'node:crypto';
import type { StackConfig } from './stack-options.js';

/** A value with its object keys sorted, so that the same definition always prints the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** A hash of the services' definitions, key order aside. */
export function stackHash(services: StackConfig): string {
  return createHash('sha256').update(JSON.stringify(canonical(services))).digest('hex').slice(0, 16);
}

/** The first place where two values differ, as a path (`rest.env.PORT`) with both values, or undefined. */
function firstDiff(a: unknown, b: unknown, at: string): string | undefined {
  if (JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))) return undefined;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const found = firstDiff(a[key], b[key], at === '' ? key : `${at}.${key}`);
      if (found) return found;
    }
  }
  const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
  return `${at === '' ? 'the stack' : at}: ${show(a)} there, ${show(b)} here`;
}

/**
 * How the stack of a live `up` differs from this run's, in words: its config file first, then the
 * first service setting that differs. Undefined when they are the same stack.
 */
export function firstDifference(theirs: { configFile: string | null; services: StackConfig }, ours: { configFile: string | null; services: StackConfig }): string | undefined {
  if (theirs.configFile !== ours.configFile) return `its config file is ${theirs.configFile ?? 'none'}, this run's ${ours.configFile ?? 'none'}`;
  return firstDiff(theirs.services, ours.services, '');
}
