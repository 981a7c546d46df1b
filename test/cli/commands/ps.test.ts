// `mcp-reaper ps` through the BUILT CLI (packages/core/bin/mcp-reaper.js; `pnpm test` builds first),
// against real runs: an `mcp-reaper up` holding a one-service stack, and a runner's run (startRun()
// of the built core, kind vitest) holding its own. Every CLI and every process it starts gets a
// TMPDIR of the test's own, so the registry read is the test's, never the machine's.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PsReport } from '../../../packages/core/src/cli/commands/ps.js';
import { REPORT_VERSION } from '../../../packages/core/src/report.js';
import { createSandbox, FAKE_REST, type Sandbox } from '../../helpers/fake-daemon.js';
import { itNeeds, needs } from '../../helpers/needs.js';
import { freePort, listening } from '../../helpers/net.js';
import { isAlive, waitFor, waitForExit } from '../../helpers/wait.js';

const CORE = new URL('../../../packages/core/', import.meta.url);
const BIN = fileURLToPath(new URL('bin/mcp-reaper.js', CORE));
const DIST = new URL('dist/index.js', CORE).href;
const SCHEMA = JSON.parse(fs.readFileSync(new URL('schema/report.schema.json', CORE), 'utf8')) as { $id: string };
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.compile(SCHEMA);
const validatePs: ValidateFunction = ajv.getSchema(`${SCHEMA.$id}#/$defs/psReport`)!;

const UID = process.getuid!();
const NO_STACK = /^\s+at /m;

function expectValid(report: unknown): void {
  const valid = validatePs(report);
  expect(validatePs.errors ?? [], JSON.stringify(report, null, 2)).toEqual([]);
  expect(valid).toBe(true);
}

let sb: Sandbox;
const children: ChildProcess[] = [];
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  await sb.cleanup();
});

/** A temp dir of this test's, for TMPDIR (inside the sandbox: its cleanup removes it). */
function tmpdir(name = 'tmp'): string {
  const dir = path.join(sb.root, name);
  fs.mkdirSync(dir);
  return dir;
}

/** The environment of everything this test starts: its own TMPDIR, outside any enclosing run. */
const envFor = (tmp: string): NodeJS.ProcessEnv => ({ ...process.env, TMPDIR: tmp, NO_COLOR: '1', MCP_REAPER_RUN: undefined, MCP_REAPER_OWNER: undefined });

/** `mcp-reaper ps …` as a process of its own, with `tmp` as its TMPDIR. */
function ps(tmp: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'ps', ...args], { cwd: sb.root, env: envFor(tmp) }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function psJson(tmp: string): Promise<PsReport> {
  const { code, stdout, stderr } = await ps(tmp, '--json');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const report = JSON.parse(stdout) as PsReport;
  expectValid(report);
  return report;
}

