// `mcp-reaper up` and `mcp-reaper run` with a stack in the config, through the BUILT CLI
// (packages/core/bin/mcp-reaper.js; `pnpm test` builds first): real services on real ports, under
// unique names from a sandbox.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, FAKE_COORDINATOR, FAKE_REST, type Sandbox } from '../../helpers/fake-daemon.js';
import { runCli } from '../../helpers/run-cli.js';
import { freePort, listening } from '../../helpers/net.js';
import { isAlive, waitFor } from '../../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../../packages/core/bin/mcp-reaper.js', import.meta.url));

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

/** A project dir whose config holds a two-service stack: a REST server, and a coordinator that needs it. */
async function project(): Promise<{ dir: string; port: number }> {
  const rest = await sb.install(undefined, FAKE_REST);
  const coordinator = await sb.install(undefined, FAKE_COORDINATOR);
  const port = await freePort();
  const dir = path.join(sb.root, 'project');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'mcp-reaper.config.json'),
    JSON.stringify({
      names: [sb.name],
      dir: './state',
      stack: {
        rest: { command: [rest], env: { AIAGENTPM_WEBSERVER_PORT: String(port) }, ready: { url: `http://localhost:${port}/health` } },
        coordinator: { command: [coordinator], env: { REST_URL: '${stack.rest.url}' }, dependsOn: ['rest'], ready: { line: 'coordinator ready' } },
      },
    }),
  );
  return { dir, port };
}

/** A project dir holding `config` as its mcp-reaper.config.json. */
function configured(name: string, config: object): string {
  const dir = path.join(sb.root, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'mcp-reaper.config.json'), JSON.stringify(config));
  return dir;
}

const env = () => ({ ...process.env, MCP_REAPER_RUN: undefined, MCP_REAPER_OWNER: undefined, NO_COLOR: '1' });

describe('mcp-reaper up', () => {
  it('starts the stack, prints where each service is, holds it until Ctrl-C, then stops it, verified', async () => {
    const { dir, port } = await project();
    const child = spawn(process.execPath, [BIN, 'up'], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    sb.track(child.pid!);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(() => output.includes('Ctrl-C to stop'), { timeoutMs: 20_000, message: () => `the stack to be up:\n${output}` });
      const pids = [...output.matchAll(/MCP_REAPER_STACK_(?:REST|COORDINATOR)_PID=(\d+)/g)].map((m) => Number(m[1]));
      for (const pid of pids) sb.track(pid);
      expect(pids).toHaveLength(2);
      expect(pids.every(isAlive)).toBe(true);
      expect(output).toMatch(/^mcp-reaper: stack up: rest \(pid \d+, http:\/\/localhost:\d+\/health\), coordinator \(pid \d+\)$/m);
      expect(output).toContain(`MCP_REAPER_STACK_REST_URL=http://localhost:${port}/health`);

      child.kill('SIGINT');
      expect(await exited, output).toBe(0);
      expect(output).toContain('mcp-reaper: SIGINT: stack down: 2 services stopped in');
      expect(pids.some(isAlive)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });

  it('without a stack in the config, says where to add one (exit 2)', async () => {
    const dir = path.join(sb.root, 'empty');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'mcp-reaper.config.json'), JSON.stringify({ names: [sb.name] }));
    const result = await runCli(['up'], dir, env());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`mcp-reaper: up: there is no stack to start: add a "stack" key to ${path.join(dir, 'mcp-reaper.config.json')}; see \`mcp-reaper up --help\`\n`);
  });
});

