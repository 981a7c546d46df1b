import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePid, readPidFile } from '../../../packages/core/src/files/pid-file.js';

describe('parsePid', () => {
  it.each([
    ['4242', 4242],
    ['4242\n', 4242],
    ['  4242  ', 4242],
    ['2', 2],
    ['32768', 32768],
  ])('accepts %j', (text, pid) => {
    expect(parsePid(text, 32768)).toBe(pid);
  });

  it.each(['', ' ', '0', '1', '32769', '-5', '+5', '12a', '0x10', '1e3', '12 13', '12.0', '٤٢', 'pid=12'])('rejects %j', (text) => {
    expect(parsePid(text, 32768)).toBeUndefined();
  });
});

describe('readPidFile', () => {
  let dir = '';
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const setup = () => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-pidfile-')));

  it('reads a pid without a trailing newline, as the daemon writes it', () => {
    const file = path.join(setup(), 'daemon.pid');
    fs.writeFileSync(file, '4242');
    expect(readPidFile(file, 32768)).toMatchObject({ kind: 'valid', pid: 4242, uid: process.getuid!() });
  });

  it('calls a large file corrupt without reading it whole', () => {
    const file = path.join(setup(), 'daemon.pid');
    fs.writeFileSync(file, '1'.repeat(10_000));
    expect(readPidFile(file, 32768)).toMatchObject({ kind: 'corrupt', content: '<10000 bytes>', uid: process.getuid!() });
  });

  it('never follows a symlink', () => {
    const root = setup();
    fs.writeFileSync(path.join(root, 'target'), '4242');
    fs.symlinkSync(path.join(root, 'target'), path.join(root, 'daemon.pid'));
    expect(readPidFile(path.join(root, 'daemon.pid'), 32768)).toMatchObject({ kind: 'not-a-file', type: 'symlink' });
  });

  it('reports a directory and a missing file', () => {
    const root = setup();
    fs.mkdirSync(path.join(root, 'daemon.pid'));
    expect(readPidFile(path.join(root, 'daemon.pid'), 32768)).toMatchObject({ kind: 'not-a-file', type: 'directory' });
    expect(readPidFile(path.join(root, 'nope.pid'), 32768)).toEqual({ kind: 'absent' });
  });
});
