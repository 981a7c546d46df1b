// Global setup: the directory of this run's kits (kits.ts), handed to every worker through the
// environment, and removed with everything in it at the end of the run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KITS_ENV } from './kits.js';

export default function setup(): () => void {
  // Each Vitest project runs the global setup: the first one's directory serves them all.
  if (process.env[KITS_ENV]) return () => {};
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-kits-')));
  process.env[KITS_ENV] = dir;
  return () => {
    fs.rmSync(dir, { recursive: true, force: true });
    delete process.env[KITS_ENV];
  };
}
