// Behaviour 3: the pid file is read strictly and believed only when it is still true.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive, waitFor } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
  fs.mkdirSync(sb.stateDir, { recursive: true });
});
afterEach(() => sb.cleanup());

const sweepOf = (extra = {}) => sweep({ names: [sb.name], dir: sb.stateDir, ...extra });
const pidFileReport = (report: Awaited<ReturnType<typeof sweep>>) => report.files.find((f) => f.path === sb.pidFile);

/** A pid no process has right now. */
function freePid(): number {
  const max = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max; pid > 300; pid--) if (!fs.existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
}

describe('the pid file', () => {
  it.each([
    ['garbage', 'not-a-pid'],
    ['a negative number', '-42'],
    ['pid 1', '1'],
    ['a pid above pid_max', '99999999'],
    ['two numbers', '12 13'],
  ])('removes a corrupt one (%s) and quotes it', async (_label, content) => {
    fs.writeFileSync(sb.pidFile, content);
    const report = await sweepOf();
    expect(pidFileReport(report)).toMatchObject({ action: 'removed', reason: expect.stringContaining(`corrupt pid file (${JSON.stringify(content)}`) });
    expect(fs.existsSync(sb.pidFile)).toBe(false);
    expect(report.ok).toBe(true);
  });

  it('removes one naming a pid nobody has', async () => {
    const pid = freePid();
    fs.writeFileSync(sb.pidFile, String(pid));
    const report = await sweepOf();
    expect(pidFileReport(report)).toMatchObject({ action: 'removed', reason: `stale: names pid ${pid}, which is not running` });
  });

  it('removes one whose pid now belongs to another program, and leaves that program alone', async () => {
    const sleeper = sb.spawnRaw(['600'], {}, { command: 'sleep', detached: true });
    fs.writeFileSync(sb.pidFile, `${sleeper.pid}\n`);
    const report = await sweepOf();
    expect(pidFileReport(report)).toMatchObject({
      action: 'removed',
      reason: expect.stringContaining(`names pid ${sleeper.pid}, which is now \`sleep 600\`, not a daemon (the pid was reused)`),
    });
    expect(report.processes).toEqual([]);
    expect(isAlive(sleeper.pid)).toBe(true);
  });

  it('calls it reused when the daemon there started after the file was written', async () => {
    const daemon = await sb.start({ env: { FAKE_MCP_NO_SOCKET: '1' } });
    const anHourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(sb.pidFile, anHourAgo, anHourAgo);
    const report = await sweepOf({ dryRun: true });
    expect(pidFileReport(report)).toMatchObject({
      action: 'would-remove',
      reason: expect.stringMatching(new RegExp(`names pid ${daemon.pid}, now .* started .*, after the pid file was written .* \\(the pid was reused\\)`)),
    });
  });

  it('removes the file of a daemon it stopped when the daemon could not', async () => {
    // A daemon killed with SIGKILL never removes its own pid file.
    const daemon = await sb.start({ env: { FAKE_MCP_IGNORE_TERM: '1' } });
    const report = await sweepOf({ graceMs: 100 });
    expect(report.processes).toEqual([expect.objectContaining({ pid: daemon.pid, action: 'killed', signal: 'SIGKILL' })]);
    expect(pidFileReport(report)).toMatchObject({ action: 'removed', reason: `names daemon ${daemon.pid}, stopped by this sweep` });
    expect(fs.existsSync(sb.pidFile)).toBe(false);
  });

  it('removes a symlink as a link and never reads or touches its target', async () => {
    const precious = path.join(sb.root, 'precious.txt');
    fs.writeFileSync(precious, '4242');
    fs.symlinkSync(precious, sb.pidFile);
    const report = await sweepOf();
    expect(pidFileReport(report)).toMatchObject({ action: 'removed', reason: 'a symlink where the pid file should be' });
    expect(fs.readFileSync(precious, 'utf8')).toBe('4242');
  });

  it('keeps one naming a live daemon that is left alone', async () => {
    const daemon = await sb.start({ foreground: true, env: { FAKE_MCP_NO_SOCKET: '1' } }); // in our process group
    await waitFor(() => fs.existsSync(sb.pidFile), { message: 'the pid file' });
    const report = await sweepOf();
    expect(pidFileReport(report)).toMatchObject({ action: 'kept', reason: expect.stringContaining(`names live daemon ${daemon.pid}, left alone because`) });
    expect(fs.readFileSync(sb.pidFile, 'utf8')).toBe(String(daemon.pid));
  });
});
