// The config key `stack`: each service's shape, then what only the whole stack tells. Every problem
// is listed at once, naming the service and the key as the user wrote them.
import { describe, expect, it } from 'vitest';
import { stackRule } from '../../../packages/core/src/config/stack-rules.js';

const problems = (stack: unknown): string[] => {
  const found = stackRule(stack, 'stack');
  return found === undefined ? [] : typeof found === 'string' ? [found] : [...found];
};

const REAL = {
  daemon: { command: ['mcp-server-pm', 'daemon', '--socket-path', '/tmp/uc.sock', '--foreground'], ready: { socket: '/tmp/uc.sock' } },
  seed: { command: ['sqlite3', '/tmp/uc.db', '.read seed.sql'], dependsOn: ['daemon'], ready: { exit: 0 } },
  rest: { command: ['rest-server-pm'], env: { AIAGENTPM_WEBSERVER_PORT: '8087' }, dependsOn: ['seed'], ready: { url: 'http://localhost:8087/health' } },
  coordinator: { command: ['python3', 'coordinator.py', '--rest', '${stack.rest.url}'], dependsOn: ['rest'], ready: { line: 'coordinator ready' } },
  web: { command: ['npx', 'vite', '--port', '5173'], env: { API: 'http://localhost:${stack.rest.port}' }, dependsOn: ['rest'], ready: { port: 5173 } },
};

