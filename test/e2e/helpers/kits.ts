// Installs shared by the sample projects of one test run. Each sample project is installed as a user
// installs it (npm, from the registry and from the tarballs `pnpm pack` makes), but a dozen projects
// installing the same runner a dozen times was two thirds of `pnpm test`. Now the workspace is packed
// once per run, each runner version is installed once per run (a "kit"), and a project's node_modules
// is a link to its kit's. A project whose dependencies all come, with the same ranges, in the
// "current" kit uses that one; any other set of dependencies gets a kit of its own.
//
// The kits live in a directory that kits-setup.ts (a global setup) makes for the run and removes at
// its end. Test files may run in parallel workers: the first one to need a kit installs it under a
// lock directory; the others wait for its marker.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const PACKAGES = ['core', 'jest-env', 'vitest-setup', 'playwright-fixture'];

/** The directory of this run's kits, set by kits-setup.ts for every worker. */
export const KITS_ENV = 'MCP_REAPER_TEST_KITS';

/** The runners as most sample projects use them, in one install: Jest 30, Vitest 4, Playwright current. */
export const CURRENT_KIT: Readonly<Record<string, string>> = {
  jest: '^30',
  'jest-environment-node': '^30',
  'jest-environment-jsdom': '^30',
  vitest: '^4',
  '@playwright/test': '^1.65',
  '@types/node': '^20.19.0',
};
const ALL_ADAPTERS = ['@mcp-reaper/jest-env', '@mcp-reaper/vitest-setup', '@mcp-reaper/playwright-fixture'];

const INSTALL_TIMEOUT_MS = 5 * 60_000;
const DONE = 'done';
const FAILED = 'failed';

function kitsDir(): string {
  const dir = process.env[KITS_ENV];
  if (!dir) throw new Error(`${KITS_ENV} is not set: run the tests through vitest.config.ts, whose global setup (test/e2e/helpers/kits-setup.ts) makes the kits' directory`);
  return dir;
}

/**
 * Runs `make` once for `dir` across every worker of the run: the first caller makes it under a lock
 * and leaves a marker; later callers wait for the marker (or the failure the maker left).
 */
async function once(dir: string, make: () => Promise<void>): Promise<void> {
  const done = path.join(dir, DONE);
  const failed = path.join(dir, FAILED);
  try {
    fs.mkdirSync(dir, { recursive: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const deadline = Date.now() + INSTALL_TIMEOUT_MS;
    while (!fs.existsSync(done)) {
      if (fs.existsSync(failed)) throw new Error(`another test file failed to make ${dir}: ${fs.readFileSync(failed, 'utf8')}`);
      if (Date.now() > deadline) throw new Error(`gave up waiting for another test file to make ${dir}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return;
  }
  try {
    await make();
    fs.writeFileSync(done, '');
  } catch (error) {
    fs.writeFileSync(failed, String((error as Error).message));
    throw error;
  }
}

/** Packs every workspace package into `out`: package name → tarball path. `pnpm pack` rewrites `workspace:*` as publishing would. */
export async function packWorkspace(out: string): Promise<Record<string, string>> {
  fs.mkdirSync(out, { recursive: true });
  const tarballs: Record<string, string> = {};
  await Promise.all(
    PACKAGES.map(async (dir) => {
      const packageDir = path.join(REPO, 'packages', dir);
      const { name } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { name: string };
      await exec('pnpm', ['pack', '--pack-destination', out], { cwd: packageDir });
      const file = fs.readdirSync(out).find((f) => f.startsWith(`${name.replace('@', '').replace('/', '-')}-`));
      if (!file) throw new Error(`pnpm pack of ${name} made no tarball in ${out}`);
      tarballs[name] = path.join(out, file);
    }),
  );
  return tarballs;
}

/** The run's tarballs of the workspace, packed by the first test file that needs them. */
export async function runTarballs(): Promise<Record<string, string>> {
  const dir = path.join(kitsDir(), 'packs');
  await once(dir, async () => {
    await packWorkspace(dir);
  });
  const tarballs: Record<string, string> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.tgz'))) {
    const dirName = PACKAGES.find((p) => file.startsWith(`mcp-reaper-${p}-`));
    if (dirName) tarballs[`@mcp-reaper/${dirName}`] = path.join(dir, file);
  }
  return tarballs;
}

export interface KitRequest {
  dependencies: Readonly<Record<string, string>>;
  /** Our packages besides @mcp-reaper/core. */
  packages: readonly string[];
}

/** The kit that serves `request`: "current" when it holds every dependency with the same range, else one of its own. */
export function kitOf(request: KitRequest): { name: string } & KitRequest {
  const inCurrent = Object.entries(request.dependencies).every(([name, range]) => CURRENT_KIT[name] === range);
  if (inCurrent) return { name: 'current', dependencies: CURRENT_KIT, packages: ALL_ADAPTERS };
  const key = JSON.stringify([Object.entries(request.dependencies).sort(), [...request.packages].sort()]);
  const label = Object.entries(request.dependencies)
    .map(([name, range]) => `${name.replace(/^@[^/]+\//, '')}${range.replace(/[^\w.]/g, '')}`)
    .join('-')
    .slice(0, 40);
  return { name: `${label}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, ...request };
}

/** The node_modules of the kit that serves `request`, installed with npm on first use in this run. */
export async function kitModules(request: KitRequest): Promise<string> {
  const kit = kitOf(request);
  const tarballs = await runTarballs();
  const dir = path.join(kitsDir(), kit.name);
  await once(dir, async () => {
    const ours = Object.fromEntries(['@mcp-reaper/core', ...kit.packages].map((name) => [name, `file:${tarballs[name]}`]));
    const packageJson = {
      name: `kit-${kit.name}`,
      private: true,
      dependencies: { ...kit.dependencies, ...ours },
      // The adapters depend on @mcp-reaper/core by version, which no registry has: use the tarball.
      overrides: { '@mcp-reaper/core': ours['@mcp-reaper/core'] },
    };
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
    await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: INSTALL_TIMEOUT_MS });
  });
  return path.join(dir, 'node_modules');
}
