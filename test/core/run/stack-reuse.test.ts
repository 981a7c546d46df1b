// The developer's loop, in one process: an `up` run holds the stack, and a test run of the same config
// uses it (never stops it); a run of another config, or of an edited one, does not, and when its
// ports collide the error names the `up`, its config file and the first difference.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { StackConfig } from '../../../packages/core/src/config/stack-options.js';
import { startRun, type Run } from '../../../packages/core/src/run/start-run.js';
import { createSandbox, FAKE_REST, type Sandbox } from '../../helpers/fake-daemon.js';
import { freePort } from '../../helpers/net.js';
import { describeNeeds, needs } from '../../helpers/needs.js';
import { isAlive } from '../../helpers/wait.js';

let sb: Sandbox;
const runs: Run[] = [];
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  for (const run of runs.splice(0).reverse()) await run.end();
  await sb.cleanup();
});

/** A config file on disk (its path is what makes two stacks the same) and its stack: the REST fake on a fixed port. */
async function project(label: string, port: number, extraEnv: Record<string, string> = {}): Promise<{ configFile: string; stack: StackConfig }> {
  const rest = await sb.install('rest-reuse', FAKE_REST).catch(() => path.join(sb.binDir, 'rest-reuse'));
  const dir = path.join(sb.root, label);
  fs.mkdirSync(dir, { recursive: true });
  const stack: StackConfig = { rest: { command: [rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port), ...extraEnv }, ready: { url: `http://localhost:${port}/health` } } };
  const configFile = path.join(dir, 'mcp-reaper.config.json');
  fs.writeFileSync(configFile, JSON.stringify({ stack }));
  return { configFile, stack };
}

async function up(configFile: string, stack: StackConfig): Promise<Run> {
  const run = await startRun({ names: [sb.name], dir: sb.stateDir, watchdog: false, stack }, { kind: 'up', configFile });
  runs.push(run);
  sb.track(run.stack!.services.rest!.pid);
  return run;
}

const test = (configFile: string, stack: StackConfig, stackReuse: 'local' | 'always' | 'never' = 'always') =>
  startRun({ names: [sb.name], dir: sb.stateDir, watchdog: false, stack, stackReuse }, { kind: 'vitest', root: path.dirname(configFile), configFile });

/** The error of a start expected to fail (a start that succeeds is ended, and fails the test). */
const failure = (started: Promise<Run>): Promise<Error & { code?: string }> =>
  started.then(
    async (run) => {
      await run.end();
      throw new Error('expected the run not to start');
    },
    (error: unknown) => error as Error & { code?: string },
  );

describeNeeds([needs.proc], 'a run and a live `mcp-reaper up` of the same stack', () => {
  it('uses the up\'s services, says so in one line, and leaves them running at its end', async () => {
    const port = await freePort();
    const { configFile, stack } = await project('one', port);
    const held = await up(configFile, stack);
    const pid = held.stack!.services.rest!.pid;
    const run = await test(configFile, stack);
    try {
      expect(run.reusedFrom).toBe(held.runId);
      expect(run.stack).toBeUndefined();
      expect(run.notices).toEqual([`mcp-reaper: reusing the stack of \`mcp-reaper up\` (run ${held.runId}, pid ${process.pid}): rest; it stays up after this run`]);
      expect(process.env.MCP_REAPER_STACK_REST_PID).toBe(String(pid));
      expect(run.stackEnv.MCP_REAPER_STACK_REST_URL).toBe(`http://localhost:${port}/health`);
    } finally {
      await run.end();
    }
    expect(isAlive(pid)).toBe(true);
    expect((await fetch(`http://localhost:${port}/health`)).status).toBe(200);
  });

  it('does not reuse under CI with "local", nor with "never": its own start then finds the port held, and says by whom', async () => {
    const port = await freePort();
    const { configFile, stack } = await project('ci', port);
    const held = await up(configFile, stack);
    const saved = process.env.CI;
    process.env.CI = 'true';
    try {
      for (const mode of ['local', 'never'] as const) {
        const error = await failure(test(configFile, stack, mode));
        expect(error).toMatchObject({ code: 'EPORTHELD' });
        expect(error.message).toContain(`\`mcp-reaper up\` (run ${held.runId}, pid ${process.pid}) holds a stack of config ${configFile}, not this run's: the same stack, but it cannot be reused here`);
      }
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
    expect(isAlive(held.stack!.services.rest!.pid)).toBe(true);
  });

  it("never reuses another worktree's up or an edited config; the clash names the up, its config file and the first difference", async () => {
    const port = await freePort();
    const theirs = await project('worktree-a', port);
    const held = await up(theirs.configFile, theirs.stack);
    const other = await project('worktree-b', port);
    const fromOther = await failure(test(other.configFile, other.stack));
    expect(fromOther).toMatchObject({ code: 'EPORTHELD' });
    expect(fromOther.message).toContain(`\`mcp-reaper up\` (run ${held.runId}, pid ${process.pid}) holds a stack of config ${theirs.configFile}, not this run's: its config file is ${theirs.configFile}, this run's ${other.configFile}`);

    const edited = { rest: { ...theirs.stack.rest!, env: { ...theirs.stack.rest!.env, LOG_LEVEL: 'debug' } } };
    const fromEdited = await failure(test(theirs.configFile, edited));
    expect(fromEdited.message).toContain('not this run\'s: rest.env.LOG_LEVEL: nothing there, "debug" here');
    expect(isAlive(held.stack!.services.rest!.pid)).toBe(true);
  });

  it('an up whose config file is gone is not reused: one line, and the run goes on with its own stack', async () => {
    const { configFile, stack } = await project('gone', await freePort());
    const held = await up(configFile, stack);
    fs.rmSync(configFile);
    const mine = await project('here', await freePort());
    const run = await test(mine.configFile, mine.stack);
    runs.push(run);
    sb.track(run.stack!.services.rest!.pid);
    expect(run.notices).toEqual([`mcp-reaper: not reusing the stack of \`mcp-reaper up\` (run ${held.runId}, pid ${process.pid}): its config file ${configFile} no longer exists`]);
    expect(run.reusedFrom).toBeUndefined();
  });
});
