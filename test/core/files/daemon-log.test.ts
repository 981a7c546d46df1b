// removeDaemonLog(): the path comes from a process's environment, which anyone can set, so only a
// directory exactly like the ones startDaemon() makes is removed, and everything else stays.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_DIR_PREFIX } from '../../../packages/core/src/config/names.js';
import { removeDaemonLog } from '../../../packages/core/src/files/daemon-log.js';

let root: string;
const context = { dryRun: false, ownUid: process.getuid!() };

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'daemon-log-test-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A directory like startDaemon()'s (or not quite), with these files. */
function logDir(name: string, files: Record<string, string> = { 'output.log': 'hello\n' }): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content);
  return dir;
}

describe('removeDaemonLog', () => {
  it('removes a temp log directory holding only its output log, and reports it', () => {
    const dir = logDir(`${LOG_DIR_PREFIX}Ab12xZ`);
    expect(removeDaemonLog(dir, 42, context)).toEqual({
      path: dir,
      action: 'removed',
      reason: 'temporary output log of daemon 42 (started by startDaemon)',
    });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('only says so in a dry run, and is silent about a directory that is already gone', () => {
    const dir = logDir(`${LOG_DIR_PREFIX}Ab12xZ`);
    expect(removeDaemonLog(dir, 42, { ...context, dryRun: true })?.action).toBe('would-remove');
    expect(fs.existsSync(path.join(dir, 'output.log'))).toBe(true);
    expect(removeDaemonLog(path.join(root, `${LOG_DIR_PREFIX}gone00`), 42, context)).toBeUndefined();
  });

  it('leaves alone, unreported, anything that is not exactly such a directory', () => {
    const strangers = [
      logDir(`${LOG_DIR_PREFIX}Ab12xZ`, { 'output.log': '', 'notes.txt': 'keep me' }), // more than the log
      logDir(`${LOG_DIR_PREFIX}Ab12x`), // not a mkdtemp name
      logDir('my-project-logs'),
      logDir(`${LOG_DIR_PREFIX}Cd34yW`, {}), // its output.log is made a directory below
    ];
    fs.mkdirSync(path.join(strangers[3]!, 'output.log'));
    const link = path.join(root, `${LOG_DIR_PREFIX}Ln56kQ`);
    fs.symlinkSync(logDir('target'), link);
    for (const dir of [...strangers, link]) {
      expect(removeDaemonLog(dir, 42, context), dir).toBeUndefined();
      expect(fs.existsSync(dir), dir).toBe(true);
    }
    expect(fs.existsSync(path.join(root, 'target', 'output.log'))).toBe(true);
    // A relative path is never resolved against our cwd.
    expect(removeDaemonLog(`${LOG_DIR_PREFIX}Ab12xZ`, 42, context)).toBeUndefined();
  });

  it("leaves another user's directory alone", () => {
    const dir = logDir(`${LOG_DIR_PREFIX}Ab12xZ`);
    expect(removeDaemonLog(dir, 42, { ...context, ownUid: context.ownUid + 1 })).toBeUndefined();
    expect(fs.existsSync(dir)).toBe(true);
  });
});
