// The published JSON Schema (packages/core/schema/report.schema.json) against real reports: real
// sweeps of real (fake) daemons produce every action, through sweep() and `mcp-reaper --json`, and
// each report validates. And the schema refuses what is not a report, so these checks can fail.
// The live-run case runs another run on the BUILT core (`pnpm --filter @mcp-reaper/core build`).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNER_ENV, REPORT_VERSION, sweep, type ProcessInfo, type ProcessSource, type SweepReport } from '../../packages/core/src/index.js';
import { createLinuxSource } from '../../packages/core/src/processes/linux-proc.js';
import { createSandbox, startSupervisor, type Sandbox } from '../helpers/fake-daemon.js';
import { runCli } from '../helpers/run-cli.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { describeNeeds, needs } from '../helpers/needs.js';

const CORE = new URL('../../packages/core/', import.meta.url);
const SCHEMA = JSON.parse(fs.readFileSync(new URL('schema/report.schema.json', CORE), 'utf8')) as { $id: string; $defs: { version: { const: number } } };
const DIST = new URL('dist/index.js', CORE).href;
const HOLDER = fileURLToPath(new URL('../fixtures/run-holder.mjs', import.meta.url));

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateReport: ValidateFunction = ajv.compile(SCHEMA);
const validateStatus = ajv.getSchema(`${SCHEMA.$id}#/$defs/statusReport`)!;

/** Valid, or the schema's complaints in the failure message. */
function expectValid(report: unknown, validate: ValidateFunction = validateReport): void {
  const valid = validate(report);
  expect(validate.errors ?? [], JSON.stringify(report, null, 2)).toEqual([]);
  expect(valid).toBe(true);
}

let sb: Sandbox;
const holders: ChildProcess[] = [];
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  for (const holder of holders.splice(0)) if (holder.exitCode === null && holder.signalCode === null) process.kill(-holder.pid!, 'SIGKILL');
  await sb.cleanup();
});

const actions = (report: SweepReport) => new Set([...report.processes.map((p) => p.action), ...report.files.map((f) => f.action)]);
const cliJson = async (...flags: string[]) => {
  const { code, stdout, stderr } = await runCli(['--dir', sb.stateDir, '--name', sb.name, '--json', ...flags], sb.root, { HOME: sb.root });
  expect(stderr).toBe('');
  return { code, report: JSON.parse(stdout) as SweepReport };
};

describe('the schema', () => {
  it('is what the core package ships and exports, for the version the code writes', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('package.json', CORE), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('schema');
    expect(pkg.exports['./report.schema.json']).toBe('./schema/report.schema.json');
    expect(SCHEMA.$defs.version.const).toBe(REPORT_VERSION);
  });

  it('is named by every JSON the CLI prints: sweep --json, status --json and config --json carry its version', async () => {
    for (const command of [[], ['status'], ['config']]) {
      const { stdout } = await runCli([...command, '--dir', sb.stateDir, '--name', sb.name, '--json', '--dry-run'], sb.root, { HOME: sb.root });
      expect((JSON.parse(stdout) as { version: unknown }).version, command.join(' ')).toBe(REPORT_VERSION);
    }
  });

  it('refuses what is not a report of this version', async () => {
    const { report } = await cliJson('--dry-run');
    expectValid(report);
    const bad: Array<[string, unknown]> = [
      ['an unknown action', { ...report, processes: [{ pid: 5, command: 'x', action: 'exploded', reason: 'r' }] }],
      ['an unknown file action', { ...report, files: [{ path: '/x', action: 'burnt', reason: 'r' }] }],
      ['another version', { ...report, version: 2 }],
      ['no version', { ...report, version: undefined }],
      ['a signal that is never sent', { ...report, processes: [{ pid: 5, command: 'x', action: 'killed', signal: 'SIGHUP', reason: 'r' }] }],
      ['a pid that is no pid', { ...report, processes: [{ pid: -1, command: 'x', action: 'kept', reason: 'r' }] }],
      ['an unknown owner meaning', { ...report, processes: [{ pid: 5, command: 'x', action: 'kept', reason: 'r', evidence: { owner: { meaning: 'mine' } } }] }],
    ];
    for (const [what, value] of bad) expect(validateReport(JSON.parse(JSON.stringify(value))), what).toBe(false);
  });
});

