// Every TypeScript and JavaScript example in the READMEs, type-checked as a user would have it: each
// block a file of a fresh project that installed our packed tarballs and the runners from the
// registry, checked under node16 resolution (ESM .mts/.mjs, or CommonJS .cts/.cjs when the example
// says so) and under bundler resolution. JavaScript is checked too (checkJs), through its JSDoc.
//
// Each example is its own program (tsc's compiler, through its API so that the parsed lib and
// node_modules files are shared): in one program of all of them, a module augmentation imported by
// one example (vitest-setup's `provide.mcpReaper`) would type another that does not import it.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createProject, type SampleProject } from '../e2e/helpers/sample-project.js';
import { readmeBlocks } from '../helpers/readme.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

const READMES = [
  'README.md',
  ...fs
    .readdirSync(path.join(REPO, 'packages'))
    .filter((dir) => fs.existsSync(path.join(REPO, 'packages', dir, 'README.md')))
    .map((dir) => `packages/${dir}/README.md`),
];

const RESOLUTIONS = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;
type Resolution = keyof typeof RESOLUTIONS;
const RESOLUTION_NAMES = Object.keys(RESOLUTIONS) as Resolution[];

interface Example {
  readme: string;
  /** The line of the block's opening fence: the block's first line is the next one. */
  line: number;
  resolution: Resolution;
  /** The file it becomes, relative to the project. */
  file: string;
  code: string;
}

/** CommonJS when the example says so (`module.exports`, `require()`), an ES module otherwise. */
function extension(lang: string, code: string, resolution: Resolution): string {
  const js = lang === 'js' || lang === 'javascript';
  if (/\bmodule\.exports\b|\brequire\(/.test(code)) return js ? '.cjs' : '.cts';
  if (resolution === 'bundler') return js ? '.js' : '.ts';
  return js ? '.mjs' : '.mts';
}

/**
 * A block that only declares an interface documents a type the core exports: the published type
 * must fit it (every field the README promises exists, with a type the README allows).
 */
function withPublishedCheck(code: string): string {
  const declared = /^(?:export )?interface (\w+)/.exec(code);
  if (!declared || /^import /m.test(code)) return code;
  const name = declared[1]!;
  return `${code}
import type { ${name} as Published${name} } from '@mcp-reaper/core';
declare const published: Published${name};
export const documented: ${name} = published; // the README's ${name} describes the published one
`;
}

const EXAMPLES: Example[] = RESOLUTION_NAMES.flatMap((resolution) =>
  READMES.flatMap((readme) =>
    readmeBlocks(readme, ['ts', 'typescript', 'js', 'javascript']).map((block) => {
      const slug = readme.replace(/^packages\//, '').replace(/\/?README\.md$/, '').replaceAll('/', '-') || 'root';
      return { readme, line: block.line, resolution, file: `${resolution}/${slug}-readme-L${block.line}${extension(block.lang, block.code, resolution)}`, code: withPublishedCheck(block.code) };
    }),
  ),
);

let project: SampleProject | undefined;
/** Per resolution: the project's compiler options and a host that parses each file once for all programs. */
const compilers = new Map<Resolution, { options: ts.CompilerOptions; host: ts.CompilerHost }>();

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    // The format a file is parsed for (ESM or CJS) is part of what it is.
    const key = `${fileName}\0${typeof languageVersion === 'object' ? String(languageVersion.impliedNodeFormat) : ''}`;
    if (!parsed.has(key)) parsed.set(key, parse(fileName, languageVersion, onError, shouldCreate));
    return parsed.get(key);
  };
  return host;
}

/** tsc's message, at its README line when it is in the example. */
function describeDiagnostic(diagnostic: ts.Diagnostic, example?: Example): string {
  const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  if (!diagnostic.file || diagnostic.start === undefined) return message;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  if (example && path.resolve(diagnostic.file.fileName) === path.join(project!.dir, example.file)) {
    return `${example.readme}:${example.line + 1 + line}:${character + 1} ${message}`;
  }
  return `${path.relative(project!.dir, diagnostic.file.fileName)}:${line + 1}:${character + 1} ${message}`;
}