describe('the stack rule', () => {
  it('accepts the stack of the integration scripts', () => {
    expect(problems(REAL)).toEqual([]);
  });

  it('names each malformed service and key', () => {
    expect(
      problems({
        rest: { command: 'rest-server-pm', ready: { url: 'ftp://x' }, readyTimeoutMs: 0, shell: true },
        web: { command: ['vite'], ready: { port: 5173, url: 'http://localhost:5173' } },
        seed: { command: ['seed'], ready: { exit: 300 }, dependsOn: 'rest' },
        coord: { command: ['c'], ready: { line: '(' } },
        db: { ready: { socket: '' } },
        '1bad': { command: ['x'], ready: { port: 1, status: 200 } },
        bare: 'x',
      }),
    ).toEqual([
      '"stack.rest.command" must be the executable and its arguments, a non-empty array of strings (no shell), e.g. ["rest-server-pm", "--port", "8087"], got "rest-server-pm" (string)',
      '"stack.rest.ready.url" must be an http or https URL, got "ftp://x" (string)',
      '"stack.rest.readyTimeoutMs" must be a whole number of milliseconds from 1 to 600000, got 0 (number)',
      'unknown option "stack.rest.shell"; known options: stack.rest.command, stack.rest.env, stack.rest.cwd, stack.rest.dependsOn, stack.rest.ready, stack.rest.port, stack.rest.scope, stack.rest.readyTimeoutMs, stack.rest.graceMs, stack.rest.killWaitMs, stack.rest.name, stack.rest.logFile',
      '"stack.web.ready" must hold exactly one of "socket", "url", "port", "line", "exit", e.g. {"url": "http://localhost:8087/health"}, got {"port":5173,"url":"http://localhost:5173"} (object)',
      '"stack.seed.ready.exit" must be an exit code (0 to 255), got 300 (number)',
      '"stack.seed.dependsOn" must be an array of service names, got "rest" (string)',
      '"stack.coord.ready.line" must be a regular expression, got "(" (string) (Invalid regular expression: /(/: Unterminated group)',
      '"stack.db.ready.socket" must be a non-empty path, got "" (string)',
      '"stack.db.command" is required',
      '"stack.1bad": a service name is a letter, then letters, digits, "-" or "_"',
      '"stack.1bad.ready.status" does not go with "port"; a port check takes "port", "host"',
      '"stack.bare" must be an object with "command" and "ready", got "x" (string)',
    ]);
  });

  it('names a dependency on no service, on itself, and a cycle with its path', () => {
    expect(
      problems({
        a: { command: ['a'], ready: { port: 1 }, dependsOn: ['b', 'ghost'] },
        b: { command: ['b'], ready: { port: 2 }, dependsOn: ['c'] },
        c: { command: ['c'], ready: { port: 3 }, dependsOn: ['a', 'c'] },
      }),
    ).toEqual([
      '"stack.a.dependsOn" names "ghost", which is not a service of the stack (a, b, c)',
      '"stack.c.dependsOn" names the service itself',
      '"stack" has a dependency cycle: a → b → c → a; a service cannot wait for itself',
    ]);
  });

  it('names a placeholder of a service it does not depend on, of no service, or of a fact not declared', () => {
    expect(
      problems({
        rest: { command: ['rest'], ready: { url: 'http://localhost:8087/health' } },
        daemon: { command: ['d'], ready: { socket: '/tmp/d.sock' } },
        web: { command: ['vite', '${stack.rest.url}'], env: { S: '${stack.daemon.port}', X: '${stack.nope.url}' }, dependsOn: ['daemon'], ready: { port: 5173 } },
      }),
    ).toEqual([
      '"stack.web.command[1]" uses ${stack.rest.url}: add "rest" to its dependsOn, so that it is ready first',
      '"stack.web.env.S" uses ${stack.daemon.port}, but "daemon" declares no port (neither its "port" nor its ready check gives one)',
      '"stack.web.env.X" uses ${stack.nope.url}, but the stack has no service "nope"',
    ]);
  });

  // Parallel stacks: each bad input is named with its service and key.
  it('names ${port} in a service without "port", and ${port} before a port-0 service listens', () => {
    expect(
      problems({
        rest: { command: ['rest', '--port', '${port}'], ready: { url: 'http://localhost:${port}/health' } },
        web: { command: ['vite', '--port', '${port}'], port: 0, ready: { url: 'http://localhost:${port}/' } },
      }),
    ).toEqual([
      '"stack.rest.command[2]" uses ${port}, but "rest" has no "port": add "port": "auto" (mcp-reaper chooses one), a number, or 0 (the service chooses)',
      '"stack.rest.ready.url" uses ${port}, but "rest" has no "port": add "port": "auto" (mcp-reaper chooses one), a number, or 0 (the service chooses)',
      '"stack.web.command[2]" uses ${port}, but "web" has "port": 0: its port is known only once it listens, so ${port} may be used in "ready" alone; use "port": "auto" to pass a port in',
    ]);
  });

  it('names a port that is not a number from 0 to 65535 nor "auto", and a scope that is not run or worker', () => {
    const service = (extra: object) => ({ command: ['rest'], ready: { line: 'up' }, ...extra });
    expect(problems({ a: service({ port: 'free' }), b: service({ port: 70000 }), c: service({ port: -1 }), d: service({ port: 1.5 }), e: service({ scope: 'file' }) })).toEqual([
      '"stack.a.port" must be a TCP port (1 to 65535), "auto" (mcp-reaper chooses a free one) or 0 (the service binds port 0 and mcp-reaper reads which it got), got "free" (string)',
      '"stack.b.port" must be a TCP port (1 to 65535), "auto" (mcp-reaper chooses a free one) or 0 (the service binds port 0 and mcp-reaper reads which it got), got 70000 (number)',
      '"stack.c.port" must be a TCP port (1 to 65535), "auto" (mcp-reaper chooses a free one) or 0 (the service binds port 0 and mcp-reaper reads which it got), got -1 (number)',
      '"stack.d.port" must be a TCP port (1 to 65535), "auto" (mcp-reaper chooses a free one) or 0 (the service binds port 0 and mcp-reaper reads which it got), got 1.5 (number)',
      '"stack.e.scope" must be "run" or "worker" (one instance for the run, or one per runner worker), got "file" (string)',
    ]);
  });

  it('names a run-scoped service that depends on a worker-scoped one, and a worker-scoped one on a fixed port', () => {
    expect(
      problems({
        rest: { command: ['rest'], scope: 'worker', port: 'auto', ready: { url: 'http://localhost:${port}/health' } },
        coordinator: { command: ['coordinator'], dependsOn: ['rest'], ready: { line: 'ready' } },
        web: { command: ['vite'], scope: 'worker', ready: { url: 'http://localhost:5173/' } },
      }),
    ).toEqual([
      '"stack.coordinator" is run-scoped but depends on "rest", which is worker-scoped: one run-wide "coordinator" cannot wait for every worker\'s "rest"; make "coordinator" worker-scoped too, or "rest" run-scoped',
      '"stack.web" is worker-scoped but listens on the fixed port 5173: each worker starts its own "web", and two cannot listen on one port; give it "port": "auto" (or 0) and use ${port}',
    ]);
  });

  it("takes the users' shape: a daemon on ${dir}/mcp.sock, REST on an auto port with its database in ${dir}, per worker", () => {
    expect(
      problems({
        daemon: { command: ['mcp-server-pm', 'daemon', '--socket-path', '${dir}/mcp.sock', '--foreground'], env: { AIAGENTPM_DB_PATH: '${dir}/pm.db' }, scope: 'worker', ready: { socket: '${dir}/mcp.sock' } },
        rest: {
          command: ['rest-server-pm'],
          env: { AIAGENTPM_WEBSERVER_PORT: '${port}', AIAGENTPM_DB_PATH: '${dir}/pm.db', MCP_SOCKET: '${stack.daemon.socket}' },
          port: 'auto',
          scope: 'worker',
          dependsOn: ['daemon'],
          ready: { url: 'http://localhost:${port}/health' },
        },
        web: { command: ['npx', 'vite', '--port', '0'], port: 0, ready: { line: 'Local: +(?<url>http://\\S+)' } },
        probe: { command: ['probe'], port: 'auto', ready: { port: '${port}' } },
      }),
    ).toEqual([]);
  });

  it('wants an object of at least one service', () => {
    expect(problems([])).toHaveLength(1);
    expect(problems({})[0]).toMatch(/^"stack" must be an object of services by name/);
  });
});