/** `MCP_REAPER_STACK_REST_PID=…` lines (as `up` prints them) as a map. */
function variables(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^ {2}(MCP_REAPER_STACK_\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** `mcp-reaper up` in the background, in a project whose config holds one REST server on a fixed port. */
async function startUp(tmp: string) {
  const rest = await sb.install(undefined, FAKE_REST);
  const port = await freePort();
  const dir = path.join(sb.root, 'project');
  fs.mkdirSync(dir);
  const configFile = path.join(dir, 'mcp-reaper.config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      names: [sb.name],
      dir: './state',
      stack: { rest: { command: [rest], port, env: { AIAGENTPM_WEBSERVER_PORT: '${port}' }, ready: { url: 'http://localhost:${port}/health' } } },
    }),
  );
  const child = spawn(process.execPath, [BIN, 'up'], { cwd: dir, env: envFor(tmp), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  sb.track(child.pid!);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await waitFor(() => output.includes('Ctrl-C to stop'), { timeoutMs: 20_000, message: () => `the up's stack to be up:\n${output}` });
  const runId = /^run (\S+); Ctrl-C to stop$/m.exec(output)![1]!;
  const vars = variables(output);
  sb.track(Number(vars.MCP_REAPER_STACK_REST_PID));
  return { child, exited, output: () => output, runId, configFile, port, vars };
}

/**
 * A runner's run (kind vitest) on the built core, held until SIGTERM, which ends it. By default it
 * starts its own REST server on an auto port; `reuse` makes it use that live `up`'s stack instead.
 */
async function startRunner(tmp: string, reuse?: { runId: string; configFile: string }) {
  const name = reuse ? 'reuser' : 'runner';
  const marker = path.join(sb.root, `${name}.json`);
  const script = path.join(sb.binDir, `fake-${name}.mjs`);
  let stack: unknown = { api: { command: [await sb.install(undefined, FAKE_REST)], port: 'auto', env: { AIAGENTPM_WEBSERVER_PORT: '${port}' }, ready: { url: 'http://localhost:${port}/health' } } };
  let origin: Record<string, unknown> = { kind: 'vitest' };
  let extra = {};
  if (reuse) {
    // The very stack the up recorded, of its config file: what makes it reusable.
    stack = (JSON.parse(fs.readFileSync(path.join(tmp, `mcp-reaper-${UID}`, 'runs', `${reuse.runId}.json`), 'utf8')) as { stack: unknown }).stack;
    origin = { ...origin, configFile: reuse.configFile };
    extra = { stackReuse: 'always' };
  }
  fs.writeFileSync(
    script,
    `import fs from 'node:fs';
const { startRun } = await import(${JSON.stringify(DIST)});
const run = await startRun({ names: [${JSON.stringify(sb.name)}], dir: ${JSON.stringify(sb.stateDir)}, stack: ${JSON.stringify(stack)}, ...${JSON.stringify(extra)} }, ${JSON.stringify(origin)});
process.on('SIGTERM', async () => {
  const end = await run.end();
  process.exit(end.ok && (run.stack === undefined || end.stack?.ok === true) ? 0 : 1);
});
fs.writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ runId: run.runId, watchdog: run.watchdog.pid, env: run.stackEnv, reusedFrom: run.reusedFrom ?? null }));
setInterval(() => {}, 1 << 30);
`,
  );
  const child = spawn(process.execPath, [script], { cwd: sb.root, env: envFor(tmp), stdio: 'ignore', detached: true });
  children.push(child);
  sb.track(child.pid!);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const held = await waitFor(
    () => fs.existsSync(marker) && (JSON.parse(fs.readFileSync(marker, 'utf8')) as { runId: string; watchdog: number; env: Record<string, string>; reusedFrom: string | null }),
    { timeoutMs: 20_000, message: `the ${name} to start its run` },
  );
  sb.track(held.watchdog);
  if (!reuse) sb.track(Number(held.env.MCP_REAPER_STACK_API_PID));
  return { child, exited, ...held };
}

describe('mcp-reaper ps', () => {
  it('lists a live `up` and a live runner run with their services; --json validates; both gone once stopped', async () => {
    const tmp = tmpdir();
    const up = await startUp(tmp);
    const runner = await startRunner(tmp);
    const upPid = up.child.pid!;
    const runnerPid = runner.child.pid!;
    const upRest = { pid: Number(up.vars.MCP_REAPER_STACK_REST_PID), port: up.port, url: up.vars.MCP_REAPER_STACK_REST_URL!, log: up.vars.MCP_REAPER_STACK_REST_LOG! };
    const api = {
      pid: Number(runner.env.MCP_REAPER_STACK_API_PID),
      port: Number(runner.env.MCP_REAPER_STACK_API_PORT),
      url: runner.env.MCP_REAPER_STACK_API_URL!,
      log: runner.env.MCP_REAPER_STACK_API_LOG!,
    };
    const processes = [upPid, upRest.pid, runnerPid, runner.watchdog, api.pid];
    try {
      // The human view.
      const text = await ps(tmp);
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      const blocks = text.stdout.split('\n\n');
      const upBlock = blocks.find((b) => b.startsWith(`${up.runId}  up  pid ${upPid}\n`));
      const runnerBlock = blocks.find((b) => b.startsWith(`${runner.runId}  vitest  pid ${runnerPid}\n`));
      expect(upBlock, text.stdout).toBeDefined();
      expect(runnerBlock, text.stdout).toBeDefined();
      expect(upBlock).toMatch(new RegExp(`^  command +.*mcp-reaper\\.js up$`, 'm'));
      expect(upBlock).toContain(`\n  config    ${up.configFile}\n`);
      expect(upBlock).toMatch(/^ {2}started +\d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ s ago\)$/m);
      expect(upBlock).toContain(`\n  instance  run  ${up.vars.MCP_REAPER_STACK_DIR}\n`);
      expect(upBlock).toContain(`\n    rest  pid ${upRest.pid}  port ${upRest.port}  url ${upRest.url}\n          log ${upRest.log}`);
      expect(runnerBlock).toMatch(/^ {2}command +.*fake-runner\.mjs$/m);
      expect(runnerBlock).toContain('\n  config    none\n');
      expect(runnerBlock).toContain(`\n  watchdog  pid ${runner.watchdog}\n`);
      expect(runnerBlock).toContain(`\n    api  pid ${api.pid}  port ${api.port}  url ${api.url}\n         log ${api.log}`);
      expect(text.stdout).toMatch(/\n2 live runs, 2 services\n$/);

      // The same facts as JSON, valid against the published schema.
      const report = await psJson(tmp);
      expect(report.version).toBe(REPORT_VERSION);
      expect(report.runs.map((r) => r.runId).sort()).toEqual([up.runId, runner.runId].sort());
      const byId = new Map(report.runs.map((r) => [r.runId, r]));
      expect(byId.get(up.runId)).toMatchObject({
        kind: 'up',
        pid: upPid,
        command: expect.stringMatching(/mcp-reaper\.js up$/),
        cwd: path.dirname(up.configFile),
        configFile: up.configFile,
        watchdog: { pid: expect.any(Number) },
        instances: [
          {
            instance: 'run',
            state: 'up',
            dir: up.vars.MCP_REAPER_STACK_DIR,
            services: [{ name: 'rest', pid: upRest.pid, ready: true, port: upRest.port, url: upRest.url, logFile: upRest.log }],
          },
        ],
      });
      expect(byId.get(up.runId)).not.toHaveProperty('reusedFrom');
      expect(byId.get(runner.runId)).toMatchObject({
        kind: 'vitest',
        pid: runnerPid,
        configFile: null,
        watchdog: { pid: runner.watchdog },
        instances: [{ instance: 'run', state: 'up', dir: runner.env.MCP_REAPER_STACK_DIR, services: [{ name: 'api', pid: api.pid, ready: true, port: api.port, url: api.url, logFile: api.log }] }],
      });
      for (const run of report.runs) {
        expect(Date.parse(run.startedAt)).toBeLessThanOrEqual(Date.now());
        for (const service of run.instances.flatMap((i) => i.services)) expect(fs.existsSync(service.logFile), service.logFile).toBe(true);
      }
      processes.push(byId.get(up.runId)!.watchdog!.pid);
      for (const pid of processes) sb.track(pid);
      // And the schema is no blank check: what is not a run of ours does not pass.
      const [first] = report.runs;
      for (const bad of [
        { ...report, runs: [{ ...first, kind: 'mocha' }] },
        { ...report, runs: [{ ...first, instances: [{ ...first!.instances[0], services: [{ name: 'x', pid: 0, ready: true, logFile: '/x' }] }] }] },
        { ...report, runs: [{ ...first, configFile: undefined }] },
        { version: REPORT_VERSION },
      ]) {
        expect(validatePs(JSON.parse(JSON.stringify(bad)))).toBe(false);
      }

      // Stop both as a user would: Ctrl-C the up, SIGTERM the runner. Each stops its stack, verified.
      up.child.kill('SIGINT');
      process.kill(runnerPid, 'SIGTERM');
      expect(await up.exited, up.output()).toBe(0);
      expect(await runner.exited).toBe(0);
      expect(up.output()).toContain('mcp-reaper: SIGINT: stack down: 1 service stopped in');
    } finally {
      for (const child of [up.child, runner.child]) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    for (const pid of processes) await waitForExit(pid, { timeoutMs: 5_000 });
    expect(await listening(upRest.port)).toBe(false);
    expect(await listening(api.port)).toBe(false);
    expect(fs.existsSync(up.vars.MCP_REAPER_STACK_DIR!)).toBe(false);
    expect(fs.existsSync(runner.env.MCP_REAPER_STACK_DIR!)).toBe(false);
    const after = await ps(tmp);
    expect(after).toEqual({ code: 0, stdout: 'no live runs\n', stderr: '' });
    expect(fs.readdirSync(path.join(tmp, `mcp-reaper-${UID}`, 'runs'))).toEqual([]);
  }, 60_000);

  it('a run that uses the stack of a live `up`: the up it reuses, and no services of its own', async () => {
    const tmp = tmpdir();
    const up = await startUp(tmp);
    const reuser = await startRunner(tmp, { runId: up.runId, configFile: up.configFile });
    expect(reuser.reusedFrom).toBe(up.runId);
    const processes = [up.child.pid!, Number(up.vars.MCP_REAPER_STACK_REST_PID), reuser.child.pid!, reuser.watchdog];
    try {
      const text = await ps(tmp);
      expect(text.code, text.stderr).toBe(0);
      const block = text.stdout.split('\n\n').find((b) => b.startsWith(`${reuser.runId}  vitest  pid ${reuser.child.pid}\n`));
      expect(block, text.stdout).toContain(`\n  config    ${up.configFile}\n`);
      expect(block).toContain(`\n  reuses    the stack of ${up.runId}\n  services  none`);
      expect(text.stdout).toMatch(/\n2 live runs, 1 service\n$/);
      const report = await psJson(tmp);
      const run = report.runs.find((r) => r.runId === reuser.runId);
      expect(run).toMatchObject({ kind: 'vitest', configFile: up.configFile, reusedFrom: up.runId, instances: [] });
      processes.push(report.runs.find((r) => r.runId === up.runId)!.watchdog!.pid);
      for (const pid of processes) sb.track(pid);

      process.kill(reuser.child.pid!, 'SIGTERM');
      expect(await reuser.exited).toBe(0);
      // The up's stack outlives the run that used it.
      expect(isAlive(Number(up.vars.MCP_REAPER_STACK_REST_PID))).toBe(true);
      expect((await psJson(tmp)).runs.map((r) => r.runId)).toEqual([up.runId]);
      up.child.kill('SIGINT');
      expect(await up.exited, up.output()).toBe(0);
    } finally {
      for (const child of [up.child, reuser.child]) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    for (const pid of processes) await waitForExit(pid, { timeoutMs: 5_000 });
    expect(await ps(tmp)).toEqual({ code: 0, stdout: 'no live runs\n', stderr: '' });
  }, 60_000);

  it("a service of a live `up` that died: ps says how, and up says it at once and exits 1 at the end", async () => {
    const tmp = tmpdir();
    const up = await startUp(tmp);
    const rest = Number(up.vars.MCP_REAPER_STACK_REST_PID);
    try {
      process.kill(rest, 'SIGKILL');
      await waitFor(() => up.output().includes('stack service "rest"'), { timeoutMs: 5_000, message: () => `up to say so:\n${up.output()}` });
      expect(up.output()).toMatch(/mcp-reaper: stack service "rest" \(pid \d+\) was killed by SIGKILL [\d.]+ m?s after it was ready\.\nIts last lines \(.*rest\.log\):\n {2}rest-server-pm starting/);
      const text = await ps(tmp);
      expect(text.stdout).toMatch(/rest +pid \d+ +port \d+ +url \S+ +died: killed by SIGKILL at \d{4}-/);
      const report = await psJson(tmp);
      expect(report.runs[0]!.instances[0]!.services[0]).toMatchObject({ name: 'rest', died: { code: null, signal: 'SIGKILL' } });
      up.child.kill('SIGINT');
      expect(await up.exited, up.output()).toBe(1);
      sb.track(report.runs[0]!.watchdog!.pid);
    } finally {
      if (up.child.exitCode === null && up.child.signalCode === null) process.kill(-up.child.pid!, 'SIGKILL');
    }
  }, 60_000);

  it('no live runs: one line, exit 0; --json: runs []', async () => {
    const tmp = tmpdir();
    expect(await ps(tmp)).toEqual({ code: 0, stdout: 'no live runs\n', stderr: '' });
    expect(await psJson(tmp)).toEqual({ version: REPORT_VERSION, runs: [] });
    // ps only reads: it did not create the registry.
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a stale record (its owner is gone) is not listed, and is removed', async () => {
    const tmp = tmpdir();
    const runs = path.join(tmp, `mcp-reaper-${UID}`, 'runs');
    fs.mkdirSync(runs, { recursive: true, mode: 0o700 });
    fs.chmodSync(path.dirname(runs), 0o700);
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => gone.once('exit', resolve));
    await waitForExit(gone.pid!);
    const record = { version: 1, runId: 'run-0123456789ab', kind: 'vitest', pid: gone.pid, startKey: 'long gone', cwd: sb.root, startedAt: new Date().toISOString(), configFile: null };
    fs.writeFileSync(path.join(runs, 'run-0123456789ab.json'), JSON.stringify(record), { mode: 0o600 });
    expect(await ps(tmp)).toEqual({ code: 0, stdout: 'no live runs\n', stderr: '' });
    expect(fs.readdirSync(runs)).toEqual([]);
  });
});

describe('mcp-reaper ps: a registry it cannot trust, exit 2 with the dir and the fix', () => {
  /** The EREGISTRY message, as private-dir.ts words it. */
  const refusal = (dir: string, reason: string) =>
    `mcp-reaper: ps: Cannot use ${dir} for mcp-reaper's registry: ${reason}. Remove it (mcp-reaper creates it again, private to this user), or set TMPDIR to a directory of yours.\n`;

  async function expectRefused(tmp: string, dir: string, reason: string): Promise<void> {
    for (const args of [[], ['--json']]) {
      const result = await ps(tmp, ...args);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr).toBe(refusal(dir, reason));
      expect(result.stderr).not.toMatch(NO_STACK);
      expect(result.code).toBe(2);
    }
  }

  it('the registry dir a symlink', async () => {
    const tmp = tmpdir();
    const elsewhere = tmpdir('elsewhere');
    const dir = path.join(tmp, `mcp-reaper-${UID}`);
    fs.symlinkSync(elsewhere, dir);
    await expectRefused(tmp, dir, 'it is not a directory (a symlink or a file)');
  });

  it('the registry dir open to other users', async () => {
    const tmp = tmpdir();
    const dir = path.join(tmp, `mcp-reaper-${UID}`);
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o755);
    await expectRefused(tmp, dir, 'its mode is 755, open to other users (expected 700)');
  });

  it("the dir of stack instances a symlink (the services' places would be another's)", async () => {
    const tmp = tmpdir();
    const dir = path.join(tmp, `mcp-reaper-${UID}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    fs.symlinkSync(tmpdir('elsewhere'), path.join(dir, 'stacks'));
    await expectRefused(tmp, path.join(dir, 'stacks'), 'it is not a directory (a symlink or a file)');
  });

  itNeeds([needs.root], "the registry dir another user's", async () => {
    const tmp = tmpdir();
    const dir = path.join(tmp, `mcp-reaper-${UID}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    fs.chownSync(dir, 65534, 65534);
    await expectRefused(tmp, dir, `it belongs to uid 65534, not to this user (uid ${UID})`);
  });
});

describe('mcp-reaper ps --help', () => {
  it('lists --json, the exit codes and an example', async () => {
    const help = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [BIN, 'ps', '--help'], { env: envFor(sb.root) }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(help).toMatch(/^Usage: mcp-reaper ps \[options\]/);
    expect(help).toContain('--json');
    expect(help).toContain('$defs/psReport');
    expect(help).toMatch(/Exit codes: 0 listed[^]*?; 2 the registry cannot be trusted/);
    expect(help).toMatch(/\n {2}mcp-reaper ps {2,}/);
  });
});
