import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOptions } from '../../packages/core/src/index.js';

let dir = '';
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loadOptions', () => {
  it('reads the config file and env like the CLI, with the runner’s own settings on top', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-load-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ mcpReaper: { names: ['from-pkg'], graceMs: 100, dir: 'state' } }));
    const options = await loadOptions({ cwd: dir, env: { MCP_REAPER_GRACE_MS: '200' }, overrides: { killWaitMs: 50 } });
    expect(options).toMatchObject({
      configFile: path.join(dir, 'package.json'),
      names: ['from-pkg'],
      dir: path.join(dir, 'state'),
      graceMs: 200,
      killWaitMs: 50,
    });
  });

  it('names the runner config when its settings are wrong', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-load-'));
    await expect(loadOptions({ cwd: dir, env: {}, overrides: { grace: 1 } as never, overridesFrom: 'testEnvironmentOptions.mcpReaper' })).rejects.toThrow(
      /Invalid testEnvironmentOptions.mcpReaper:[\s\S]*unknown option "grace" \(did you mean "graceMs"\?\)/,
    );
  });
});
