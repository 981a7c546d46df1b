// The registry of live runs: one small JSON file per run in the user's private directory
// (`<tmpdir>/mcp-reaper-<uid>/runs/`, see private-dir.ts), written when a run starts and removed when
// it ends. Every sweep of the same user reads it to tell a live run's daemons (kept) from a dead
// run's (leftovers). A run is live while the process that owns it runs: the same pid with the same
// start time. A record whose owner is gone (killed, or the pid reused) is stale, and the next sweep
// removes it.
import fs from 'node:fs';
import path from 'node:path';
import { debuglog } from 'node:util';
import type { BaseConfig } from '../config/resolve-config.js';
import type { StackConfig } from '../config/stack-options.js';
import { REGISTRY_RUNS_DIR, RUN_RECORD_EXTENSION } from '../config/names.js';
import { commandLine, isDead } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { checkPrivateDir, ensurePrivateDir, userDir, writeWhole } from './private-dir.js';

const debug = debuglog('mcp-reaper');

/** Who started a run: a runner's global setup, `mcp-reaper run`, `mcp-reaper up`, or `startRun()` in code. */
export type RunKind = 'jest' | 'vitest' | 'playwright' | 'run' | 'up' | 'api';

export interface RunRecord {
  version: 1;
  runId: string;
  kind: RunKind;
  /** The process that owns the run (the runner's main process): the run is live while it runs. */
  pid: number;
  /** Its start key (see ProcessInfo.startKey): a reused pid is not the run's owner. */
  startKey: string;
  cwd: string;
  startedAt: string;
  /** The run's watchdog, when it has one. */
  watchdog?: { pid: number };
  /** For a runner's run: its root, and the config file and environment as the run resolved them, which its workers start from. */
  root?: string;
  base?: BaseConfig;
  /** The config file the run resolved, or null for none: part of what makes its stack reusable. */
  configFile?: string | null;
  /** The run-scoped services it started (an `up`'s, for a run that would reuse them), and their hash. */
  stack?: StackConfig;
  stackHash?: string;
  /** The live `up` whose stack this run uses instead of starting its own. */
  reusedFrom?: string;
}

/** A run whose owner still runs, with the owner's command line as it is now. */
export interface LiveRun {
  record: RunRecord;
  command: string;
}

export interface LiveRuns {
  runs: LiveRun[];
  /** Set when the registry could not be read: then no tagged daemon can be proven a dead run's. */
  problem?: string;
}

// A record is written whole and renamed into place, so a file that does not parse is debris of a
// crash mid-write (or not ours): removed once it is older than this, never while it may be fresh.
const DEBRIS_AGE_MS = 60_000;

/** The directory of run records. */
export function registryDir(): string {
  return path.join(userDir(), REGISTRY_RUNS_DIR);
}

function recordFile(runId: string): string {
  // A run id may hold "/" (a tag's separator): encoded, it stays one file name.
  return path.join(registryDir(), `${encodeURIComponent(runId)}${RUN_RECORD_EXTENSION}`);
}

/** Records a run as live. Written to a temporary name and renamed, so a reader never sees half a record. */
export function registerRun(record: RunRecord): void {
  const dir = ensurePrivateDir(REGISTRY_RUNS_DIR);
  writeWhole(dir, recordFile(record.runId), JSON.stringify(record));
  debug('registered run %s (%s, pid %d)', record.runId, record.kind, record.pid);
}

/** The record of one run, or undefined when there is none (or it cannot be read). */
export function readRunRecord(runId: string): RunRecord | undefined {
  try {
    return parseRecord(fs.readFileSync(recordFile(runId), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Removes a run's record; with `ownerPid`, only while the record is still that process's. Safe to call twice. */
export function removeRunRecord(runId: string, ownerPid?: number): void {
  const file = recordFile(runId);
  if (ownerPid !== undefined && readRunRecord(runId)?.pid !== ownerPid) return;
  fs.rmSync(file, { force: true });
}

function parseRecord(text: string): RunRecord | undefined {
  const value = JSON.parse(text) as Partial<RunRecord>;
  if (value?.version !== 1 || typeof value.runId !== 'string' || typeof value.pid !== 'number' || typeof value.startKey !== 'string') {
    return undefined;
  }
  return value as RunRecord;
}

/**
 * The runs that are live now. Stale records (their owner is gone) are removed on the way. Never
 * throws: an unreadable registry is reported as `problem`, and then a sweep keeps every tagged daemon.
 */
export async function liveRuns(source: ProcessSource): Promise<LiveRuns> {
  const dir = registryDir();
  const { exists, problem } = checkPrivateDir(REGISTRY_RUNS_DIR);
  if (problem) return { runs: [], problem };
  if (!exists) return { runs: [] }; // no run has registered since boot
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    return { runs: [], problem: `Cannot read ${dir}: ${(error as Error).message}` };
  }

  const records: Array<{ file: string; record: RunRecord }> = [];
  for (const name of names) {
    if (!name.endsWith(RUN_RECORD_EXTENSION)) continue;
    const file = path.join(dir, name);
    let record: RunRecord | undefined;
    try {
      record = parseRecord(fs.readFileSync(file, 'utf8'));
    } catch {
      record = undefined;
    }
    if (record) {
      records.push({ file, record });
      continue;
    }
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > DEBRIS_AGE_MS) fs.rmSync(file, { force: true });
    } catch {
      // removed meanwhile
    }
  }
  if (records.length === 0) return { runs: [] };

  const now = await source.probe(records.map((r) => r.record.pid));
  const runs: LiveRun[] = [];
  for (const { file, record } of records) {
    const owner = now.get(record.pid);
    if (!isDead(owner) && owner!.startKey === record.startKey) {
      runs.push({ record, command: commandLine(owner!) });
      continue;
    }
    debug('removing the stale record of run %s (owner %d is gone)', record.runId, record.pid);
    fs.rmSync(file, { force: true });
  }
  return { runs };
}