describeNeeds([needs.proc], 'real reports validate', () => {
  it('would-kill and would-remove, then terminated, killed, kept, skipped and removed, from sweep() and the CLI', async () => {
    const polite = await sb.start();
    const stubborn = await sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, 'stubborn.sock')], env: { FAKE_MCP_IGNORE_TERM: '1' } });
    // A `serve` whose client (this test) still runs: kept.
    const serve = sb.spawnRaw(['serve']);
    // A daemon in this process's own group: skipped for safety (the sweep runs in this process).
    const ownGroup = await sb.start({ foreground: true, args: ['daemon', '--socket-path', path.join(sb.root, 'own-group.sock')] });
    await waitFor(() => isAlive(serve.pid));

    const dry = await cliJson('--dry-run');
    expect(dry.code).toBe(1); // the skipped one makes it not ok
    expectValid(dry.report);
    expect([...actions(dry.report)].sort()).toEqual(['kept', 'skipped', 'would-kill', 'would-remove']);

    const report = await sweep({ names: [sb.name], dir: sb.stateDir, graceMs: 100 });
    expectValid(report);
    expectValid(JSON.parse(JSON.stringify(report)));
    const byPid = new Map(report.processes.map((p) => [p.pid, p]));
    expect(byPid.get(polite.pid)?.action).toBe('terminated');
    expect(byPid.get(stubborn.pid)?.action).toBe('killed');
    expect(byPid.get(serve.pid)?.action).toBe('kept');
    expect(byPid.get(ownGroup.pid)?.action).toBe('skipped');
    expect(report.files.some((f) => f.action === 'removed')).toBe(true);
    // The evidence: every surveyed process has how it matched and its parent; untagged, as started.
    for (const p of report.processes) {
      expect(p.evidence?.match, p.command).toEqual({ name: sb.name, via: 'argv[1]', subcommand: p.pid === serve.pid ? 'serve' : 'daemon' });
      expect(p.evidence?.owner).toEqual({ meaning: 'untagged' });
    }
    expect(byPid.get(serve.pid)?.evidence?.parent).toMatchObject({ pid: process.pid, orphaned: false });
    expect(byPid.get(polite.pid)?.evidence?.parent).toMatchObject({ orphaned: true });

    const after = await cliJson();
    expect(after.code).toBe(1);
    expectValid(after.report);
    expect(after.report.processes.map((p) => p.action).sort()).toEqual(['kept', 'skipped']);
  });

  it('survived: a process that outlives SIGKILL (one in uninterruptible sleep, as the source reports it)', async () => {
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, graceMs: 20, killWaitMs: 50, source: withStuckGhost(await freePid()) });
    expect(report.processes.map((p) => p.action)).toEqual(['survived']);
    expectValid(report);
  });

  it('respawned: a daemon a supervisor starts again', async () => {
    const first = await startSupervisor(sb).firstDaemon;
    const report = await sweep({ names: [sb.name], dir: sb.stateDir, respawnWindowMs: 3000 });
    expect(report.processes).toContainEqual(expect.objectContaining({ pid: first, action: 'terminated' }));
    const respawned = report.processes.find((p) => p.action === 'respawned');
    expect(respawned).toBeDefined();
    expect(respawned).not.toHaveProperty('evidence');
    expectValid(report);
  });

  it("kept for a live run, with the run named; a dead run's daemon stopped; the tags' meanings in the evidence", async () => {
    const live = await holdRun();
    const ofDeadRun = await sb.start({
      args: ['daemon', '--socket-path', path.join(sb.root, 'dead.sock')],
      env: { [OWNER_ENV]: 'run-0123456789ab/w1/x.test.ts', XDG_DATA_HOME: path.join(sb.root, 'elsewhere') },
    });
    const { code, report } = await cliJson();
    expect(code).toBe(0);
    expectValid(report);
    const byPid = new Map(report.processes.map((p) => [p.pid, p]));
    expect(byPid.get(live.daemon)).toMatchObject({
      action: 'kept',
      liveRun: { runId: live.runId },
      evidence: { owner: { meaning: 'live run', runId: live.runId, tag: expect.stringMatching(new RegExp(`^${live.runId}`)) } },
    });
    expect(byPid.get(ofDeadRun.pid)).toMatchObject({ action: 'terminated', evidence: { owner: { meaning: 'dead run', tag: 'run-0123456789ab/w1/x.test.ts' } } });
    expect(report.files.find((f) => f.path === sb.socketPath)?.action).toBe('kept');
  });

  it('status --json, healthy and with --fix, validates as a status report', async () => {
    await sb.start();
    const healthy = await runCli(['status', '--dir', sb.stateDir, '--name', sb.name, '--json'], sb.root, { HOME: sb.root });
    expect(healthy.code).toBe(0);
    expectValid(JSON.parse(healthy.stdout), validateStatus);

    // A crashed daemon: its pid file names a pid that runs nothing.
    fs.writeFileSync(sb.pidFile, String(await freePid()));
    const fixed = await runCli(['status', '--dir', sb.stateDir, '--name', sb.name, '--json', '--fix'], sb.root, { HOME: sb.root });
    expect(fixed.code).toBe(1);
    const status = JSON.parse(fixed.stdout) as { version: number; fix: SweepReport };
    expectValid(status, validateStatus);
    expect(status.version).toBe(REPORT_VERSION);
    expectValid(status.fix);
    // And the schema's status part is not a blank check.
    expect(validateStatus({ ...status, checks: [{ name: 'vibes', ok: true, reason: '' }] })).toBe(false);
  });
});