describe('mcp-reaper with parallel-stack settings', () => {
  it('run: no workers, so a worker-scoped service runs once; its auto port and ${dir} reach the command', async () => {
    const rest = await sb.install(undefined, FAKE_REST);
    const dir = configured('parallel', {
        names: [sb.name],
        dir: './state',
        stack: { rest: { command: [rest], env: { AIAGENTPM_WEBSERVER_PORT: '${port}', AIAGENTPM_DB_PATH: '${dir}/pm.db' }, port: 'auto', scope: 'worker', ready: { url: 'http://localhost:${port}/health' } } },
      });
    const check = path.join(sb.root, 'check.cjs');
    fs.writeFileSync(check, "const e = process.env; console.log(JSON.stringify({ url: e.MCP_REAPER_STACK_REST_URL, dir: e.MCP_REAPER_STACK_DIR, pid: Number(e.MCP_REAPER_STACK_REST_PID) }));\n");
    const result = await runCli(['run', '--', process.execPath, check], dir, env());
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as { url: string; dir: string; pid: number };
    expect(seen.url).toMatch(/^http:\/\/localhost:\d+\/health$/);
    expect(result.stderr).toContain(`mcp-reaper: stack up: rest (pid ${seen.pid}, ${seen.url})`);
    expect(isAlive(seen.pid)).toBe(false);
    expect(fs.existsSync(seen.dir)).toBe(false);
  });

  it('up: every problem of the stack named with its service and key, exit 2, nothing started', async () => {
    const dir = configured('bad', {
        names: [sb.name],
        stack: {
          rest: { command: ['rest-server-pm', '--port', '${port}'], scope: 'workers', ready: { url: 'http://localhost:${port}/health' } },
          web: { command: ['vite'], port: 'free', dependsOn: ['rest'], ready: { line: 'ready' } },
          db: { command: ['db'], scope: 'worker', port: 'auto', ready: { port: '${port}' } },
          api: { command: ['api'], dependsOn: ['db'], ready: { exit: 0 } },
        },
      });
    const result = await runCli(['up'], dir, env());
    expect(result.code).toBe(2);
    for (const problem of [
      '"stack.rest.scope" must be "run" or "worker"',
      '"stack.web.port" must be a TCP port (1 to 65535), "auto" (mcp-reaper chooses a free one) or 0',
    ]) {
      expect(result.stderr).toContain(problem);
    }
    expect(result.stderr).not.toContain('stack up');
  });

  it('up: ${port} without "port", and a run-scoped service depending on a worker-scoped one, exit 2', async () => {
    const dir = configured('bad2', {
        names: [sb.name],
        stack: {
          rest: { command: ['rest-server-pm', '--port', '${port}'], ready: { url: 'http://localhost:${port}/health' } },
          db: { command: ['db'], scope: 'worker', port: 'auto', ready: { port: '${port}' } },
          api: { command: ['api'], dependsOn: ['db'], ready: { exit: 0 } },
        },
      });
    const result = await runCli(['up'], dir, env());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"stack.rest.command[2]" uses ${port}, but "rest" has no "port"');
    expect(result.stderr).toContain('"stack.api" is run-scoped but depends on "db", which is worker-scoped');
  });
});

describe('mcp-reaper run with a stack', () => {
  it('starts the stack before the command, hands it the places, stops it after, with the command\'s status', async () => {
    const { dir, port } = await project();
    const check = path.join(sb.root, 'check.cjs');
    // The command a user's script would be: it reads the URL it is given and asks it.
    fs.writeFileSync(
      check,
      `const http = require('node:http');
http.get(process.env.MCP_REAPER_STACK_REST_URL, (response) => {
  console.log('health ' + response.statusCode + ' coordinator ' + process.env.MCP_REAPER_STACK_COORDINATOR_PID);
  process.exit(7);
});
`,
    );
    const result = await runCli(['run', '--', process.execPath, check], dir, env());
    expect(result.code, result.stderr).toBe(7);
    const coordinator = Number(/coordinator (\d+)/.exec(result.stdout)?.[1]);
    expect(result.stdout).toMatch(/^health 200 coordinator \d+$/m);
    expect(result.stderr).toMatch(/^mcp-reaper: stack up: rest \(pid \d+, http:\/\/localhost:\d+\/health\), coordinator \(pid \d+\)$/m);
    expect(isAlive(coordinator)).toBe(false);
    expect(await listening(port)).toBe(false);
  });
});
