import { OWNER_ENV } from '../config/names.js';
import { isOwnedBy } from './owner-tag.js';
import type { ProcessInfo } from './process-info.js';
import type { ProcessSource } from './process-source.js';
import type { ProcessTree } from './process-tree.js';

/** Which daemons a scoped sweep may act on: those of one owner and/or below one process. */
export interface Scope {
  owner: string | undefined;
  descendantsOf: number | undefined;
}

export function isScoped(scope: Scope): boolean {
  return scope.owner !== undefined || scope.descendantsOf !== undefined;
}

/**
 * Why a matching process is inside the scope, or undefined when it is not (then a scoped sweep leaves
 * it alone and does not report it: it is another worker's daemon).
 */
export async function scopeReason(info: ProcessInfo, scope: Scope, tree: ProcessTree, source: ProcessSource): Promise<string | undefined> {
  if (scope.descendantsOf !== undefined && tree.lineage(info.pid).slice(1).includes(scope.descendantsOf)) {
    return `descends from ${scope.descendantsOf}`;
  }
  if (scope.owner !== undefined) {
    const tag = await source.readEnv(info.pid, OWNER_ENV);
    if (isOwnedBy(tag, scope.owner)) return `owned by ${tag}`;
  }
  return undefined;
}
