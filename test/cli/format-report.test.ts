// The human report is a pure function of a SweepReport: checked here on hand-written reports.
import { describe, expect, it } from 'vitest';
import { createColors, evidenceText, formatReport, shorten, summaryLine, verdictLine } from '../../packages/core/src/cli/format-report.js';
import { GONE, REPORT_VERSION, type SweepReport } from '../../packages/core/src/report.js';

const plain = createColors(false);

const busy: SweepReport = {
  version: REPORT_VERSION,
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
    expect(stdout[0]).toMatch(/^\s+terminated\s+101 SIGTERM mcp-server-pm daemon\s+leftover daemon$/);
    expect(stdout[5]).toMatch(/^\s+removed\s+\/s\/daemon\.pid\s+stale pid file$/);
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
    const empty: SweepReport = { version: REPORT_VERSION, ok: true, dryRun: true, durationMs: 12, processes: [], files: [] };
    const { stdout, verdict } = formatReport(empty, { colors: plain, scanned: { dir: '/s', names: ['mcpt-x'] } });
    expect(stdout).toEqual(['nothing to do (no mcpt-x processes, no stale files in /s; 12 ms)', 'dry run: nothing was changed']);
    expect(verdict).toBeUndefined();
  });

  it('summarises a dry run and skips', () => {
    const dry: SweepReport = {
      version: REPORT_VERSION,
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

describe('columns', () => {
  it('starts each column at the same place on every line, with colour or without', () => {
    for (const colors of [plain, createColors(true)]) {
      const lines = formatReport(busy, { colors, width: 120 }).stdout.slice(0, 4).map((l) => l.replace(/\u001b\[\d+m/g, ''));
      const at = (text: string) => lines.map((line, i) => line.indexOf(text === 'pid' ? String(101 + i) : text));
      // The pids end in one column, the commands start in one, the reasons start in one.
      expect(new Set(lines.map((line, i) => line.indexOf(String(101 + i)) + 3)).size).toBe(1);
      expect(new Set(at('mcp-server-pm')).size).toBe(1);
      const reasons = ['leftover daemon', 'ignored SIGTERM', 'owned by a live client', 'still alive; check for D state'];
      expect(new Set(lines.map((line, i) => line.indexOf(reasons[i]!))).size).toBe(1);
    }
  });

  it('lines up the paths and the reasons of the files', () => {
    const report: SweepReport = {
      ...busy,
      processes: [],
      files: [
        { path: '/state/mcp.sock', action: 'removed', reason: 'stale socket' },
        { path: '/state/a-much-longer-name.pid', action: 'skipped', reason: 'another user' },
      ],
    };
    const [a, b] = formatReport(report, { colors: plain }).stdout;
    expect(a!.indexOf('stale socket')).toBe(b!.indexOf('another user'));
    expect(a!.indexOf('/state')).toBe(b!.indexOf('/state'));
  });
});

describe('--verbose evidence', () => {
  const evidenced: SweepReport = {
    ...busy,
    processes: [
      {
        pid: 201,
        command: 'node /opt/bin/mcp-server-pm daemon',
        action: 'terminated',
        signal: 'SIGTERM',
        reason: 'leftover',
        evidence: {
          match: { name: 'mcp-server-pm', via: 'argv[1]', subcommand: 'daemon' },
          parent: { pid: 1, command: '/sbin/init', orphaned: true },
          owner: { tag: 'run-1/w2', meaning: 'dead run' },
        },
      },
      {
        pid: 202,
        command: 'mcp-server-pm daemon',
        action: 'kept',
        reason: 'of a live run',
        evidence: { match: { name: 'mcp-server-pm', via: 'argv[0]', subcommand: 'daemon' }, owner: { tag: 'run-2', meaning: 'live run', runId: 'run-2' } },
      },
      { pid: 203, command: 'mcp-server-pm daemon', action: 'respawned', reason: 'came back' },
    ],
    files: [],
  };

  it('says how each process matched, its parent and what its owner tag meant', () => {
    expect(evidenceText(evidenced.processes[0]!)).toBe(
      'matched mcp-server-pm by argv[1], behind an interpreter, subcommand daemon; orphaned: adopted by 1 (/sbin/init); owner tag run-1/w2: a run that is over',
    );
    expect(evidenceText(evidenced.processes[1]!)).toBe('matched mcp-server-pm by argv[0], subcommand daemon; owner tag run-2: live run run-2');
    expect(evidenceText(evidenced.processes[2]!)).toBe('a new process, started after the stop: not surveyed');
    const withParent = (parent: { pid: number; command: string; orphaned: boolean }) =>
      evidenceText({ pid: 9, command: 'x', action: 'kept', reason: '', evidence: { parent } });
    expect(withParent({ pid: 77, command: 'bash -c ./test.sh', orphaned: false })).toBe('parent 77 (bash -c ./test.sh), alive');
    expect(withParent({ pid: 78, command: GONE, orphaned: true })).toBe('orphaned: its parent 78 is gone');
  });

  it('puts one indented line under each process, and none without --verbose', () => {
    const quiet = formatReport(evidenced, { colors: plain }).stdout;
    const verbose = formatReport(evidenced, { colors: plain, verbose: true }).stdout;
    expect(verbose).toHaveLength(quiet.length + 3);
    for (const i of [0, 1, 2]) {
      expect(verbose[2 * i]).toBe(quiet[i]);
      expect(verbose[2 * i + 1]).toBe(`${' '.repeat(15)}${evidenceText(evidenced.processes[i]!)}`);
    }
  });
});

describe('shorten', () => {
  it('keeps a command that fits, shortens its absolute paths first, and cuts the end last', () => {
    expect(shorten('/usr/bin/node /opt/bin/mcp-server-pm daemon', 100)).toBe('/usr/bin/node /opt/bin/mcp-server-pm daemon');
    expect(shorten('/usr/bin/node /tmp/mcp-reaper-test-x/bin/mcp-server-pm daemon --socket-path /tmp/a.sock', 60)).toBe(
      '…/node …/mcp-server-pm daemon --socket-path …/a.sock',
    );
    expect(shorten('/usr/bin/node /tmp/x/mcp-server-pm daemon --verbose --more-flags', 30)).toBe('…/node …/mcp-server-pm daemon…');
    expect(shorten('mcp-server-pm daemon /', 10)).toBe('mcp-serve…');
  });
});
