// Shared by the Playwright e2e tests: a sample project wired like the package README says, with a fake
// daemon under a unique name, and ways to look at its processes from outside the runner.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readmeBlock } from '../../helpers/readme.js';
import { processesWith, readCmdline } from '../../helpers/wait.js';
import { createProject, type ProjectOptions, type SampleProject } from '../helpers/sample-project.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const FAKE_SCRIPT = path.join(REPO, 'test/fixtures/fake-mcp-server-pm.mjs');

export interface PwProject extends SampleProject {
  /** The fake daemon's unique name (never mcp-server-pm) and its wrapper. */
  name: string;
  bin: string;
  /** The state dir the config names: `<project>/state/AIAgentPM`. */
  stateDir: string;
  /** Where sample tests write what they saw. */
  results: string;
  readResults(): Record<string, Record<string, unknown>>;
  /** Pids of live processes whose command line names this project's daemon wrapper. */
  daemons(): number[];
  /** Pids of live processes whose command line names this project at all (runner, workers, watchdog). */
  anything(): number[];
  /** Sockets and `*.pid` files anywhere in the project outside node_modules, relative to it. */
  leftFiles(): string[];
  /** The `@playwright/test` version npm installed. */
  playwrightVersion(): string;
  /** Empties results/ (a run's records and ready files must not be taken from an earlier run). */
  clearResults(): void;
  /** Kills what `daemons()` finds (afterAll safety net; each pid re-checked right before). */
  killLeftovers(): number[];
}

/** The Playwright the e2e projects install unless told otherwise: the current one. */
export const CURRENT_PLAYWRIGHT = '^1.65';

export interface PwProjectOptions extends Pick<ProjectOptions, 'name' | 'packageJson' | 'files'> {
  /** The `@playwright/test` version (range) to install. Default: {@link CURRENT_PLAYWRIGHT}. */
  playwright?: string;
}

/**
 * A sample project with the given Playwright. Its tests/daemon-options.ts holds the daemon options
 * every sample test file passes to `test.use({ mcpReaper: { daemon } })`.
 */
export async function createPwProject(options: PwProjectOptions): Promise<PwProject> {
  const name = `mcpp-${randomBytes(3).toString('hex')}`;
  const project = await createProject({
    name: options.name,
    dependencies: { '@playwright/test': options.playwright ?? CURRENT_PLAYWRIGHT },
    packages: ['@mcp-reaper/playwright-fixture'],
    packageJson: { ...options.packageJson, mcpReaper: { names: [name], dir: 'state/AIAgentPM' } },
    files: options.files,
  });
  const bin = path.join(project.dir, 'bin', name);
  const stateDir = path.join(project.dir, 'state', 'AIAgentPM');
  const results = path.join(project.dir, 'results');
  // The shebang names node by absolute path, so the kernel's process name is `name`.
  project.write({
    // bin/ is its own CommonJS scope: an extension-less script inside a "type": "module" project.
    'bin/package.json': '{}\n',
    [`bin/${name}`]: `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(FAKE_SCRIPT).href)});\n`,
    'tests/daemon-options.ts': [
      `export const daemon = ${JSON.stringify({ command: bin, env: { XDG_DATA_HOME: path.join(project.dir, 'state') } })};`,
      `export const bin = ${JSON.stringify(bin)};`,
      `export const results = ${JSON.stringify(results)};`,
      '',
    ].join('\n'),
    // The README's playwright.config.ts, verbatim: the sample projects run exactly what users copy.
    'playwright.config.ts': readmeBlock('packages/playwright-fixture/README.md', /## `playwright\.config\.ts`/, 'ts'),
  });
  fs.chmodSync(bin, 0o755);
  fs.mkdirSync(results, { recursive: true });

  const matching = (needle: string) => () => processesWith(needle).map((p) => p.pid);
  const daemons = matching(bin);
  const leftFiles = (dir = project.dir, found: string[] = []): string[] => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) leftFiles(file, found);
      else if (entry.isSocket() || entry.name.endsWith('.pid')) found.push(path.relative(project.dir, file));
    }
    return found;
  };
  return {
    ...project,
    name,
    bin,
    stateDir,
    results,
    readResults: () =>
      Object.fromEntries(
        // Only whole records: the sample tests write each to a temporary name and rename it.
        fs.readdirSync(results).filter((f) => f.endsWith('.json')).map((f) => [f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(results, f), 'utf8'))]),
      ),
    daemons,
    anything: matching(project.dir),
    leftFiles: () => leftFiles(),
    playwrightVersion: () =>
      (JSON.parse(fs.readFileSync(path.join(project.dir, 'node_modules/@playwright/test/package.json'), 'utf8')) as { version: string }).version,
    clearResults() {
      fs.rmSync(results, { recursive: true, force: true });
      fs.mkdirSync(results, { recursive: true });
    },
    killLeftovers() {
      const killed: number[] = [];
      for (const pid of daemons()) {
        // Re-checked just now by command line (it names this project's unique wrapper).
        try {
          process.kill(pid, 'SIGKILL');
          killed.push(pid);
        } catch {
          // already gone
        }
      }
      return killed;
    },
  };
}

/**
 * afterAll of every e2e file: kills what the project left (exactly its own processes), removes it
 * unless KEEP_E2E_PROJECT is set, and returns the pids it had to kill: a leftover is a bug in the
 * package even when every test passed.
 */
export function finishProject(project: PwProject | undefined): number[] {
  if (!project) return [];
  const killed = project.killLeftovers();
  if (process.env.KEEP_E2E_PROJECT) console.info(`kept ${project.dir}`);
  else project.remove();
  return killed;
}

/** A process's argv (empty when it is gone). */
export const argvOf = (pid: number): string[] => readCmdline(pid) ?? [];
