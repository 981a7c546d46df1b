// The human report is a pure function of a SweepReport: checked here on hand-written reports.
import { describe, expect, it } from 'vitest';
import { createColors, formatReport, summaryLine, verdictLine } from '../../packages/core/src/cli/format-report.js';
import type { SweepReport } from '../../packages/core/src/report.js';

const plain = createColors(false);

const busy: SweepReport = {
  ok: false,
  dryRun: false,
  durationMs: 523.4,
  processes: [
    { pid: 101, command: 'mcp-server-pm daemon', action: 'terminated', signal: 'SIGTERM', reason: 'leftover daemon' },
    { pid: 102, command: 'mcp-server-pm daemon --foreground', action: 'killed', signal: 'SIGKILL', reason: 'ignored SIGTERM' },
    { pid: 103, command: 'mcp-server-pm serve', action: 'kept', reason: 'owned by a live client' },
    { pid: 104, command: 'mcp-server-pm daemon', action: 'survived', signal: 'SIGKILL', reason: 'still alive; check for D state' },
  ],
  files: [
    { path: '/s/mcp.sock', action: 'removed', reason: 'stale socket' },
    { path: '/s/daemon.pid', action: 'removed', reason: 'stale pid file' },
    { path: '/s/other.sock', action: 'absent', reason: 'not there' },
  ],
};

describe('formatReport', () => {
  it('writes one line per process and non-absent file, then the summary', () => {
    const { stdout, problems, verdict } = formatReport(busy, { colors: plain });
    expect(stdout).toHaveLength(4 + 2 + 1 + 1);
    expect(stdout[0]).toMatch(/^\s+terminated\s+101 SIGTERM mcp-server-pm daemon\s+— leftover daemon$/);
    expect(stdout[5]).toMatch(/^\s+removed\s+\/s\/daemon\.pid\s+— stale pid file$/);
    expect(stdout[6]).toMatch(/absent\s+other\.sock in \/s$/);
    expect(stdout.at(-1)).toBe('2 daemons stopped (1 needed SIGKILL), 2 files removed, 1 kept, 1 survived, in 523 ms');
    expect(problems).toEqual([stdout[3]]);
    expect(verdict).toBe('mcp-reaper: 1 process survived; see the reasons above');
  });

  it('trims long command lines to the width', () => {
    const long: SweepReport = {
      ...busy,
      processes: [{ pid: 7, command: `mcp-server-pm daemon ${'--x '.repeat(100)}`, action: 'would-kill', reason: 'leftover' }],
      files: [],
    };
    const [line] = formatReport(long, { colors: plain, width: 80 }).stdout;
    expect(line).toContain('…');
    expect(line!.indexOf('…')).toBeLessThanOrEqual(80);
  });

  it('colours action words only when asked', () => {
    const colored = formatReport(busy, { colors: createColors(true) }).stdout.join('\n');
    expect(colored).toContain(createColors(true).green('terminated'));
    expect(colored).toContain(createColors(true).red('survived'));
    expect(formatReport(busy, { colors: plain }).stdout.join('\n')).not.toContain('\u001b[');
  });

  it('says "nothing to do" and "dry run"', () => {
    const empty: SweepReport = { ok: true, dryRun: true, durationMs: 12, processes: [], files: [] };
    const { stdout, verdict } = formatReport(empty, { colors: plain, scanned: { dir: '/s', names: ['mcpt-x'] } });
    expect(stdout).toEqual(['nothing to do (no mcpt-x processes, no stale files in /s; 12 ms)', 'dry run: nothing was changed']);
    expect(verdict).toBeUndefined();
  });

  it('summarises a dry run and skips', () => {
    const dry: SweepReport = {
      ok: false,
      dryRun: true,
      durationMs: 3,
      processes: [
        { pid: 1, command: 'a', action: 'would-kill', reason: '' },
        { pid: 2, command: 'b', action: 'skipped', reason: 'another user' },
      ],
      files: [{ path: '/s/x', action: 'would-remove', reason: '' }, { path: '/s/y', action: 'skipped', reason: 'another user' }],
    };
    expect(summaryLine(dry)).toBe('1 daemon would be stopped, 1 file would be removed, 1 process skipped, 1 file skipped, in 3 ms');
    expect(verdictLine(dry)).toBe('mcp-reaper: 1 process skipped for safety, 1 file skipped; see the reasons above');
  });
});
