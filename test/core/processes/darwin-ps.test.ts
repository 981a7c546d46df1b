import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReaperError } from '../../../packages/core/src/errors.js';
import {
  createDarwinSource,
  parsePsTable,
  type RunCommand,
} from '../../../packages/core/src/processes/darwin-ps.js';
import { commandLine, isDead, type ProcessInfo } from '../../../packages/core/src/processes/process-info.js';
import { describeNeeds, itNeeds, needs } from '../../helpers/needs.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/darwin/${name}`, import.meta.url), 'utf8');

const STATUS = fixture('ps-status.txt');
const ARGS = fixture('ps-args.txt');
const PROBE_STATUS = fixture('ps-probe-status.txt');
const PROBE_ARGS = fixture('ps-probe-args.txt');
const LSOF_CWD = fixture('lsof-cwd.txt');

const STATUS_COLUMNS = 'pid=,ppid=,pgid=,ruid=,stat=,lstart=,ucomm=';
const ARGS_COLUMNS = 'pid=,args=';
const PS_ENV = { LC_ALL: 'C', TZ: 'UTC0' };

function byPid(list: ProcessInfo[]): Map<number, ProcessInfo> {
  return new Map(list.map((info) => [info.pid, info]));
}

interface Call {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** A runner that records its calls and answers `ps` by which columns it was asked for. */
function recorder(answer: (call: Call) => string | Promise<string>): { run: RunCommand; calls: Call[] } {
  const calls: Call[] = [];
  const run: RunCommand = async (file, args, env) => {
    const call = { file, args: [...args], env: { ...env } };
    calls.push(call);
    return answer(call);
  };
  return { run, calls };
}

const fromFixtures = (status: string, args: string) => (call: Call) =>
  call.args.includes(ARGS_COLUMNS) ? args : status;

describe('parsePsTable on the recorded macOS output', () => {
  const table = parsePsTable(STATUS, ARGS);
  const processes = byPid(table);

  it('joins every pid present in both outputs, in order', () => {
    const statusPids = STATUS.trim().split('\n').map((line) => Number(line.trim().split(/\s+/)[0]));
    expect(statusPids).toHaveLength(33);
    expect(table).toHaveLength(32);
    expect(table.map((info) => info.pid)).toEqual(statusPids.filter((pid) => pid !== 7795));
  });

  it('reads every field of the foreground daemon', () => {
    expect(processes.get(7301)).toEqual({
      pid: 7301,
      ppid: 7280,
      pgid: 7280,
      sid: 0,
      uid: 501,
      name: 'mcp-server-pm',
      argv: ['/opt/homebrew/bin/mcp-server-pm', 'daemon', '--socket-path', '/tmp/uc003.sock', '--foreground'],
      state: 'S',
      startKey: 'Wed Nov 25 11:41:02 2026',
      startedAt: Date.parse('2026-11-25T11:41:02Z'),
    });
  });

  it('reads the forked daemon re-parented to launchd, and the one of another user', () => {
    expect(processes.get(7415)).toMatchObject({
      ppid: 1,
      pgid: 7415,
      uid: 501,
      state: 'S',
      argv: ['/opt/homebrew/bin/mcp-server-pm', 'daemon'],
      startedAt: Date.parse('2026-11-25T11:41:05Z'),
    });
    expect(processes.get(8120)).toMatchObject({ ppid: 1, uid: 502, argv: ['/opt/homebrew/bin/mcp-server-pm', 'daemon'] });
  });

  // adv_cmds ps never lists pid 0 (kernel_task); ucomm is padded to 16 even as the last column.
  it('reads launchd, with the space-padded day of lstart, and no kernel_task', () => {
    expect(processes.has(0)).toBe(false);
    expect(processes.get(1)).toEqual({
      pid: 1,
      ppid: 0,
      pgid: 1,
      sid: 0,
      uid: 0,
      name: 'launchd',
      argv: ['/sbin/launchd'],
      state: 'S',
      // `Mon Nov  2` in the output: one space in the key.
      startKey: 'Mon Nov 2 09:05:01 2026',
      startedAt: Date.parse('2026-11-02T09:05:01Z'),
    });
  });

  it('takes the first letter of stat as the state', () => {
    const states = Object.fromEntries([455, 498, 6042, 7301, 7310, 7415, 7801].map((pid) => [pid, processes.get(pid)?.state]));
    expect(states).toEqual({ 455: 'I', 498: 'U', 6042: 'S', 7301: 'S', 7310: 'Z', 7415: 'S', 7801: 'R' });
  });

  it('keeps ucomm whole when it contains spaces and parentheses', () => {
    expect(processes.get(1402)?.name).toBe('Google Chrome');
    expect(processes.get(1455)?.name).toBe('Google Chrome He');
    expect(processes.get(2260)?.name).toBe('Cursor Helper (P');
    expect(processes.get(2260)?.startKey).toBe('Tue Nov 24 09:01:41 2026');
  });

  it('keeps the 16-character ucomm of mcp-server-pm-helper as ps cuts it', () => {
    expect(processes.get(7420)).toMatchObject({
      name: 'mcp-server-pm-he',
      argv: ['/opt/homebrew/bin/mcp-server-pm-helper', '--watch'],
    });
  });

  it('splits args on white space, so arguments with spaces come back in pieces', () => {
    expect(processes.get(7702)?.argv).toEqual([
      'tail',
      '-f',
      '/Users/dev/Library/Application',
      'Support/AIAgentPM/mcp-server-pm.log',
    ]);
    expect(processes.get(1402)?.argv).toEqual(['/Applications/Google', 'Chrome.app/Contents/MacOS/Google', 'Chrome']);
    expect(processes.get(5121)).toMatchObject({ name: 'zsh', argv: ['-zsh'] });
    expect(processes.get(7706)?.argv).toEqual(['grep', 'mcp-server-pm']);
  });

  it('reads the zombie as dead with no arguments (ps prints `(ucomm)` for arguments it cannot read)', () => {
    const zombie = processes.get(7310);
    expect(zombie).toMatchObject({ name: 'mcp-server-pm', state: 'Z', argv: [], ppid: 7280 });
    expect(isDead(zombie)).toBe(true);
    expect(commandLine(zombie!)).toBe('[mcp-server-pm]');
    expect(isDead(processes.get(7301))).toBe(false);
  });

  it('takes `(ucomm)` as no arguments only when it is the ucomm, and `<defunct>` (other BSDs) too', () => {
    const status = ' 7310  7280  7280   501 Z    Wed Nov 25 11:41:03 2026     mcp-server-pm   \n 7311  7280  7280   501 S    Wed Nov 25 11:41:03 2026     sh              \n';
    const parsed = byPid(parsePsTable(status, ' 7310 <defunct>\n 7311 (mcp-server-pm)\n'));
    expect(parsed.get(7310)?.argv).toEqual([]);
    // A process whose real argv[0] is `(mcp-server-pm)` keeps it: its ucomm is another name.
    expect(parsed.get(7311)?.argv).toEqual(['(mcp-server-pm)']);
  });

  it('drops pids that appear in only one of the two outputs (raced with exit or start)', () => {
    expect(STATUS).toMatch(/^ 7795 /m);
    expect(ARGS).toMatch(/^ 7802 /m);
    expect(processes.has(7795)).toBe(false);
    expect(processes.has(7802)).toBe(false);
    expect(processes.get(7801)?.argv).toEqual(['ps', '-axww', '-o', STATUS_COLUMNS]);
  });

  it('skips malformed and blank lines without throwing', () => {
    const status = [
      '  PID  PPID  PGID   UID STAT STARTED                      UCOMM',
      '',
      '   42     1    42   501 Ss   Wed Nov 25 11:42:04 2026     good',
      '   43     1    43   501 Ss   Wed Nov 25 11:42',
      '   4x     1    44   501 Ss   Wed Nov 25 11:42:04 2026     badpid',
      '   45     1    45   501 Ss   Wed Foo 25 11:42:04 2026     badmonth',
      '   46     1    46   501 S    Thu Nov 26 00:00:00 2026',
      '   \t  ',
      'garbage',
    ].join('\n');
    const args = ['  PID ARGS', '   42 /bin/good --flag', '   45 x', '   46 ', 'zz 43', ''].join('\n');
    const table = parsePsTable(status, args);
    expect(table).toEqual([
      {
        pid: 42,
        ppid: 1,
        pgid: 42,
        sid: 0,
        uid: 501,
        name: 'good',
        argv: ['/bin/good', '--flag'],
        state: 'S',
        startKey: 'Wed Nov 25 11:42:04 2026',
        startedAt: Date.parse('2026-11-25T11:42:04Z'),
      },
      // No ucomm and no args: kept, with empty name and argv.
      expect.objectContaining({ pid: 46, name: '', argv: [], startedAt: Date.parse('2026-11-26T00:00:00Z') }),
    ]);
  });

  it('accepts CRLF line ends', () => {
    const table = parsePsTable(PROBE_STATUS.replaceAll('\n', '\r\n'), PROBE_ARGS.replaceAll('\n', '\r\n'));
    expect(table.map((info) => [info.pid, info.name, info.argv.at(-1)])).toEqual([
      [7301, 'mcp-server-pm', '--foreground'],
      [7310, 'mcp-server-pm', undefined],
      [7415, 'mcp-server-pm', 'daemon'],
    ]);
  });

  it('throws EPROCESSLIST naming the command when the status output is empty or unparseable', () => {
    for (const status of ['', '\n\n', 'ps: illegal option -- w\nusage: ps ...\n']) {
      let caught: unknown;
      try {
        parsePsTable(status, ARGS);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ReaperError);
      expect((caught as ReaperError).code).toBe('EPROCESSLIST');
      expect((caught as ReaperError).message).toContain(`ps -o ${STATUS_COLUMNS}`);
      expect((caught as ReaperError).message).toContain('LC_ALL=C');
    }
  });

  it('throws EPROCESSLIST naming the args command when the args output is empty', () => {
    expect(() => parsePsTable(STATUS, '')).toThrow(
      expect.objectContaining({ code: 'EPROCESSLIST', message: expect.stringContaining(`ps -o ${ARGS_COLUMNS}`) }),
    );
  });
});

describe('createDarwinSource with an injected runner', () => {
  it('describes macOS', () => {
    const source = createDarwinSource({ run: async () => '' });
    expect(source.platform).toBe('darwin');
    expect(source.pidMax).toBe(99998);
  });

  it('list() runs both ps commands with the C locale and UTC, and joins them', async () => {
    const { run, calls } = recorder(fromFixtures(STATUS, ARGS));
    const list = await createDarwinSource({ run }).list();
    expect(calls).toEqual([
      { file: 'ps', args: ['-axww', '-o', STATUS_COLUMNS], env: PS_ENV },
      { file: 'ps', args: ['-axww', '-o', ARGS_COLUMNS], env: PS_ENV },
    ]);
    expect(list).toEqual(parsePsTable(STATUS, ARGS));
    expect(list).toHaveLength(32);
  });

  it('list() starts both ps runs before either answers', async () => {
    const pending: Array<() => void> = [];
    const { run, calls } = recorder(
      (call) => new Promise<string>((resolve) => pending.push(() => resolve(fromFixtures(STATUS, ARGS)(call)))),
    );
    const listing = createDarwinSource({ run }).list();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(2);
    for (const resolve of pending) resolve();
    expect(await listing).toHaveLength(32);
  });

  it('list() turns a runner failure into EPROCESSLIST with the cause', async () => {
    const cause = new Error('spawn ps ENOENT');
    const source = createDarwinSource({
      run: async () => {
        throw cause;
      },
    });
    const error = await source.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReaperError);
    expect(error).toMatchObject({ code: 'EPROCESSLIST', cause });
    expect((error as ReaperError).message).toContain('spawn ps ENOENT');
    expect((error as ReaperError).message).toContain('ps -axww -o');
  });

  it('list() throws EPROCESSLIST when ps prints nothing', async () => {
    await expect(createDarwinSource({ run: async () => '' }).list()).rejects.toMatchObject({ code: 'EPROCESSLIST' });
  });

  it('probe() asks ps for just those pids and maps the live ones', async () => {
    const { run, calls } = recorder(fromFixtures(PROBE_STATUS, PROBE_ARGS));
    const found = await createDarwinSource({ run }).probe([7301, 7310, 7415, 99000]);
    expect(calls).toEqual([
      { file: 'ps', args: ['-ww', '-o', STATUS_COLUMNS, '-p', '7301,7310,7415,99000'], env: PS_ENV },
      { file: 'ps', args: ['-ww', '-o', ARGS_COLUMNS, '-p', '7301,7310,7415,99000'], env: PS_ENV },
    ]);
    expect([...found.keys()]).toEqual([7301, 7310, 7415]);
    expect(found.get(7415)).toEqual(byPid(parsePsTable(STATUS, ARGS)).get(7415));
    expect(isDead(found.get(7310))).toBe(true);
    expect(isDead(found.get(99000))).toBe(true);
  });

  it('probe() keeps only the pids it asked for, and asks for each once', async () => {
    const { run, calls } = recorder(fromFixtures(STATUS, ARGS));
    const found = await createDarwinSource({ run }).probe([8120, 7301, 8120]);
    expect(calls[0]?.args.slice(-2)).toEqual(['-p', '8120,7301']);
    expect([...found.keys()].sort()).toEqual([7301, 8120]);
  });

  it('probe() of no pids runs nothing', async () => {
    const { run, calls } = recorder(fromFixtures(STATUS, ARGS));
    const found = await createDarwinSource({ run }).probe([]);
    expect(found.size).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('probe() reads "ps exited 1 and printed nothing" as none alive', async () => {
    const { run, calls } = recorder(() => '');
    const found = await createDarwinSource({ run }).probe([99000, 99001]);
    expect(found).toEqual(new Map());
    expect(calls).toHaveLength(2);
  });

  it('probe() turns a runner failure into EPROCESSLIST', async () => {
    const source = createDarwinSource({
      run: async () => {
        throw new Error('killed by SIGKILL');
      },
    });
    await expect(source.probe([1])).rejects.toMatchObject({ code: 'EPROCESSLIST' });
  });

  it('readUid() reads the uid column of a probe, undefined when gone', async () => {
    const { run, calls } = recorder(fromFixtures(STATUS, ARGS));
    const source = createDarwinSource({ run });
    expect(await source.readUid(8120)).toBe(502);
    expect(calls.map((call) => call.args.slice(-2))).toEqual([
      ['-p', '8120'],
      ['-p', '8120'],
    ]);
    expect(await source.readUid(1)).toBe(0);
    expect(await createDarwinSource({ run: async () => '' }).readUid(8120)).toBeUndefined();
  });

  it('readCwd() reads the n line of lsof -Fn, spaces preserved', async () => {
    const { run, calls } = recorder(() => LSOF_CWD);
    expect(await createDarwinSource({ run }).readCwd(7415)).toBe('/Users/dev/Library/Application Support/AIAgentPM');
    expect(calls).toEqual([{ file: 'lsof', args: ['-a', '-p', '7415', '-d', 'cwd', '-Fn'], env: PS_ENV }]);
  });

  it('readCwd() is undefined when lsof fails or prints no name line', async () => {
    const failing = createDarwinSource({
      run: async () => {
        throw new Error('spawn lsof ENOENT');
      },
    });
    expect(await failing.readCwd(7415)).toBeUndefined();
    expect(await createDarwinSource({ run: async () => '' }).readCwd(7415)).toBeUndefined();
    expect(await createDarwinSource({ run: async () => 'p7415\nfcwd\n' }).readCwd(7415)).toBeUndefined();
  });
});

// procps-ng (Linux) accepts the same BSD options and prints the same formats, so the default
// runner (execa, C locale, UTC) is exercised for real here; on a Mac it runs against BSD ps.
describeNeeds([needs.ps], 'createDarwinSource with the default runner (real ps)', () => {
  const source = createDarwinSource();

  it('lists this process with its start time read as UTC', async () => {
    const self = (await source.list()).find((info) => info.pid === process.pid);
    expect(self).toBeDefined();
    expect(self!.ppid).toBe(process.ppid);
    expect(self!.uid).toBe(process.getuid?.());
    expect(self!.argv.join(' ')).toContain(process.argv0.split('/').at(-1));
    expect(self!.state).toMatch(/^[RS]$/);
    const started = Date.now() - process.uptime() * 1000;
    expect(Math.abs(self!.startedAt - started)).toBeLessThan(3000);
  });

  it('probes a live pid and a gone one (ps exits 1 with nothing printed)', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(gone).toBeGreaterThan(0);
    const found = await source.probe([process.pid, gone]);
    expect([...found.keys()]).toEqual([process.pid]);
    expect(await source.probe([gone])).toEqual(new Map());
    expect(await source.readUid(process.pid)).toBe(process.getuid?.());
  });

  itNeeds([needs.lsof], 'reads the working directory of this process with lsof', async () => {
    expect(await source.readCwd(process.pid)).toBe(process.cwd());
  });
});

describe('readEnv on macOS', () => {
  // `ps -E -o command=` is the command line, then the environment; `ps -o args=` the command line alone.
  const withEnv = (command: string, environment: string) => (call: Call) =>
    call.args.includes('-E') ? `${command} ${environment}\n` : `${command}\n`;
  const COMMAND = '/Applications/AIAgentPM.app/Contents/MacOS/mcp-server-pm daemon --socket-path /tmp/uc003.sock --foreground';

  it('finds the owner tag in `ps -E` output, and nothing for an unset variable', async () => {
    const recorded = fixture('ps-env.txt').trim();
    expect(recorded.startsWith(`${COMMAND} `)).toBe(true);
    const { run, calls } = recorder(withEnv(COMMAND, recorded.slice(COMMAND.length + 1)));
    const source = createDarwinSource({ run });
    await expect(source.readEnv(7415, 'MCP_REAPER_OWNER')).resolves.toBe('run-1f3a/w2/test-7');
    await expect(source.readEnv(7415, 'AIAGENTPM_DB_PATH')).resolves.toBe('/tmp/uc003.db');
    await expect(source.readEnv(7415, 'MCP_REAPER_RUN')).resolves.toBeUndefined();
    expect(calls).toContainEqual({ file: 'ps', args: ['-E', '-ww', '-o', 'command=', '-p', '7415'], env: PS_ENV });
    expect(calls).toContainEqual({ file: 'ps', args: ['-ww', '-o', 'args=', '-p', '7415'], env: PS_ENV });
  });

  it('never takes an argument that reads MCP_REAPER_OWNER=… for the tag', async () => {
    const spoofing = `${COMMAND} MCP_REAPER_OWNER=run-other`;
    const source = createDarwinSource({ run: recorder(withEnv(spoofing, 'HOME=/Users/dev MCP_REAPER_OWNER=run-mine')).run });
    await expect(source.readEnv(7415, 'MCP_REAPER_OWNER')).resolves.toBe('run-mine');
    const untagged = createDarwinSource({ run: recorder(withEnv(spoofing, 'HOME=/Users/dev')).run });
    await expect(untagged.readEnv(7415, 'MCP_REAPER_OWNER')).resolves.toBeUndefined();
  });

  it('gives undefined when ps fails', async () => {
    const source = createDarwinSource({ run: async () => Promise.reject(new Error('ps: not found')) });
    await expect(source.readEnv(7415, 'MCP_REAPER_OWNER')).resolves.toBeUndefined();
  });
});
