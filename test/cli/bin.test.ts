// The real launcher, packages/core/bin/mcp-reaper.js, which imports dist/cli/main.js.
// ASSUMES dist IS BUILT: `pnpm test` builds before vitest; when running this file alone, run
// `pnpm --filter @mcp-reaper/core build` first. (Building here in beforeAll is slow and races other files.)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../packages/core/bin/mcp-reaper.js', import.meta.url));
const PKG = JSON.parse(fs.readFileSync(new URL('../../packages/core/package.json', import.meta.url), 'utf8')) as { version: string };

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-bin-')));
  temps.push(dir);
  return dir;
}

function runBin(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Only PATH and HOME from the runner: no MCP_REAPER_* leaks in.
  const env = { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1' };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error && typeof error.code === 'number' ? error.code : error ? null : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bin/mcp-reaper.js', () => {
  it('prints help with exit 0', async () => {
    const { code, stdout } = await runBin(['--help'], tempDir());
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: mcp-reaper');
  });

  it('prints the package version', async () => {
    const { code, stdout } = await runBin(['--version'], tempDir());
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(PKG.version);
  });

  it('exits 2 on a usage error, with a message and no stack', async () => {
    const { code, stdout, stderr } = await runBin(['--grace', 'soon'], tempDir());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--grace');
    expect(stderr).toContain("'soon'");
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('prints the report as JSON with --json --dry-run', async () => {
    const dir = tempDir();
    const name = `mcpt-${randomBytes(3).toString('hex')}`;
    const { code, stdout, stderr } = await runBin(['--json', '--dry-run', '--dir', dir, '--name', name], dir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, dryRun: true, processes: [] });
    expect(typeof report.durationMs).toBe('number');
  });

  it('prints plain text under NO_COLOR', async () => {
    const dir = tempDir();
    const name = `mcpt-${randomBytes(3).toString('hex')}`;
    const { code, stdout } = await runBin(['--dry-run', '--dir', dir, '--name', name], dir);
    expect(code).toBe(0);
    expect(stdout).toContain('dry run: nothing was changed');
    expect(stdout).not.toContain('\u001b[');
  });
});
