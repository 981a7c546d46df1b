// The progress line while a sweep waits for stubborn processes: its rules on its own, then through
// main() with a stream that says it is a terminal and one that does not. (terminal.test.ts sees it
// in a real terminal.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../packages/core/src/cli/main.js';
import { createColors } from '../../packages/core/src/cli/format-report.js';
import { PROGRESS_AFTER_MS, progressLine } from '../../packages/core/src/cli/progress-line.js';
import { createSandbox, type Sandbox } from '../helpers/fake-daemon.js';
import { describeNeeds, needs } from '../helpers/needs.js';

const ERASE = '\r\u001b[K';

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { write: (s: string) => chunks.push(s), isTTY, columns: 120 }, chunks, text: () => chunks.join('') };
}

describe('progressLine', () => {
  it('says nothing in the first second, then counts in place, and erases itself when the wait is over', () => {
    const out = recorder(true);
    const line = progressLine(out.stream, createColors(false));
    line.onWait({ waiting: 2, elapsedMs: 10 });
    line.onWait({ waiting: 2, elapsedMs: PROGRESS_AFTER_MS - 1 });
    expect(out.chunks).toEqual([]);
    line.onWait({ waiting: 2, elapsedMs: 1400 });
    expect(out.chunks).toEqual([`${ERASE}waiting for 2 processes to exit (1.4 s)…`]);
    line.onWait({ waiting: 1, elapsedMs: 1450 }); // a new count is drawn at once
    expect(out.chunks.at(-1)).toBe(`${ERASE}waiting for 1 process to exit (1.4 s)…`);
    line.onWait({ waiting: 0, elapsedMs: 1500 });
    expect(out.chunks.at(-1)).toBe(ERASE);
    const count = out.chunks.length;
    line.done();
    expect(out.chunks).toHaveLength(count); // nothing left to erase
  });

  it('erases nothing when it never drew', () => {
    const out = recorder(true);
    const line = progressLine(out.stream, createColors(false));
    line.onWait({ waiting: 1, elapsedMs: 5 });
    line.onWait({ waiting: 0, elapsedMs: 8 });
    line.done();
    expect(out.chunks).toEqual([]);
  });
});

describeNeeds([needs.proc], 'the sweep command', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await createSandbox();
  });
  afterEach(() => sb.cleanup());

  const sweepWith = async (stderrIsTTY: boolean, ...flags: string[]) => {
    await sb.start({ env: { FAKE_MCP_IGNORE_TERM: '1' } });
    const stdout = recorder(false);
    const stderr = recorder(stderrIsTTY);
    const code = await main(['--dir', sb.stateDir, '--name', sb.name, '--grace', '1300', ...flags], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      cwd: sb.root,
      env: { HOME: sb.root },
    });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  it('shows it on a terminal while a daemon ignores SIGTERM, and leaves the line clean', async () => {
    const { code, stdout, stderr } = await sweepWith(true);
    expect(code).toBe(0);
    // Dim, as a terminal gets colour; NO_COLOR is not set here.
    expect(stderr).toMatch(/^\r\u001b\[K\u001b\[2mwaiting for 1 process to exit \(\d+\.\d s\)…/);
    expect(stderr.endsWith(ERASE)).toBe(true);
    expect(stdout).toContain('1 daemon stopped (1 needed SIGKILL)');
  });

  it('never on a pipe, nor with --json, even on a terminal', async () => {
    expect((await sweepWith(false)).stderr).toBe('');
    const json = await sweepWith(true, '--json');
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
  });
});
