// Every snippet the docs show is one a user may copy: each config snippet is resolved by the real
// loader, each root quick-start snippet is the one its package README gives (and the e2e tests run
// with the real runner), and each mcp-reaper command line uses only flags the command has.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../packages/core/src/index.js';
import { readmeBlock, readmeBlocks } from '../helpers/readme.js';

const DOCS = [
  'README.md',
  'CHANGELOG.md',
  'docs/decisions.md',
  ...fs.readdirSync('packages').map((p) => `packages/${p}/README.md`).filter((f) => fs.existsSync(f)),
];
const blocks = DOCS.flatMap((file) => readmeBlocks(file, ['json', 'sh', 'bash']).map((block) => ({ ...block, file })));
const BIN = path.resolve('packages/core/bin/mcp-reaper.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-docs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('every JSON config snippet in the docs resolves with no problem', () => {
  const json = blocks.filter((b) => b.lang === 'json');
  it('finds the snippets (a renamed fence must not empty this test)', () => {
    expect(json.length).toBeGreaterThanOrEqual(5);
  });
  it.each(json.map((b) => [`${b.file}:${b.line}`, b] as const))('%s', async (where, block) => {
    const parsed = JSON.parse(block.code) as Record<string, unknown>;
    const dir = fs.mkdtempSync(path.join(tmp, 'snippet-'));
    // `{ "mcpReaper": … }` is a package.json; anything else is mcp-reaper.config.json.
    const isPackageJson = 'mcpReaper' in parsed;
    const file = path.join(dir, isPackageJson ? 'package.json' : 'mcp-reaper.config.json');
    fs.writeFileSync(file, block.code);
    const config = await resolveConfig({ cwd: dir, env: {} });
    expect(config.configFile, where).toBe(file);
    const keys = Object.keys(isPackageJson ? (parsed.mcpReaper as object) : parsed);
    expect(Object.keys(config.values).sort(), `${where}: every key is taken`).toEqual(keys.sort());
  });
});

describe("the root README's quick start is each package README's tested snippet, verbatim", () => {
  const cases = [
    ['Jest', 'packages/jest-env/README.md', /`jest\.config\.js`/, 'js', /\*\*Jest 29, 30\*\*/],
    ['Vitest', 'packages/vitest-setup/README.md', /## Config/, 'ts', /\*\*Vitest 3, 4, 5\*\*/],
    ['Playwright', 'packages/playwright-fixture/README.md', /## `playwright\.config\.ts`/, 'ts', /\*\*Playwright 1\.4x/],
  ] as const;
  it.each(cases)('%s', (_runner, readme, after, lang, rootAfter) => {
    expect(readmeBlock('README.md', rootAfter, lang)).toBe(readmeBlock(readme, after, lang));
  });
});

describe('every mcp-reaper command line in the docs uses flags its command has', () => {
  const helpOf = new Map<string, string>();
  const help = (command: string): string => {
    if (!helpOf.has(command)) {
      const args = command === '' ? ['--help'] : [command, '--help'];
      helpOf.set(command, execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8' }));
    }
    return helpOf.get(command)!;
  };
  const lines = blocks
    .filter((b) => b.lang === 'sh' || b.lang === 'bash')
    .flatMap((b) => b.code.split('\n').map((line) => ({ where: `${b.file}:${b.line}`, line: line.replace(/#.*$/, '').trim() })))
    .filter(({ line }) => /^(npx )?mcp-reaper\b/.test(line));
  it('finds the command lines', () => {
    expect(lines.length).toBeGreaterThanOrEqual(4);
  });
  it.each(lines.map(({ where, line }) => [`${where}: ${line}`, line] as const))('%s', (_title, line) => {
    const words = line.replace(/^npx /, '').split(/\s+/).slice(1);
    // Flags belong to mcp-reaper up to `--`; after it they are the wrapped command's.
    const own = words.includes('--') ? words.slice(0, words.indexOf('--')) : words;
    const command = own[0] && !own[0].startsWith('-') ? own[0] : 'sweep';
    const text = help(command);
    for (const flag of own.filter((w) => w.startsWith('-'))) {
      expect(text, `${flag} of \`mcp-reaper ${command}\``).toContain(flag.split('=')[0]!);
    }
  });
});
