// Which folder may import which, checked on every source file (TypeScript's own import scanner):
// - the core's layers point one way (CORE_LAYERS): a module imports only from its own layer or below;
// - the core's library never imports its CLI (cli/ is built on the library, not the reverse);
// - an adapter imports the core through its entry, '@mcp-reaper/core', never a file of it, and
//   no other adapter;
// - the core imports no test runner.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const PACKAGES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../packages');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Every import of a file: static, dynamic, `export … from`, and type-only ones. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Imports that resolve to a file: relative ones, as paths relative to `packages/`. */
function resolved(file: string, specifier: string): string | undefined {
  return specifier.startsWith('.') ? path.relative(PACKAGES, path.resolve(path.dirname(file), specifier)) : undefined;
}

const RUNNERS = /^(jest|@jest\/|jest-environment-|vitest|@vitest\/|@playwright\/test|playwright)/;

/**
 * The core's layers, lowest first: a folder (or a file at the root of src/) may import from its own
 * layer and the ones below, never above. A module that lower layers read (the registry of live runs,
 * the leases of ports) lives below them; a type shared upward and downward belongs to the lowest
 * layer that uses it (the options a user writes are config's).
 */
const CORE_LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors.ts', 'report.ts'],
  ['config', 'state-dir.ts'],
  ['processes'],
  ['files', 'kill'],
  ['health'],
  ['registry'],
  ['sweep'],
  ['ready'],
  ['daemon'],
  ['stack'],
  ['run'],
  ['cli'],
  ['index.ts'],
];

/** The layer of a path relative to the core's src/ (its first segment), or undefined. */
function layerOf(relative: string): number | undefined {
  const first = relative.split(path.sep)[0]!;
  const index = CORE_LAYERS.findIndex((layer) => layer.includes(first));
  return index === -1 ? undefined : index;
}

describe('import rules', () => {
  it('the core outside cli/ never imports cli/, and imports no test runner', () => {
    const wrong: string[] = [];
    const core = path.join(PACKAGES, 'core', 'src');
    for (const file of sources(core)) {
      const inCli = path.relative(core, file).startsWith(`cli${path.sep}`);
      for (const specifier of importsOf(file)) {
        const target = resolved(file, specifier);
        if (!inCli && target?.startsWith(path.join('core', 'src', 'cli'))) wrong.push(`${path.relative(PACKAGES, file)} imports ${specifier}`);
        if (RUNNERS.test(specifier)) wrong.push(`${path.relative(PACKAGES, file)} imports the runner ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the core\'s layers point one way: nothing imports from a layer above its own', () => {
    const wrong: string[] = [];
    const core = path.join(PACKAGES, 'core', 'src');
    for (const file of sources(core)) {
      const own = layerOf(path.relative(core, file));
      if (own === undefined) {
        wrong.push(`${path.relative(core, file)} is in no layer: add its folder to CORE_LAYERS`);
        continue;
      }
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = layerOf(path.relative(core, path.resolve(path.dirname(file), specifier)));
        if (target !== undefined && target > own) wrong.push(`${path.relative(core, file)} (${CORE_LAYERS[own]!.join(', ')}) imports ${specifier} (${CORE_LAYERS[target]!.join(', ')}), a layer above`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each(['jest-env', 'vitest-setup', 'playwright-fixture'])('%s imports the core through its entry only, and no other package of ours', (name) => {
    const wrong: string[] = [];
    const own = path.join(PACKAGES, name, 'src');
    const files = sources(own);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const specifier of importsOf(file)) {
        const target = resolved(file, specifier);
        const outside = target !== undefined && !target.startsWith(path.join(name, 'src'));
        const ourFile = specifier.startsWith('@mcp-reaper/') && specifier !== '@mcp-reaper/core';
        if (outside || ourFile) wrong.push(`${path.relative(PACKAGES, file)} imports ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    const probe = path.join(PACKAGES, 'core', 'src', 'probe.ts');
    const text = "import { x } from './cli/main.js';\nexport { y } from '../../core/src/index.js';\nconst z = await import('vitest');\n";
    const info = ts.preProcessFile(text, true, true);
    expect(info.importedFiles.map((f) => f.fileName)).toEqual(['./cli/main.js', '../../core/src/index.js', 'vitest']);
    expect(resolved(probe, './cli/main.js')).toBe(path.join('core', 'src', 'cli', 'main.js'));
    // The layer rule as the registry's old place broke it: sweep/ and stack/ read run/registry.ts, a floor above.
    expect(layerOf(path.join('run', 'registry.ts'))).toBeGreaterThan(layerOf(path.join('sweep', 'survey.ts'))!);
    expect(layerOf(path.join('registry', 'runs.ts'))).toBeLessThan(layerOf(path.join('sweep', 'survey.ts'))!);
    expect(layerOf('nowhere.ts')).toBeUndefined();
  });
});
