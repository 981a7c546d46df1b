import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../../packages/core/src/files/pid-file.js';
import { removeStale } from '../../../packages/core/src/files/stale-files.js';

let dir = '';
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const context = () => ({ dryRun: false, ownUid: process.getuid!() });

describe('removeStale with unchangedSince', () => {
  it('keeps a pid file rewritten since it was judged stale, and removes one that was not', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-stale-'));
    const file = path.join(dir, 'daemon.pid');
    fs.writeFileSync(file, '4242');
    const seen = fingerprint(file)!;
    fs.writeFileSync(file, '4343'); // a daemon started meanwhile and wrote its own pid
    await expect(removeStale({ path: file, reason: 'stale', unchangedSince: seen }, context())).resolves.toMatchObject({
      action: 'kept',
      reason: expect.stringContaining('rewritten during the sweep'),
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('4343');
    await expect(removeStale({ path: file, reason: 'stale', unchangedSince: fingerprint(file)! }, context())).resolves.toMatchObject({
      action: 'removed',
    });
  });

  it('fingerprints a large file by size and time, without reading it', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-stale-'));
    const file = path.join(dir, 'big.pid');
    fs.writeFileSync(file, 'x'.repeat(5000));
    expect(fingerprint(file)).toMatch(/^5000 bytes, modified [\d.]+$/);
    expect(fingerprint(path.join(dir, 'missing'))).toBeUndefined();
  });
});
