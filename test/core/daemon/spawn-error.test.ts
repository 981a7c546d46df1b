// A command that is nowhere on PATH is "not found" (127), as a shell says, even when execvp answered
// EACCES because a PATH directory could not be searched (an ordinary user under `su` keeps root's
// PATH, /root/.cargo/bin and the like). Root searches every directory, so the errno is made up here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asShellSees } from '../../../packages/core/src/daemon/spawn-error.js';

const eacces = (): NodeJS.ErrnoException => Object.assign(new Error('spawn tool EACCES'), { code: 'EACCES', errno: -13, syscall: 'spawn tool' });

describe('asShellSees', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-spawn-error-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('turns EACCES into ENOENT for a bare name found in no PATH directory', () => {
    const seen = asShellSees(eacces(), 'tool', { PATH: [path.join(dir, 'locked'), dir].join(path.delimiter) });
    expect(seen.code).toBe('ENOENT');
    expect(seen.cause).toMatchObject({ code: 'EACCES' });
  });

  it('keeps EACCES for a file that is there but not executable, and for a path', () => {
    fs.writeFileSync(path.join(dir, 'tool'), '', { mode: 0o644 });
    expect(asShellSees(eacces(), 'tool', { PATH: dir }).code).toBe('EACCES');
    expect(asShellSees(eacces(), './tool', { PATH: '' }).code).toBe('EACCES');
  });

  it('leaves other errors alone', () => {
    const enoent = Object.assign(new Error('spawn tool ENOENT'), { code: 'ENOENT' });
    expect(asShellSees(enoent, 'tool', { PATH: dir })).toBe(enoent);
  });
});