beforeAll(async () => {
  // The registry's metadata as npm last cached it: the newest runner of each range is the e2e
  // suites' business, and revalidating every package's metadata tripled this install (58 s → 18 s).
  process.env.npm_config_prefer_offline ??= 'true';
  project = await createProject({
    name: 'readme-types',
    // What a user of each README has: the runner whose types its example uses, and Node's types.
    dependencies: { jest: '^30', vitest: '^4', '@playwright/test': '^1.65', '@types/node': '^20.19.0' },
    packages: ['@mcp-reaper/jest-env', '@mcp-reaper/vitest-setup', '@mcp-reaper/playwright-fixture'],
  });
  const files: Record<string, string> = {};
  for (const resolution of RESOLUTION_NAMES) {
    // A tsconfig per resolution, as a user would have one: `npx tsc -p tsconfig.node16.json` in the
    // project checks all the examples at once (shared types and all).
    files[`tsconfig.${resolution}.json`] = JSON.stringify(
      {
        compilerOptions: {
          ...RESOLUTIONS[resolution],
          target: 'es2022',
          // `await using` in the examples needs Symbol.asyncDispose; Playwright's types need the DOM's.
          lib: ['es2022', 'esnext.disposable', 'dom'],
          types: ['node'],
          strict: true,
          allowJs: true,
          checkJs: true,
          noEmit: true,
          // As most projects have it; our own declaration files are checked in full below.
          skipLibCheck: true,
        },
        include: [resolution],
      },
      null,
      2,
    );
  }
  for (const example of EXAMPLES) files[example.file] = example.code;
  project.write(files);
  for (const resolution of RESOLUTION_NAMES) {
    const configFile = path.join(project.dir, `tsconfig.${resolution}.json`);
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
    const { options, errors } = ts.parseJsonConfigFileContent(config, ts.sys, project.dir, undefined, configFile);
    if (errors.length > 0) throw new Error(`tsconfig.${resolution}.json: ${errors.map((e) => describeDiagnostic(e)).join('\n')}`);
    compilers.set(resolution, { options, host: cachingHost(options) });
  }
}, 300_000);

afterAll(() => project?.remove());

describe.each(RESOLUTION_NAMES)('README examples under %s resolution', (resolution) => {
  test.each(EXAMPLES.filter((example) => example.resolution === resolution))('$readme, the block at line $line ($file)', (example) => {
    const { options, host } = compilers.get(resolution)!;
    const program = ts.createProgram([path.join(project!.dir, example.file)], options, host);
    const file = program.getSourceFile(path.join(project!.dir, example.file));
    if (!file) throw new Error(`${example.file} is not in its own program`);
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ].map((diagnostic) => describeDiagnostic(diagnostic, example));
    expect(diagnostics, `${example.readme}, block at line ${example.line}, as ${example.file}:\n${diagnostics.join('\n')}`).toEqual([]);
  }, 60_000);

  // skipLibCheck spares users the runners' declarations; ours are checked as a whole, as the examples
  // reach them, under each resolution (it picks .d.ts or .d.cts).
  test('our declaration files type-check, as the examples reach them', () => {
    const { options, host } = compilers.get(resolution)!;
    const roots = EXAMPLES.filter((example) => example.resolution === resolution).map((example) => path.join(project!.dir, example.file));
    const program = ts.createProgram(roots, { ...options, skipLibCheck: false }, host);
    const ours = program.getSourceFiles().filter((file) => file.isDeclarationFile && file.fileName.includes('/node_modules/@mcp-reaper/'));
    expect(ours.length, 'the examples reached none of our declaration files').toBeGreaterThan(0);
    const diagnostics = ours.flatMap((file) => program.getSemanticDiagnostics(file)).map((diagnostic) => describeDiagnostic(diagnostic));
    expect(diagnostics, diagnostics.join('\n')).toEqual([]);
  }, 120_000);
});
