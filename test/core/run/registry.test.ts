// The registry of live runs: records written whole, live while their owner runs, stale (and removed)
// once it is gone or its pid reused, and never trusted from a directory another user could write.
// Each test uses a TMPDIR of its own, so the machine's registry is never read or changed here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLinuxSource } from '../../../packages/core/src/processes/linux-proc.js';
import {
  liveRuns,
  readRunRecord,
  registerRun,
  registryDir,
  removeRunRecord,
  type RunRecord,
} from '../../../packages/core/src/registry/runs.js';
import { isAlive, readStat, waitFor } from '../../helpers/wait.js';
import { describeNeeds, needs } from '../../helpers/needs.js';

let tmp = '';
const savedTmpdir = process.env.TMPDIR;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-registry-')));
  process.env.TMPDIR = tmp;
});
afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const source = createLinuxSource();

function recordOf(pid: number, runId: string): RunRecord {
  return { version: 1, runId, kind: 'api', pid, startKey: readStat(pid)!.startTime, cwd: '/', startedAt: new Date().toISOString() };
}

describeNeeds([needs.proc], 'the registry of live runs', () => {
  it('lives in a private directory of this user under TMPDIR, one file per run', async () => {
    registerRun(recordOf(process.pid, 'run-reg-1'));
    expect(registryDir()).toBe(path.join(tmp, `mcp-reaper-${process.getuid!()}`, 'runs'));
    expect(fs.statSync(path.dirname(registryDir())).mode & 0o777).toBe(0o700);
    expect(fs.statSync(registryDir()).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(registryDir())).toEqual(['run-reg-1.json']);
    expect(readRunRecord('run-reg-1')).toMatchObject({ runId: 'run-reg-1', pid: process.pid });

    const { runs } = await liveRuns(source);
    expect(runs.map((r) => r.record.runId)).toEqual(['run-reg-1']);
    expect(runs[0]!.command).toContain('node');

    removeRunRecord('run-reg-1', process.pid + 1); // another owner's record: not removed
    expect(readRunRecord('run-reg-1')).toBeDefined();
    removeRunRecord('run-reg-1', process.pid);
    removeRunRecord('run-reg-1'); // twice: nothing more
    expect(fs.readdirSync(registryDir())).toEqual([]);
  });

  it('keeps a run id with "/" in one file', () => {
    registerRun(recordOf(process.pid, 'outer/inner'));
    expect(fs.readdirSync(registryDir())).toEqual(['outer%2Finner.json']);
    expect(readRunRecord('outer/inner')?.runId).toBe('outer/inner');
  });

  it('counts a run as dead once its owner is gone or its pid is reused, and removes its record', async () => {
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    await waitFor(() => readStat(owner.pid!));
    registerRun(recordOf(owner.pid!, 'run-dies'));
    registerRun({ ...recordOf(process.pid, 'run-reused'), startKey: '1' }); // our pid, another start time
    registerRun(recordOf(process.pid, 'run-lives'));

    owner.kill('SIGKILL');
    await waitFor(() => !isAlive(owner.pid!));
    const { runs, problem } = await liveRuns(source);
    expect(problem).toBeUndefined();
    expect(runs.map((r) => r.record.runId)).toEqual(['run-lives']);
    expect(fs.readdirSync(registryDir())).toEqual(['run-lives.json']);
  });

  it('removes a record that does not parse only once it is old: a fresh one may be mid-write elsewhere', async () => {
    registerRun(recordOf(process.pid, 'run-ok'));
    const fresh = path.join(registryDir(), 'fresh.json');
    const old = path.join(registryDir(), 'old.json');
    fs.writeFileSync(fresh, '{"version": 1, "runI');
    fs.writeFileSync(old, 'not json');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    fs.utimesSync(old, twoMinutesAgo, twoMinutesAgo);
    expect((await liveRuns(source)).runs.map((r) => r.record.runId)).toEqual(['run-ok']);
    expect(fs.readdirSync(registryDir()).sort()).toEqual(['fresh.json', 'run-ok.json']);
  });

  it('has no runs and no problem before any run registered', async () => {
    expect(await liveRuns(source)).toEqual({ runs: [] });
  });

  it('refuses a registry directory others can write, or a symlink, and says what to do', async () => {
    const userDir = path.join(tmp, `mcp-reaper-${process.getuid!()}`);
    fs.mkdirSync(userDir, { mode: 0o777 });
    fs.chmodSync(userDir, 0o777);
    expect(() => registerRun(recordOf(process.pid, 'run-open'))).toThrow(
      expect.objectContaining({ code: 'EREGISTRY', message: expect.stringMatching(/its mode is 777, open to other users[^]*Remove it/) }),
    );
    const { runs, problem } = await liveRuns(source);
    expect(runs).toEqual([]);
    expect(problem).toMatch(/open to other users/);

    fs.rmSync(userDir, { recursive: true });
    const elsewhere = fs.mkdtempSync(path.join(tmp, 'elsewhere-'));
    fs.symlinkSync(elsewhere, userDir);
    expect(() => registerRun(recordOf(process.pid, 'run-link'))).toThrow(/not a directory \(a symlink or a file\)/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});
