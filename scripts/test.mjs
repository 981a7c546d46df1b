#!/usr/bin/env node
// `pnpm test` and `pnpm test:quick`: Vitest with what a contributor needs around it.
//   1. A preflight names each missing tool, what needs it, and how to install it (the tests that need
//      it are skipped, each with its reason).
//   2. The run gets a temp dir of its own (TMPDIR, TMUX_TMPDIR): what the tests, the sample projects
//      and the runners they start write there cannot mix with the machine's, and is checked at the end.
//   3. Vitest runs, with test/reporters/summary.ts beside the default reporter.
//   4. "Leaves nothing": the private temp dir must be empty but for the (empty) registry of live runs,
//      and nothing new of this user's may be in the machine's temp dir. A finding fails the run and is
//      named. Then the dir is removed.
//   5. The skips with their reasons, then one line: `N passed, N failed` (the check counts as one test).
//
// Usage: node scripts/test.mjs [--quick] [vitest arguments...]
//   --quick   everything but the sample-project files (each installs a project with npm)
//   MCP_REAPER_TEST_TOTALS=<file>  also write {"passed","failed"} there (for .ci/run)
//   node scripts/test.mjs --missing-debian-packages   the Debian packages of what is missing (for .ci/run)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingLines, PREREQUISITES, problemOf } from '../test/helpers/prerequisites.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUMMARY_ENV = 'MCP_REAPER_TEST_SUMMARY';
/** Read by vitest.config.ts: leave out the sample-project files. */
const QUICK_ENV = 'MCP_REAPER_TEST_QUICK';
/**
 * What the tools a test run uses leave in a temp dir, by name: tmux's sockets, Jest's cache, Node's
 * compile cache, Playwright's transform cache, Vite's and Vitest's nanoid dirs, ours. A new entry of
 * another name in the machine's temp dir is named but not held against the run: on a developer's
 * machine other programs of the same user write there too.
 */
const TOOL_TEMP_NAMES = [/^tmux-\d+$/, /^jest_/, /^node-compile-cache$/, /^playwright-/, /^vitest/, /^vite/, /^mcp-reaper/, /^[\w-]{21}$/];
/** The registry of live runs (packages/core/src/config/names.ts): its empty skeleton may stay. */
const REGISTRY_DIR = `mcp-reaper-${process.getuid?.() ?? 'user'}`;

const args = process.argv.slice(2);
if (args[0] === '--missing-debian-packages') {
  const packages = PREREQUISITES.filter((p) => p.debianPackage && problemOf(p.id) !== undefined && !problemOf(p.id).startsWith('Linux only')).map((p) => p.debianPackage);
  console.log([...new Set(packages)].join(' '));
  process.exit(0);
}
const quick = args[0] === '--quick';
const vitestArgs = quick ? args.slice(1) : args;

function preflight() {
  const lines = missingLines();
  if (lines.length === 0) return;
  process.stderr.write(
    [`pnpm test: preflight: some tests need what this machine lacks; they will be skipped, each with its reason:`, ...lines, ''].join('\n'),
  );
}

/** Every entry under `dir`, relative to it, but the registry's empty directories. */
function leftovers(dir) {
  const found = [];
  const walk = (relative) => {
    const full = path.join(dir, relative);
    const entries = fs.readdirSync(full, { withFileTypes: true });
    for (const entry of entries) {
      const rel = path.join(relative, entry.name);
      const inRegistry = rel === REGISTRY_DIR || rel.startsWith(`${REGISTRY_DIR}${path.sep}`);
      if (entry.isDirectory() && !entry.isSymbolicLink() && inRegistry) walk(rel);
      else found.push(rel);
    }
  };
  walk('');
  return found;
}

/** Entries of the machine's temp dir that are this user's. */
function ownEntries(dir) {
  const uid = process.getuid?.();
  const names = new Set();
  for (const name of fs.readdirSync(dir)) {
    try {
      if (uid === undefined || fs.lstatSync(path.join(dir, name)).uid === uid) names.add(name);
    } catch {
      // gone meanwhile
    }
  }
  return names;
}

preflight();
const machineTmp = os.tmpdir();
const before = ownEntries(machineTmp);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(machineTmp, 'mcp-reaper-tests-')));
// Searchable by others, as the machine's temp dir is: tests that run a process as another user (root
// only) hand it a directory inside.
fs.chmodSync(tmp, 0o711);
const summaryFile = path.join(os.tmpdir(), `mcp-reaper-tests-summary-${process.pid}.json`);
before.add(path.basename(tmp));
before.add(path.basename(summaryFile));

const reporters = vitestArgs.some((a) => a.startsWith('--reporter')) ? [] : ['--reporter=default'];
const vitest = spawn(
  path.join(ROOT, 'node_modules', '.bin', 'vitest'),
  ['run', ...reporters, '--reporter=./test/reporters/summary.ts', ...vitestArgs],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: tmp, TMUX_TMPDIR: tmp, [SUMMARY_ENV]: summaryFile, ...(quick && { [QUICK_ENV]: '1' }) },
  },
);
// Ctrl-C reaches Vitest from the terminal (same process group); a signal sent to us alone is passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => vitest.kill(signal));
const [code, signal] = await new Promise((resolve) => vitest.on('close', (c, s) => resolve([c, s])));

let summary;
try {
  summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
} catch {
  summary = undefined;
}
fs.rmSync(summaryFile, { force: true });

// Leaves nothing: checked only after a whole run (an interrupted one leaves what it was doing).
const findings = [];
const strangers = [];
if (summary) {
  findings.push(...leftovers(tmp).map((entry) => `${path.join(tmp, entry)}`));
  for (const name of ownEntries(machineTmp)) {
    // Another `pnpm test` of this user's, at the same time: its own check covers its private dir.
    if (before.has(name) || /^mcp-reaper-tests-/.test(name)) continue;
    if (TOOL_TEMP_NAMES.some((pattern) => pattern.test(name))) findings.push(path.join(machineTmp, name));
    else strangers.push(path.join(machineTmp, name));
  }
}
fs.rmSync(tmp, { recursive: true, force: true });

const lines = [];
if (summary) {
  for (const { test, reason } of summary.skipped) lines.push(`skipped: ${test}: ${reason ?? 'NO REASON GIVEN: counted as failed'}`);
  for (const file of summary.brokenFiles) lines.push(`failed outside its tests: ${file}`);
  if (summary.unhandledErrors > 0) lines.push(`${summary.unhandledErrors} unhandled error(s) outside any test: counted as failed`);
  if (strangers.length > 0) lines.push(`new in ${machineTmp} during the run, not known to be the run's: ${strangers.join(', ')}`);
  lines.push(findings.length === 0 ? 'leaves nothing: passed (the run left nothing in its temp dir nor in the machine\'s)' : `leaves nothing: FAILED: the run left ${findings.join(', ')}`);
}
const silent = summary ? summary.skipped.filter((s) => s.reason === undefined).length : 0;
const passed = summary ? summary.passed + (findings.length === 0 ? 1 : 0) : 0;
const failed = summary ? summary.failed + summary.brokenFiles.length + summary.unhandledErrors + silent + (findings.length === 0 ? 0 : 1) : 1;
lines.push(`${passed} passed, ${failed} failed${quick ? ' (quick: without the sample-project files)' : ''}`);
console.log(`\n${lines.join('\n')}`);
if (process.env.MCP_REAPER_TEST_TOTALS) fs.writeFileSync(process.env.MCP_REAPER_TEST_TOTALS, JSON.stringify({ passed, failed }));

if (signal) process.kill(process.pid, signal);
process.exit(failed > 0 ? 1 : (code ?? 1));