/** A pid no process has right now. */
async function freePid(): Promise<number> {
  for (let pid = 32000; pid > 300; pid--) if (!fs.existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
}

/**
 * The real /proc source plus one daemon that exists only in the listing and stays in state D
 * whatever it is sent: a process that outlives SIGKILL cannot be made on purpose (kill.test.ts).
 */
function withStuckGhost(pid: number): ProcessSource {
  const real = createLinuxSource();
  const ghost: ProcessInfo = { pid, ppid: 1, pgid: pid, sid: pid, name: sb.name, argv: [sb.bin, 'daemon'], state: 'S', startKey: 'ghost', startedAt: Date.now() };
  return {
    ...real,
    find: async (filter) => [...(await real.find(filter)), ...(filter(ghost.name) ? [ghost] : [])],
    list: async (wantsArgv) => [...(await real.list(wantsArgv)), ghost],
    probe: async (pids) => {
      const found = await real.probe(pids.filter((p) => p !== pid));
      if (pids.includes(pid)) found.set(pid, { ...ghost, state: 'D' });
      return found;
    },
    readUid: async (p) => (p === pid ? process.getuid!() : real.readUid(p)),
  };
}

/** Another live run (test/fixtures/run-holder.mjs on the built core) holding one daemon on the sandbox's socket. */
async function holdRun(): Promise<{ runId: string; daemon: number }> {
  const out = path.join(sb.root, 'held.json');
  const orders = { dist: DIST, names: [sb.name], dir: sb.stateDir, bin: sb.bin, dataHome: sb.dataHome, sockets: [sb.socketPath], out, mode: 'hold' };
  const holder = spawn(process.execPath, [HOLDER], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, RUN_HOLDER: JSON.stringify(orders), MCP_REAPER_RUN: undefined, MCP_REAPER_OWNER: undefined },
  });
  holders.push(holder);
  sb.track(holder.pid!);
  const held = await waitFor(() => fs.existsSync(out) && (JSON.parse(fs.readFileSync(out, 'utf8')) as { runId: string; watchdog: number; daemons: number[] }), {
    timeoutMs: 20_000,
    message: 'the other run to hold its daemon',
  });
  for (const pid of [held.watchdog, ...held.daemons]) sb.track(pid);
  return { runId: held.runId, daemon: held.daemons[0]! };
}
