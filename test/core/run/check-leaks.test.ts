// The per-file leak check: stops what one owner left, names it, never touches another owner's.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLeaks, OWNER_ENV, ownerTag } from '../../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../../helpers/fake-daemon.js';
import { isAlive } from '../../helpers/wait.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

const fileA = ownerTag('run-9', 'worker 2', 'test/a b.test.ts');
const fileB = ownerTag('run-9', 'worker 2', 'test/b.test.ts');
const startFor = (owner: string, extra: Record<string, string> = {}) =>
  sb.start({ args: ['daemon', '--socket-path', path.join(sb.root, `${Math.random()}.sock`)], env: { [OWNER_ENV]: owner, ...extra } });

describe('checkLeaks', () => {
  it('builds tags without spaces, "=" or stray "/"', () => {
    expect(fileA).toBe('run-9/worker_2/test:a_b.test.ts');
  });

  it('stops the daemons one file left, with their children, and names each (warn, the default)', async () => {
    const leaked = await startFor(fileA, { FAKE_MCP_CHILDREN: '1' });
    const other = await startFor(fileB);
    const check = await checkLeaks({ names: [sb.name], dir: sb.stateDir, owner: fileA, label: 'test/a b.test.ts' });
    expect(check.leaks.map((p) => p.pid)).toEqual([leaked.pid]);
    expect(check.verdict.error).toBeUndefined();
    expect(check.verdict.lines).toHaveLength(1);
    expect(check.verdict.lines[0]).toMatch(/^mcp-reaper: test\/a b\.test\.ts left a daemon running; mcp-reaper stopped it:\n/);
    expect(check.verdict.lines[0]).toContain(`pid ${leaked.pid} terminated: `);
    expect(isAlive(leaked.pid) || isAlive(leaked.children[0]!)).toBe(false);
    expect(isAlive(other.pid)).toBe(true);
  });

  it('fails with the same message under onLeak "fail"', async () => {
    const leaked = await startFor(fileA);
    const check = await checkLeaks({ names: [sb.name], dir: sb.stateDir, owner: fileA, onLeak: 'fail', label: 'a.test.ts' });
    expect(check.verdict.lines).toEqual([]);
    expect(check.verdict.error?.message).toContain(`a.test.ts left a daemon running; mcp-reaper stopped it:\n  pid ${leaked.pid} terminated: `);
    // The message is all there is to show: no stack into mcp-reaper.
    expect(check.verdict.error?.stack).toBe('');
  });

  it('stops them silently with onLeak "kill", and says nothing when there is no leak', async () => {
    const leaked = await startFor(fileA);
    const killed = await checkLeaks({ names: [sb.name], dir: sb.stateDir, owner: fileA, onLeak: 'kill' });
    expect(killed.leaks.map((p) => p.pid)).toEqual([leaked.pid]);
    expect(killed.verdict).toEqual({ lines: [] });
    const clean = await checkLeaks({ names: [sb.name], dir: sb.stateDir, owner: fileA });
    expect(clean).toMatchObject({ leaks: [], verdict: { lines: [] } });
  });
});
