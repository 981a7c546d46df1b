// Every package as it would be published: the tarball `pnpm pack` makes (workspace: deps rewritten),
// linted by publint (package.json against the files it ships) and attw (the types an ESM or a CJS
// consumer gets under node16 and bundler resolution), plus the fields neither tool asks for.
// The LICENSE is the repository's one: pnpm pack copies a workspace root's LICENSE into a package
// that has none, and only pnpm can publish these packages (it rewrites their workspace: ranges).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { beforeAll, describe, expect, test } from 'vitest';
import { runTarballs } from '../e2e/helpers/kits.js';

const exec = promisify(execFile);
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const ATTW = path.join(REPO, 'node_modules/.bin/attw');

/** Package directory → name, read now so that each package is a test of its own. */
const PACKAGES = fs
  .readdirSync(path.join(REPO, 'packages'))
  .filter((dir) => fs.existsSync(path.join(REPO, 'packages', dir, 'package.json')))
  .map((dir) => ({ dir, name: (JSON.parse(fs.readFileSync(path.join(REPO, 'packages', dir, 'package.json'), 'utf8')) as { name: string }).name }));

/**
 * attw rules a package may break on purpose, with the reason. node10 resolution is left out for all
 * (`--profile node16`): it does not read `exports`, so it cannot find subpaths such as
 * `/global-setup`, which runners resolve at run time from a string in their config and nobody
 * imports in typed code; every package root still resolves under node10.
 */
const ACCEPTED_ATTW_RULES: Record<string, readonly string[]> = {
  // ESM only, as Vitest is: its own `vitest` entry throws when required, so a CJS build of the setup
  // would only move the error. A CJS consumer gets types that say "ESM, import() it", which is true.
  '@mcp-reaper/vitest-setup': ['cjs-resolves-to-esm'],
};

let tarballs: Record<string, string>;
const rootLicense = fs.readFileSync(path.join(REPO, 'LICENSE'), 'utf8');

// The run's tarballs, which the sample projects install too (packed once, removed with the run's kits).
beforeAll(async () => {
  tarballs = await runTarballs();
}, 120_000);

/** publint, strict: a warning is an error, and a suggestion is a failure too. */
async function publintProblems(tarball: string): Promise<string[]> {
  const bytes = fs.readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    strict: true,
  });
  return messages.map((message) => `publint ${message.type} ${message.code}: ${formatMessage(message, pkg, { color: false })}`);
}

/** attw on the tarball; its own report when it finds anything not accepted above. */
async function attwProblems(name: string, tarball: string): Promise<string[]> {
  const ignored = ACCEPTED_ATTW_RULES[name] ?? [];
  const args = [tarball, '--profile', 'node16', '--format', 'ascii', '--no-color', '--no-emoji'];
  if (ignored.length > 0) args.push('--ignore-rules', ...ignored);
  try {
    await exec(ATTW, args, { cwd: path.dirname(tarball), timeout: 60_000 });
    return [];
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return [`attw ${args.slice(1).join(' ')}:\n${stdout ?? ''}${stderr ?? ''}`];
  }
}

/** What publishing needs that neither tool checks: where it comes from, its licence, how it is found. */
async function manifestProblems(dir: string, tarball: string): Promise<string[]> {
  const problems: string[] = [];
  const { stdout: listing } = await exec('tar', ['-tzf', tarball]);
  if (!listing.split('\n').includes('package/LICENSE')) problems.push('the tarball has no LICENSE: pnpm pack copies the root LICENSE into a package that has none; is it still there?');
  else {
    const { stdout: license } = await exec('tar', ['-xzOf', tarball, 'package/LICENSE']);
    if (license !== rootLicense) problems.push('the LICENSE in the tarball is not the repository LICENSE');
  }
  const { stdout: manifest } = await exec('tar', ['-xzOf', tarball, 'package/package.json']);
  const pkg = JSON.parse(manifest) as Record<string, unknown>;
  const repository = pkg.repository as { type?: string; url?: string; directory?: string } | undefined;
  if (pkg.license !== 'MIT') problems.push(`license is ${JSON.stringify(pkg.license)}, not "MIT" as LICENSE says`);
  if (repository?.type !== 'git' || !repository.url) problems.push(`repository needs { type: "git", url }: ${JSON.stringify(repository)}`);
  if (repository?.directory !== `packages/${dir}`) problems.push(`repository.directory is ${JSON.stringify(repository?.directory)}, not "packages/${dir}"`);
  if (typeof pkg.homepage !== 'string' || typeof pkg.bugs !== 'string') problems.push('homepage and bugs are missing');
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) problems.push('keywords are missing');
  if (typeof (pkg.engines as { node?: unknown } | undefined)?.node !== 'string') problems.push('engines.node is missing');
  if (pkg.sideEffects === undefined) problems.push('sideEffects is missing: false, or the files that have them');
  for (const [dependency, range] of Object.entries({ ...(pkg.dependencies as object), ...(pkg.peerDependencies as object) })) {
    if (String(range).startsWith('workspace:')) problems.push(`${dependency} is still ${String(range)} in the tarball`);
  }
  return problems;
}

describe('each package as published', () => {
  test.each(PACKAGES)('$name: publint, attw and the manifest find nothing', async ({ dir, name }) => {
    const tarball = tarballs[name];
    if (!tarball) throw new Error(`pnpm pack made no tarball for ${name}`);
    const problems = [...(await publintProblems(tarball)), ...(await attwProblems(name, tarball)), ...(await manifestProblems(dir, tarball))];
    expect(problems, `${name}:\n\n${problems.join('\n\n')}`).toEqual([]);
  });
});
