// The user's private directory in the shared temp dir, `<tmpdir>/mcp-reaper-<uid>/`, which holds the
// registry: the records of live runs (runs.ts), the leases of auto ports (port-leases.ts) and the
// stack instances with their private dirs (instances.ts). The temp dir is shared by every user, so
// every directory here is created with mode 700 and checked on every use: a symlink, another user's
// directory or one open to others is refused. Otherwise another user could forge a live run to
// protect a daemon from our sweep, take our ports, or remove our records.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REGISTRY_DIR_PREFIX } from '../config/names.js';
import { ReaperError } from '../errors.js';

/** `<tmpdir>/mcp-reaper-<uid>`: the temp dir is shared by every user, the uid keeps ours apart. */
export function userDir(): string {
  return path.join(os.tmpdir(), `${REGISTRY_DIR_PREFIX}${process.getuid!()}`);
}

/** Why a directory may not be used, or undefined when it may: a real directory, ours, closed to others. */
export function unsafeReason(stat: fs.Stats): string | undefined {
  if (!stat.isDirectory()) return 'it is not a directory (a symlink or a file)';
  if (stat.uid !== process.getuid!()) return `it belongs to uid ${stat.uid}, not to this user (uid ${process.getuid!()})`;
  if ((stat.mode & 0o077) !== 0) return `its mode is ${(stat.mode & 0o777).toString(8)}, open to other users (expected 700)`;
  return undefined;
}

export function registryError(dir: string, reason: string, cause?: unknown): ReaperError {
  return new ReaperError(
    'EREGISTRY',
    `Cannot use ${dir} for mcp-reaper's registry: ${reason}. Remove it (mcp-reaper creates it again, private to this user), or set TMPDIR to a directory of yours.`,
    cause === undefined ? undefined : { cause },
  );
}

/** `userDir()/…parts`, each level created (mode 700) if needed and checked; throws `EREGISTRY`. */
export function ensurePrivateDir(...parts: string[]): string {
  let dir = userDir();
  for (const part of ['', ...parts]) {
    dir = part === '' ? dir : path.join(dir, part);
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw registryError(dir, String((error as Error).message), error);
    }
    const reason = unsafeReason(fs.lstatSync(dir));
    if (reason) throw registryError(dir, reason);
  }
  return dir;
}

/**
 * For a reader: why `userDir()/…parts` may not be trusted (the message of an `EREGISTRY` error), or
 * undefined when it may. A directory that does not exist is fine (`exists: false`): nothing was recorded.
 */
export function checkPrivateDir(...parts: string[]): { exists: boolean; problem?: string } {
  let dir = userDir();
  for (const part of ['', ...parts]) {
    dir = part === '' ? dir : path.join(dir, part);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false };
      return { exists: false, problem: registryError(dir, String((error as Error).message), error).message };
    }
    const reason = unsafeReason(stat);
    if (reason) return { exists: true, problem: registryError(dir, reason).message };
  }
  return { exists: true };
}

/** Writes `file` (in `dir`) whole: to a temporary name, then renamed, so a reader never sees half of it. */
export function writeWhole(dir: string, file: string, text: string): void {
  const temp = path.join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw registryError(dir, `writing ${path.basename(file)} failed: ${(error as Error).message}`, error);
  }
}
