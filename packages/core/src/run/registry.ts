// The registry of live runs: one small JSON file per run in a private directory of the user's
// (`<tmpdir>/mcp-reaper-<uid>/runs/`), written when a run starts and removed when it ends. Every
// sweep of the same user reads it to tell a live run's daemons (kept) from a dead run's (leftovers).
// A run is live while the process that owns it runs: the same pid with the same start time. A
// record whose owner is gone (killed, or the pid reused) is stale, and the next sweep removes it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debuglog } from 'node:util';
import type { BaseConfig } from '../config/resolve-config.js';
import type { RecordedService } from '../stack/recorded-services.js';
import { REGISTRY_DIR_PREFIX, REGISTRY_RUNS_DIR, RUN_RECORD_EXTENSION } from '../config/names.js';
import { ReaperError } from '../errors.js';
import { commandLine, isDead } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';

const debug = debuglog('mcp-reaper');

/** Who started a run: a runner's global setup, the CLI, or `startRun()` in code. */
export type RunKind = 'jest' | 'vitest' | 'playwright' | 'cli' | 'api';

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
  /** The run's stack: what its watchdog stops when the runner is killed. */
  services?: RecordedService[];
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

/** `<tmpdir>/mcp-reaper-<uid>`: the temp dir is shared by every user, the uid keeps ours apart. */
function userDir(): string {
  return path.join(os.tmpdir(), `${REGISTRY_DIR_PREFIX}${process.getuid!()}`);
}

/** The directory of run records. */
export function registryDir(): string {
  return path.join(userDir(), REGISTRY_RUNS_DIR);
}

function recordFile(runId: string): string {
  // A run id may hold "/" (a tag's separator): encoded, it stays one file name.
  return path.join(registryDir(), `${encodeURIComponent(runId)}${RUN_RECORD_EXTENSION}`);
}

/**
 * Why a directory may not hold the registry, or undefined when it may: it must be a real directory (not a
 * link someone planted in the shared temp dir), ours, and closed to everyone else, or another user
 * could forge a live run to protect a daemon, or remove ours.
 */
function unsafeReason(stat: fs.Stats): string | undefined {
  if (!stat.isDirectory()) return 'it is not a directory (a symlink or a file)';
  if (stat.uid !== process.getuid!()) return `it belongs to uid ${stat.uid}, not to this user (uid ${process.getuid!()})`;
  if ((stat.mode & 0o077) !== 0) return `its mode is ${(stat.mode & 0o777).toString(8)}, open to other users (expected 700)`;
  return undefined;
}

function registryError(dir: string, reason: string, cause?: unknown): ReaperError {
  return new ReaperError(
    'EREGISTRY',
    `Cannot use ${dir} for the registry of live runs: ${reason}. Remove it (mcp-reaper creates it again, private to this user), or set TMPDIR to a directory of yours.`,
    cause === undefined ? undefined : { cause },
  );
}

/** Creates the registry's directories (mode 700) if needed and checks that they are private to this user. */
function ensureRegistry(): string {
  for (const dir of [userDir(), registryDir()]) {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw registryError(dir, String((error as Error).message), error);
    }
    const reason = unsafeReason(fs.lstatSync(dir));
    if (reason) throw registryError(dir, reason);
  }
  return registryDir();
}

/** Records a run as live. Written to a temporary name and renamed, so a reader never sees half a record. */
export function registerRun(record: RunRecord): void {
  const dir = ensureRegistry();
  const file = recordFile(record.runId);
  const temp = path.join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temp, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw registryError(dir, `writing ${path.basename(file)} failed: ${(error as Error).message}`, error);
  }
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
  let names: string[];
  try {
    const reason = unsafeReason(fs.lstatSync(userDir())) ?? unsafeReason(fs.lstatSync(dir));
    if (reason) return { runs: [], problem: registryError(dir, reason).message };
    names = fs.readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { runs: [] }; // no run has registered since boot
    return { runs: [], problem: registryError(dir, String((error as Error).message), error).message };
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
