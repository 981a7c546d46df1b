// @mcp-reaper/vitest-setup under the real Vitest 5, which needs Node 22: a Node 22 from the registry
// (the `node` package) runs Vitest, installed into a temp dir for this file (see runner-suite.ts).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { runnerSuite } from './runner-suite.js';

const exec = promisify(execFile);
// Made when the suite needs it, not at import: `vitest list` imports the file and runs no afterAll.
let nodeDir: string | undefined;
afterAll(() => {
  if (nodeDir) fs.rmSync(nodeDir, { recursive: true, force: true });
});

async function installNode22(): Promise<string> {
  nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-node22-'));
  fs.writeFileSync(path.join(nodeDir, 'package.json'), '{ "private": true }\n');
  await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'node@22'], { cwd: nodeDir, timeout: 5 * 60_000 });
  const node = path.join(nodeDir, 'node_modules', 'node', 'bin', 'node');
  const { stdout } = await exec(node, ['--version']);
  if (!stdout.startsWith('v22.')) throw new Error(`expected Node 22 from the node package, got ${stdout}`);
  return node;
}

runnerSuite('vitest 5', { vitest: '^5' }, { nodePath: installNode22 });
